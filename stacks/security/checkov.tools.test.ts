/**
 * Scans the synthesized Terraform of every stack with checkov (installed in .venv by .ci/run).
 * Every failed check must be listed in checkov-suppressions.yaml with a justification, and every
 * listed check must still be failing somewhere (no stale suppressions).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { platformConfig } from '../../config/environments';
import { runSynth } from '../synth';

interface Suppression {
  readonly check: string;
  readonly why: string;
}
interface CheckovReport {
  readonly check_type: string;
  readonly summary: { readonly passed: number; readonly failed: number; readonly parsing_errors: number };
  readonly results: { readonly failed_checks: { readonly check_id: string; readonly resource: string; readonly file_path: string }[] };
}

const repoRoot = resolve(__dirname, '../..');
const checkov = join(repoRoot, '.venv/bin/checkov');
const suppressions = parse(readFileSync(join(__dirname, 'checkov-suppressions.yaml'), 'utf8')) as Suppression[];

let outdir = '';
let reports: CheckovReport[] = [];

beforeAll(() => {
  if (!existsSync(checkov)) throw new Error(`checkov not found at ${checkov}: run .ci/run (it installs requirements-dev.txt into .venv)`);
  outdir = mkdtempSync(join(tmpdir(), 'checkov-synth-'));
  expect(runSynth(platformConfig, { outdir, backend: 's3', stderr: (l) => process.stderr.write(l) })).toBe(0);
  const run = spawnSync(checkov, ['-d', join(outdir, 'stacks'), '--framework', 'terraform_json', '--skip-download', '--quiet', '--compact', '-o', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' },
  });
  const parsed = JSON.parse(run.stdout) as CheckovReport | CheckovReport[];
  reports = Array.isArray(parsed) ? parsed : [parsed];
}, 240_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('checkov on the synthesized Terraform', () => {
  test('scanned every stack without parsing errors', () => {
    const report = reports.find((r) => r.check_type === 'terraform_json');
    expect(report).toBeDefined();
    expect(report?.summary.parsing_errors).toBe(0);
    expect(report?.summary.passed).toBeGreaterThan(100);
  });

  test('every suppression has a one-line justification and is listed once', () => {
    const ids = suppressions.map((s) => s.check);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of suppressions) {
      expect(s.check).toMatch(/^CKV2?_AWS_\d+$/);
      expect(s.why.trim().length).toBeGreaterThan(20);
      expect(s.why).not.toContain('\n');
    }
  });

  test('no failed check outside the reviewed suppressions', () => {
    const allowed = new Set(suppressions.map((s) => s.check));
    const unexpected = reports
      .flatMap((r) => r.results.failed_checks)
      .filter((f) => !allowed.has(f.check_id))
      .map((f) => `${f.check_id} ${f.file_path} ${f.resource}`);
    expect([...new Set(unexpected)]).toEqual([]);
  });

  test('no stale suppression: each listed check still fails somewhere', () => {
    const failing = new Set(reports.flatMap((r) => r.results.failed_checks.map((f) => f.check_id)));
    expect(suppressions.map((s) => s.check).filter((id) => !failing.has(id))).toEqual([]);
  });
});
