/**
 * Synthesis time, memory and resources for fleets of customers: for each size, `npm run synth`'s
 * own code path (stacks/synth.ts runSynth, every stack of the platform, into a temporary folder)
 * with the shipped configuration, in its own process timed by GNU time, while a key registry of N
 * customers (bench/fleet.ts) sits where the keys CLI and the local platform read it
 * (KEYS_REGISTRY_FILE, LOCAL_STATE_DIR). Customers are registry data, so nothing should change
 * with N; the table prints the figures of the Terraform-managed keys (before issue 18) beside them.
 *   npm run --silent bench:fleet [-- --sizes 10,10000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import { REPO_ROOT } from '../stacks/shared/repo';
import { runSynth } from '../stacks/synth';
import { writeFleetRegistry } from './fleet';

/**
 * `npm run --silent bench:fleet` with keys as Terraform resources (apiKeys in config), one run on
 * the same 2-core machine, as docs/monitoring.md recorded it before keys became registry data.
 */
export const BEFORE: Readonly<
  Record<number, { readonly wallSeconds: number; readonly peakRssMb: number; readonly resources: number; readonly keyResources: number }>
> = {
  10: { wallSeconds: 1.8, peakRssMb: 170, resources: 80, keyResources: 20 },
  1000: { wallSeconds: 3.48, peakRssMb: 218, resources: 2060, keyResources: 2000 },
  10000: { wallSeconds: 21.53, peakRssMb: 722, resources: 20060, keyResources: 20000 },
};

/** Resource count, key resources and removed blocks of a synthesized stack's JSON. */
export function stackFigures(json: { resource?: Record<string, object>; removed?: unknown[] }): { resources: number; keyResources: number; removed: number } {
  const resource = json.resource ?? {};
  const count = (type: string) => Object.keys(resource[type] ?? {}).length;
  return {
    resources: Object.values(resource).reduce((s, byId) => s + Object.keys(byId).length, 0),
    keyResources: count('aws_api_gateway_api_key') + count('aws_api_gateway_usage_plan_key'),
    removed: json.removed?.length ?? 0,
  };
}

function child(outdir: string): void {
  process.exitCode = runSynth(platformConfig, { outdir, backend: 's3', stderr: (l) => process.stderr.write(l) });
}

function main(): void {
  const i = process.argv.indexOf('--sizes');
  const sizes = (i >= 0 ? process.argv[i + 1] : '10,10000').split(',').map(Number);
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  process.stdout.write(
    `customers  ${pad('wall s', 7)} ${pad('before', 7)}  ${pad('peak RSS MB', 11)} ${pad('before', 7)}  ${pad('resources (billing-prod)', 24)} ${pad('before', 7)}  ` +
      `${pad('API keys + plan keys', 20)} ${pad('before', 7)}  removed blocks\n`,
  );
  for (const n of sizes) {
    const out = mkdtempSync(join(tmpdir(), 'fleet-synth-'));
    try {
      const registryEnv = writeFleetRegistry(n, join(out, 'state'), 'prod');
      const report = join(out, 'time.txt');
      const run = spawnSync(
        '/usr/bin/time',
        ['-f', '%e %M', '-o', report, process.execPath, '--import', 'tsx', 'bench/fleet-synth.ts', '--child', join(out, 'cdktf.out')],
        { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...registryEnv } },
      );
      if (run.status !== 0) throw new Error(`synth with ${n} customers failed: ${run.stderr}`);
      const [wall, rss] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      const now = stackFigures(JSON.parse(readFileSync(join(out, 'cdktf.out', 'stacks', 'billing-prod', 'cdk.tf.json'), 'utf8')));
      const before = BEFORE[n];
      const was = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));
      process.stdout.write(
        `${String(n).padEnd(9)}  ${pad(wall.toFixed(2), 7)} ${pad(was(before?.wallSeconds, 2), 7)}  ${pad((rss / 1024).toFixed(0), 11)} ${pad(was(before?.peakRssMb), 7)}  ` +
          `${pad(now.resources, 24)} ${pad(was(before?.resources), 7)}  ${pad(now.keyResources, 20)} ${pad(was(before?.keyResources), 7)}  ${pad(now.removed, 14)}\n`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}

const c = process.argv.indexOf('--child');
if (c >= 0) child(process.argv[c + 1]);
else if (require.main === module) main();
