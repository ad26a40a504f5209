import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import type { PlatformConfig } from '../config/types';
import { REPO_ROOT } from './shared/repo';
import { runSynth } from './synth';

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'synth-test-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

describe('synthesis', () => {
  it('rejects bad configuration with one line naming environment and field, writing nothing', () => {
    const bad = JSON.parse(JSON.stringify(platformConfig)) as PlatformConfig & { environments: { usagePlans: { pro: { burstLimit: number } } }[] };
    bad.environments[1].usagePlans.pro.burstLimit = 50;
    const lines: string[] = [];
    const code = runSynth(bad, { outdir: join(outdir, 'out'), backend: 'local', stderr: (l) => lines.push(l) });
    expect(code).toBe(1);
    expect(lines).toEqual(['synth: environment "prod": usagePlans.pro.burstLimit (50) must be at least rateLimit (100)\n']);
    expect(existsSync(join(outdir, 'out'))).toBe(false);
  });

  it('npm run synth writes cdk.tf.json for every stack in one process', () => {
    const run = spawnSync(tsx, ['stacks/main.ts'], { cwd: REPO_ROOT, env: { ...process.env, SYNTH_OUTDIR: outdir }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const stacks = readdirSync(join(outdir, 'stacks')).sort();
    // The tooling account's bootstrap, then one per environment account (config/environments.ts).
    expect(stacks).toEqual(['billing-dev', 'billing-prod', 'bootstrap', 'bootstrap-111111111111', 'bootstrap-222222222222']);
    for (const s of stacks) {
      const json = JSON.parse(readFileSync(join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')) as { terraform: { backend: Record<string, unknown> } };
      // Every stack in remote state, the bootstraps included (docs/platform.md, "Bootstrap").
      expect(Object.keys(json.terraform.backend)).toEqual(['s3']);
    }
  });

  it('fails with one line, no stack trace, on a bad SYNTH_BACKEND', () => {
    const run = spawnSync(tsx, ['stacks/main.ts'], { cwd: REPO_ROOT, env: { ...process.env, SYNTH_OUTDIR: outdir, SYNTH_BACKEND: 'gcs' }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('synth: SYNTH_BACKEND must be "s3" or "local", got "gcs"\n');
  });
});

describe('provider imports', () => {
  it('use deep paths only: no module under stacks/ or lambdas/ loads the @cdktf/provider-aws barrel', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.ts$/.test(entry.name) && /from '@cdktf\/provider-aws'|require\('@cdktf\/provider-aws'\)/.test(readFileSync(path, 'utf8')))
          offenders.push(path);
      }
    };
    walk(join(REPO_ROOT, 'stacks'));
    walk(join(REPO_ROOT, 'lambdas'));
    expect(offenders).toEqual([]);
  });

  it('building every stack loads provider modules one by one, never lib/index.js', () => {
    const script =
      "require('./stacks/app'); const ks = Object.keys(require.cache).filter((k) => k.includes('provider-aws'));" +
      'console.log(JSON.stringify({ barrel: ks.some((k) => /provider-aws[\\\\/]lib[\\\\/]index\\.js$/.test(k)), modules: ks.length }));';
    const run = spawnSync(tsx, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as { barrel: boolean; modules: number };
    expect(result.barrel).toBe(false);
    expect(result.modules).toBeGreaterThan(20);
  });
});
