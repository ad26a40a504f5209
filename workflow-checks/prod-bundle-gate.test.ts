/**
 * Review finding (High): the usage-job bundle is not in Terraform, so a merge that changes only
 * billing code gave prod an empty plan, and the apply workflow recorded prod's usage-job status
 * without the `prod` job, that is without prod's reviewers. These tests run the apply workflow's
 * real conditions and the real bash of its record steps (with a stand-in for usage-job-digest.sh
 * that only logs its arguments) in each situation the prod plan can report.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedValue, mayRun, type ExprValue } from './workflow-expressions';
import { loadYaml } from './workflow-rules';

const APPLY = join(__dirname, '..', '.github', 'workflows', 'apply.yml');
const wf = loadYaml('.github/workflows/apply.yml', readFileSync(APPLY, 'utf8'));

interface Step {
  name: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  steps: Step[];
}
const job = (id: string): Job => (wf.doc.jobs as Record<string, Job>)[id];

/** What the prod plan reports: Terraform changes and whether the bundle differs from prod's. */
function situation(changes: string, bundleChanged: string, prodResult = 'skipped'): Record<string, ExprValue> {
  return {
    'needs.dev.result': 'success',
    'needs.prod-plan.result': 'success',
    'needs.prod-plan.outputs.changes': changes,
    'needs.prod-plan.outputs.bundle-changed': bundleChanged,
    'needs.prod.result': prodResult,
    'needs.build.outputs.usage-job-digest': 'c'.repeat(64),
    'github.token': 't0ken',
  };
}

/** Runs the step's script as the runner would (bash -e), returning the environments it recorded. */
function recordsOf(jobId: string, stepName: string, known: Record<string, ExprValue>): string[] {
  const step = job(jobId).steps.find((s) => s.name === stepName);
  if (!step?.run) throw new Error(`apply.yml: job ${jobId} has no run step "${stepName}"`);
  if (!mayRun(job(jobId).if, known) || !mayRun(step.if, known)) return [];
  const dir = mkdtempSync(join(tmpdir(), 'prod-bundle-gate-'));
  try {
    mkdirSync(join(dir, 'delivery'));
    const log = join(dir, 'calls.log');
    writeFileSync(join(dir, 'delivery', 'usage-job-digest.sh'), `echo "$1 $2 $3" >> ${JSON.stringify(log)}\n`);
    writeFileSync(log, '');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [key, raw] of Object.entries(step.env ?? {})) {
      const value = fixedValue(raw, known);
      if (value === undefined) throw new Error(`env ${key} (${raw}) is not fixed by the situation`);
      env[key] = value === null ? '' : String(value);
    }
    const r = spawnSync('bash', ['-e', '-c', step.run], { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`step "${stepName}" failed: ${r.stderr}`);
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('record '))
      .map((line) => line.split(' ')[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DEV_RECORD = ['report-dev', 'Record the usage-job bundle dev (and an unchanged prod) now run'] as const;
const PROD_RECORD = ['report-prod', 'Record the usage-job bundle prod now runs'] as const;

test('an empty prod plan with a changed usage-job bundle runs the prod job, and only its success records prod', () => {
  const waiting = situation('false', 'true');
  expect(mayRun(job('prod').if, waiting)).toBe(true);
  expect(recordsOf(...DEV_RECORD, waiting)).toEqual(['dev']);
  // Approved and applied (nothing to apply): report-prod records prod.
  expect(recordsOf(...PROD_RECORD, situation('false', 'true', 'success'))).toEqual(['prod']);
  // Rejected, or still waiting: nothing records prod.
  expect(recordsOf(...PROD_RECORD, situation('false', 'true', 'cancelled'))).toEqual([]);
});

test('an empty prod plan with the bundle prod already runs asks nobody and records prod at this commit', () => {
  const unchanged = situation('false', 'false');
  expect(mayRun(job('prod').if, unchanged)).toBe(false);
  expect(mayRun(job('report-prod').if, unchanged)).toBe(false);
  expect(recordsOf(...DEV_RECORD, unchanged)).toEqual(['dev', 'prod']);
});

test('an unknown bundle comparison (no output) never records prod without the prod job', () => {
  expect(recordsOf(...DEV_RECORD, situation('false', ''))).toEqual(['dev']);
  expect(recordsOf(...DEV_RECORD, situation('true', 'false'))).toEqual(['dev']);
  expect(mayRun(job('prod').if, situation('true', 'false'))).toBe(true);
});

test("prod-plan's comparison feeds its bundle-changed output and tells the reviewers what changed", () => {
  const step = job('prod-plan').steps.find((s) => s.name === 'Compare the usage-job bundle with the one prod runs')!;
  const run = (stubOutput: string, stubCode = 0): { code: number | null; output: string; summary: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'prod-bundle-gate-'));
    try {
      mkdirSync(join(dir, 'delivery'));
      writeFileSync(
        join(dir, 'delivery', 'usage-job-digest.sh'),
        `[ "$1 $2 $3" = "changed prod ${'c'.repeat(64)}" ] || exit 9\nprintf '${stubOutput}'\nexit ${stubCode}\n`,
      );
      writeFileSync(join(dir, 'out'), '');
      writeFileSync(join(dir, 'summary'), '');
      const env = {
        PATH: process.env.PATH ?? '',
        USAGE_JOB_DIGEST: 'c'.repeat(64),
        GITHUB_OUTPUT: join(dir, 'out'),
        GITHUB_STEP_SUMMARY: join(dir, 'summary'),
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/billing',
        GITHUB_SHA: 'f'.repeat(40),
      };
      // GitHub's default bash for run steps: bash -e -o pipefail.
      const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', step.run!], { cwd: dir, env, encoding: 'utf8' });
      return { code: r.status, output: readFileSync(join(dir, 'out'), 'utf8'), summary: readFileSync(join(dir, 'summary'), 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const deployed = '7'.repeat(40);
  const changed = run(`changed=true\\ndeployed=${deployed}\\n`);
  expect(changed.code).toBe(0);
  expect(changed.output).toBe(`changed=true\ndeployed=${deployed}\n`);
  expect(changed.summary).toContain(`https://github.com/acme/billing/compare/${deployed}...${'f'.repeat(40)}`);
  expect(run(`changed=false\\ndeployed=${deployed}\\n`)).toMatchObject({ code: 0, summary: '' });
  // A failed comparison fails the prod plan: no output, so nothing records prod.
  expect(run('', 1)).toMatchObject({ code: 1, output: '' });
});
