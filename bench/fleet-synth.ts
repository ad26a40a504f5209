/**
 * Synthesis time and size for fleets of keys: for each size, `npm run synth`'s own code path
 * (stacks/synth.ts runSynth, every stack of the platform, into a temporary folder) with the shipped
 * configuration whose prod environment holds N generated keys, in its own process, timed by GNU time.
 *   npm run --silent bench:fleet [-- --sizes 10,1000,10000]
 * Prints, per size: wall time, peak RSS, resources in billing-prod, of them API keys + usage-plan
 * keys, alarms and dashboards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import { REPO_ROOT } from '../stacks/shared/repo';
import { runSynth } from '../stacks/synth';
import { withKeys } from '../stacks/testing/fleet-config';

function child(n: number, outdir: string): void {
  const code = runSynth(withKeys(platformConfig, n), { outdir, backend: 's3', stderr: (l) => process.stderr.write(l) });
  process.exitCode = code;
}

function main(): void {
  const i = process.argv.indexOf('--sizes');
  const sizes = (i >= 0 ? process.argv[i + 1] : '10,1000,10000').split(',').map(Number);
  process.stdout.write('keys    wall s  peak RSS MB  resources (billing-prod)  API keys + plan keys  alarms  dashboards\n');
  for (const n of sizes) {
    const out = mkdtempSync(join(tmpdir(), 'fleet-synth-'));
    try {
      const report = join(out, 'time.txt');
      const run = spawnSync(
        '/usr/bin/time',
        ['-f', '%e %M', '-o', report, process.execPath, '--import', 'tsx', 'bench/fleet-synth.ts', '--child', String(n), join(out, 'cdktf.out')],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
        },
      );
      if (run.status !== 0) throw new Error(`synth of ${n} keys failed: ${run.stderr}`);
      const [wall, rss] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      const json = JSON.parse(readFileSync(join(out, 'cdktf.out', 'stacks', 'billing-prod', 'cdk.tf.json'), 'utf8')) as { resource: Record<string, object> };
      const count = (type: string) => Object.keys(json.resource[type] ?? {}).length;
      const total = Object.values(json.resource).reduce((s, byId) => s + Object.keys(byId).length, 0);
      process.stdout.write(
        `${String(n).padEnd(7)} ${wall.toFixed(2).padStart(6)}  ${(rss / 1024).toFixed(0).padStart(11)}  ${String(total).padStart(24)}  ` +
          `${String(count('aws_api_gateway_api_key') + count('aws_api_gateway_usage_plan_key')).padStart(20)}  ${String(count('aws_cloudwatch_metric_alarm')).padStart(6)}  ${String(count('aws_cloudwatch_dashboard')).padStart(10)}\n`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}

const c = process.argv.indexOf('--child');
if (c >= 0) child(Number(process.argv[c + 1]), process.argv[c + 2]);
else main();
