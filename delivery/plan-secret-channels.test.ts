/**
 * No secret of a real plan (delivery/fixtures/secrets/: a replaced usage-plan key, a destroyed API
 * key, a rotated origin secret, keys removed from state) reaches any channel the workflows publish:
 * the pull-request comment and the job summary (plan:render), the artifact plan-<env> (plan.md and
 * plan.txt), the step log of the terraform-plan action (plan:mask over terraform's output) and the
 * apply step log (plan-mask --lines over the apply log; terraform-lock.tools.test.ts runs it). The
 * slow test plan-secrets-action.moto.test.ts runs the action itself on live plans.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { main as maskMain } from './plan-mask-cli';
import { main as renderMain } from './plan-markdown-cli';
import { SECRET_MASK } from './plan-secrets';
import { readFixture, SCENARIOS } from './testing/secret-plans';
import { compositeSteps } from '../test-support/composite-action';

const ROOT = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'plan-secret-channels-'));

function planted(json: string): string[] {
  return [...new Set(json.match(/FAKE-TEST-KEY-[A-Za-z0-9-]+|FAKEtestORIGINsecret[A-Za-z0-9]+/g) ?? [])];
}

/** Writes the scenario's files and returns their paths. */
function files(name: string): { json: string; text: string; log: string } {
  const plan = readFixture(name);
  const paths = { json: join(work, `${name}.json`), text: join(work, `${name}.txt`), log: join(work, `${name}.log`) };
  writeFileSync(paths.json, plan.json);
  writeFileSync(paths.text, plan.text);
  writeFileSync(paths.log, plan.log);
  return paths;
}

/** plan:render as the action runs it: the comment body, plan.md and the job summary. */
function comment(name: string): string {
  const f = files(name);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    const code = renderMain(['--env', 'dev', '--run-url', 'https://github.com/o/r/actions/runs/1', '--plan-text', f.text, f.json]);
    expect(code).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out;
}

async function mask(name: string, what: 'text' | 'log'): Promise<string> {
  const f = files(name);
  let out = '';
  let err = '';
  const code = await maskMain(
    ['--secrets-from', f.json, f[what]],
    (s) => (out += s),
    (s) => (err += s),
  );
  expect(err).toBe('');
  expect(code).toBe(0);
  return out;
}

const names = SCENARIOS.map((s) => s.name);

/** The scenarios whose secrets `render` leaves in its output, with the secrets. */
async function leaksOf(render: (name: string) => string | Promise<string>): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const name of names) {
    const text = await render(name);
    const leaked = planted(readFixture(name).json).filter((secret) => text.includes(secret));
    if (leaked.length > 0) found[name] = leaked;
  }
  return found;
}

// One test per channel over every scenario: each fails if any scenario leaks into it.
test('the PR comment, plan.md and the job summary show no secret of any scenario', async () => {
  for (const name of names) expect(comment(name)).toContain('<!-- plan:dev -->');
  expect(await leaksOf(comment)).toEqual({});
});

test('the artifact plan.txt shows no secret of any scenario and keeps every line of the plan', async () => {
  expect(await leaksOf((name) => mask(name, 'text'))).toEqual({});
  for (const name of names) expect((await mask(name, 'text')).split('\n').length).toBe(readFixture(name).text.split('\n').length);
});

test('the step log of terraform plan shows no secret of any scenario', async () => {
  expect(await leaksOf((name) => mask(name, 'log'))).toEqual({});
});

test('what the fixtures leak without masking: the reason for all of the above', () => {
  const leaks = (name: string, what: 'text' | 'log'): boolean => planted(readFixture(name).json).some((s) => readFixture(name)[what].includes(s));
  expect(leaks('usage-plan-key-replaced', 'text')).toBe(true);
  expect(leaks('api-key-destroyed', 'text')).toBe(true);
  // The random-password data source prints its id, which is the password, in the plan log.
  expect(leaks('origin-secret-rotated', 'log')).toBe(true);
  expect(leaks('origin-secret-rotated', 'text')).toBe(false);
  // Terraform 1.11.4 hides the unchanged attributes of a forgotten object; its JSON still holds them.
  expect(leaks('keys-forgotten', 'text')).toBe(false);
});

