import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { actionlint, actionlintVersion, ACTIONLINT_VERSION } from './actionlint';
import { deployedEnvironmentNames } from './environment-cli';
import {
  checkAction,
  checkEnvironmentCoverage,
  checkTerraformPin,
  checkWorkflow,
  firesOnTheHour,
  loadYaml,
  type RuleId,
  type Violation,
  type YamlFile,
} from './workflow-rules';

const ROOT = join(__dirname, '..');
const WORKFLOW_DIR = join(ROOT, '.github', 'workflows');
const ACTION_DIR = join(ROOT, '.github', 'actions');
const BROKEN_DIR = join(__dirname, 'fixtures', 'workflows');

const rel = (path: string): string => relative(ROOT, path);
const load = (path: string): YamlFile => loadYaml(rel(path), readFileSync(path, 'utf8'));

const workflowPaths = readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(WORKFLOW_DIR, f));
const actionPaths = readdirSync(ACTION_DIR).map((d) => join(ACTION_DIR, d, 'action.yml'));
const workflows = workflowPaths.map(load);
const actions = actionPaths.map(load);
const format = (vs: readonly Violation[]): string => vs.map((v) => `${v.file} [${v.rule}] ${v.message}`).join('\n');

describe("the repository's workflows", () => {
  test('are the five the delivery loop needs', () => {
    expect(workflows.map((w) => w.doc.name).sort()).toEqual(['apply', 'ci', 'drift', 'plan', 'usage']);
  });

  test('are linted by the actionlint version .ci/run installs', () => {
    expect(actionlintVersion()).toBe(ACTIONLINT_VERSION);
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain(`actionlint@v${ACTIONLINT_VERSION}`);
  });

  test('pass actionlint (schema, expressions, contexts, needs, local action inputs, shellcheck when installed)', () => {
    const result = actionlint(workflowPaths.map(rel));
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test.each(workflowPaths.map((p) => [rel(p)]))('%s follows every rule', (file) => {
    const wf = workflows.find((w) => w.file === file)!;
    expect(format(checkWorkflow(wf))).toBe('');
  });

  test.each(actionPaths.map((p) => [rel(p)]))('composite action %s pins its actions and keeps values out of the log', (file) => {
    const action = actions.find((a) => a.file === file)!;
    expect(action.doc.runs).toMatchObject({ using: 'composite' });
    expect(format(checkAction(action))).toBe('');
  });

  test("Terraform's version is pinned once, in .github/actions/setup-terraform", () => {
    expect(format(checkTerraformPin([...workflows, ...actions]))).toBe('');
  });

  test('every deployed environment is planned, applied, drift-checked and run by the usage job', () => {
    expect(deployedEnvironmentNames().length).toBeGreaterThan(0);
    expect(format(checkEnvironmentCoverage(workflows, deployedEnvironmentNames()))).toBe('');
  });

  test("the plan comment marker in the workflow is the renderer's marker", () => {
    const plan = workflows.find((w) => w.doc.name === 'plan')!;
    expect(plan.text).toContain('const marker = `<!-- plan:${process.env.ENVIRONMENT} -->`;');
    expect(plan.text).toContain('echo "<!-- plan:$ENVIRONMENT -->"');
  });
});

describe('what each workflow promises', () => {
  const byName = (name: string): YamlFile => workflows.find((w) => w.doc.name === name)!;
  type Job = Record<string, unknown>;
  const jobs = (name: string): Record<string, Job> => byName(name).doc.jobs as Record<string, Job>;

  test('plan runs on pull_request, skips fork pull requests and says why', () => {
    expect(Object.keys(byName('plan').doc.on as object)).toEqual(['pull_request']);
    const { fork, plan } = jobs('plan');
    expect(fork.if).toBe('github.event.pull_request.head.repo.fork');
    expect(plan.if).toBe('${{ !github.event.pull_request.head.repo.fork }}');
    expect(JSON.stringify(fork.steps)).toContain('gets no AWS credentials');
  });

  test('apply applies dev, then prod only after a read-only prod plan, and checks the digest', () => {
    const { dev, 'prod-plan': prodPlan, prod } = jobs('apply');
    expect(dev.environment).toBe('dev');
    expect(prodPlan.needs).toBe('dev');
    expect(prodPlan.environment).toBeUndefined();
    expect(prod).toMatchObject({ environment: 'prod', needs: ['dev', 'prod-plan'] });
    const steps = JSON.stringify(prod.steps);
    expect(steps.indexOf('Check the plan is the one the reviewers saw')).toBeLessThan(steps.indexOf('"name":"Apply"'));
    expect(steps).toContain('./.github/actions/smoke-test');
  });

  test('usage is hourly off the hour, dispatchable with environment, month and dry-run, one run per environment', () => {
    const on = byName('usage').doc.on as { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, unknown> } };
    expect(on.schedule).toEqual([{ cron: '17 * * * *' }]);
    expect(Object.keys(on.workflow_dispatch.inputs)).toEqual(['environment', 'month', 'dry-run']);
    expect(jobs('usage').usage.concurrency).toEqual({ group: 'usage-${{ matrix.environment }}', 'cancel-in-progress': false });
    expect(byName('usage').text).toContain('npm run --silent usage -- --engine athena --env "$ENVIRONMENT" --month "$month"');
  });

  test('drift plans daily with -detailed-exitcode and fails on exit code 2', () => {
    const on = byName('drift').doc.on as { schedule: { cron: string }[] };
    expect(on.schedule).toHaveLength(1);
    const plan = actions.find((a) => a.file.endsWith('terraform-plan/action.yml'))!;
    expect(plan.text).toContain('args=(-input=false -no-color -detailed-exitcode -out=tfplan)');
    expect(plan.text).toContain('args+=(-lock=false)');
    expect(byName('drift').text).toMatch(/if \[ "\$EXITCODE" = 2 \]; then\n\s+echo "::error title=Drift/);
  });
});

/** Fixture file -> the rule it breaks on purpose (and no other rule, so each rule is seen failing alone). */
const BROKEN: Record<string, RuleId> = {
  'unpinned-action.yml': 'pinned-actions',
  'broad-permissions.yml': 'top-level-permissions',
  'excess-job-permissions.yml': 'job-permissions',
  'no-timeout.yml': 'job-timeout',
  'pull-request-target.yml': 'no-pull-request-target',
  'apply-cancelled.yml': 'apply-concurrency',
  'apply-ungated-prod.yml': 'prod-gated',
  'cron-on-the-hour.yml': 'schedule-off-the-hour',
  'leaks-secrets.yml': 'run-script-hygiene',
  'checkout-credentials.yml': 'checkout-credentials',
  'terraform-version-elsewhere.yml': 'terraform-version-pin',
};

describe('each rule fails on a workflow broken on purpose', () => {
  test('every broken fixture is covered', () => {
    const files = readdirSync(BROKEN_DIR).filter((f) => f.endsWith('.yml') && f !== 'actionlint-errors.yml');
    expect(files.sort()).toEqual(Object.keys(BROKEN).sort());
  });

  test.each(Object.entries(BROKEN))('%s breaks %s, and only that rule', (file, rule) => {
    const wf = load(join(BROKEN_DIR, file));
    const setupTerraform = actions.filter((a) => a.file.includes('setup-terraform'));
    const violations = [...checkWorkflow(wf), ...checkTerraformPin([wf, ...setupTerraform])];
    expect(violations.length).toBeGreaterThan(0);
    expect(format(violations.filter((v) => v.rule !== rule))).toBe('');
  });

  test('the messages say what to change', () => {
    const messages = (file: string): string => format([...checkWorkflow(load(join(BROKEN_DIR, file))), ...checkTerraformPin([load(join(BROKEN_DIR, file))])]);
    expect(messages('unpinned-action.yml')).toContain('actions/checkout@v5 must be pinned to a full 40-character commit SHA');
    expect(messages('unpinned-action.yml')).toContain('needs a version comment such as "# v1.2.3"');
    expect(messages('excess-job-permissions.yml')).toMatch(/job build: contents: write is not needed/);
    expect(messages('excess-job-permissions.yml')).toMatch(/job build: id-token: write without a configure-aws-credentials step/);
    expect(messages('excess-job-permissions.yml')).toMatch(/job build: pull-requests: write without a step that comments/);
    expect(messages('excess-job-permissions.yml')).toMatch(/job test: declare `permissions:`/);
    expect(messages('apply-ungated-prod.yml')).toContain('job prod applies without a GitHub environment');
    expect(messages('cron-on-the-hour.yml')).toContain('cron "0 * * * *" runs at minute 0');
    expect(messages('cron-on-the-hour.yml')).toContain('cron "*/15 3 * * *" runs at minute 0');
    const leaks = messages('leaks-secrets.yml');
    expect(leaks).toContain('a secret is pasted into the script');
    expect(leaks).toContain('an event or input value is pasted into the script (script injection)');
    expect(leaks).toContain('xtrace (set -x)');
    expect(leaks).toContain('prints a key-like variable: echo "the key is $API_KEY"');
    expect(leaks).toContain('--include-value must be captured into a variable');
    expect(messages('terraform-version-elsewhere.yml')).toContain('install Terraform through ./.github/actions/setup-terraform');
  });

  test('actionlint rejects a workflow with schema and reference errors', () => {
    const result = actionlint([rel(join(BROKEN_DIR, 'actionlint-errors.yml'))]);
    expect(result.ok).toBe(false);
    const text = result.problems.join('\n');
    expect(text).toContain('"runs-on" section is missing');
    expect(text).toContain('needs job "nothing" which does not exist');
  });

  test('environment coverage notices an environment a workflow forgot', () => {
    const violations = checkEnvironmentCoverage(workflows, [...deployedEnvironmentNames(), 'staging']);
    expect(violations.map((v) => v.file).sort()).toEqual([
      '.github/workflows/apply.yml',
      '.github/workflows/drift.yml',
      '.github/workflows/plan.yml',
      '.github/workflows/usage.yml',
    ]);
  });

  test('a composite action that installs Terraform elsewhere breaks the one-pin rule', () => {
    const rogue = loadYaml(
      '.github/actions/rogue/action.yml',
      'name: rogue\ndescription: x\nruns:\n  using: composite\n  steps:\n    - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2\n',
    );
    expect(checkTerraformPin([...actions, rogue]).map((v) => v.file)).toEqual(['.github/actions/rogue/action.yml']);
  });
});

describe('cron minute check', () => {
  test.each([
    ['0', true],
    ['*', true],
    ['*/10', true],
    ['0-30/5', true],
    ['5,0', true],
    ['17', false],
    ['5-55/10', false],
    ['23,47', false],
  ])('minute field %s fires on the hour: %s', (field, expected) => {
    expect(firesOnTheHour(field)).toBe(expected);
  });
});