test('a masked line says so', async () => {
  expect(await mask('usage-plan-key-replaced', 'text')).toContain(`value         = "${SECRET_MASK}" -> (known after apply)`);
});

describe('the terraform-plan action routes Terraform output through the masker', () => {
  const steps = compositeSteps(join(ROOT, '.github', 'actions', 'terraform-plan', 'action.yml'));
  const script = (name: string): string => steps.find((s) => s.name === name)?.run ?? '';

  test.each(['Terraform plan', 'Render plan'])('%s: every terraform plan or show writes to a file, and only plan:mask output is printed', (step) => {
    const lines = script(step)
      .split('\n')
      .filter((l) => /terraform -chdir="\$STACK_DIR" (plan|show)\b/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/>\s*"?\$?[\w"$/.-]+/);
    expect(script(step)).toMatch(/node "\$TOOLS" plan-mask --secrets-from/);
  });

  test("the apply step log: terraform-apply.sh and release-state-lock.sh print terraform's log only through plan-mask --lines", () => {
    for (const file of ['terraform-apply.sh', 'release-state-lock.sh']) {
      const text = readFileSync(join(ROOT, 'delivery', file), 'utf8');
      const code = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
      expect(code.filter((l) => l.includes('plan-mask'))).toEqual([
        expect.stringMatching(/node "\$tools" plan-mask --secrets-from "\$secrets" --lines < "\$fifo" &$/),
      ]);
      const tails = code.filter((l) => /\btail\b/.test(l));
      expect(tails.length).toBeGreaterThan(0);
      for (const line of tails) expect(line).toMatch(/> "\$fifo" &$/); // tail writes into the masker only
      expect(code.some((l) => /\bcat\b.*\$log/.test(l))).toBe(false);
    }
  });

  test('the job summary receives plan.md only, which plan:render wrote', () => {
    const summaryLines = script('Render plan')
      .split('\n')
      .filter((l) => l.includes('GITHUB_STEP_SUMMARY'));
    expect(summaryLines).toEqual(['cat plan.md >> "$GITHUB_STEP_SUMMARY"']);
  });
});

/** Every path a workflow or a composite action uploads as an artifact. */
function uploadedPaths(): { workflow: string; path: string }[] {
  type Step = { uses?: string; with?: { path?: string } };
  const dir = join(ROOT, '.github', 'workflows');
  const actions = join(ROOT, '.github', 'actions');
  const files = [
    ...readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(dir, f)),
    ...readdirSync(actions).map((d) => join(actions, d, 'action.yml')),
  ];
  const out: { workflow: string; path: string }[] = [];
  for (const file of files) {
    const wf = parse(readFileSync(file, 'utf8')) as { jobs?: Record<string, { steps?: Step[] }>; runs?: { steps?: Step[] } };
    for (const job of [...Object.values(wf.jobs ?? {}), ...(wf.runs ? [wf.runs] : [])]) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('actions/upload-artifact')) continue;
        for (const p of String(step.with?.path ?? '').split('\n')) if (p.trim() !== '') out.push({ workflow: file, path: p.trim() });
      }
    }
  }
  return out;
}

test('every uploaded artifact is either a masked plan file or holds no plan output', () => {
  // plan.md and plan.txt are checked above; the others never contain Terraform plan output.
  const known: Record<string, string> = {
    'plan.md': 'plan:render output (checked above)',
    'plan.txt': 'plan:mask output (checked above)',
    '${{ runner.temp }}/.terraform.lock.hcl': 'provider lock file: provider hashes only',
    '${{ runner.temp }}/invoices/': 'invoice lines of the usage job',
    'cdktf.out': 'the build: synthesized Terraform JSON and Lambda assets, made before any plan (no state, no plan output)',
    '.gen/build': 'the build: the delivery-tools and usage-job bundles',
  };
  const unknown = uploadedPaths().filter((u) => !(u.path in known));
  expect(unknown).toEqual([]);
  expect(uploadedPaths().map((u) => u.path)).toEqual(expect.arrayContaining(['plan.md', 'plan.txt']));
});
