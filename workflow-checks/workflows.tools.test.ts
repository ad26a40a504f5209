import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { platformConfig } from '../config/environments';
import { plansOnPullRequests } from '../stacks/bootstrap/deploy-roles';
import { actionlint, actionlintVersion, ACTIONLINT_VERSION } from './actionlint';
import { deployedEnvironmentNames } from '../delivery/environment-cli';
import { readEnvironmentsFile } from '../delivery/environments-file';
import {
  checkAction,
  checkEnvironmentCoverage,
  checkTerraformPin,
  checkWorkflow,
  firesOnTheHour,
  loadYaml,
  localActions,
  npmInstallProblems,
  PULL_REQUESTS_WITHOUT_CREDENTIALS,
  stepMayRun,
  type RuleId,
  type Violation,
  type YamlFile,
} from './workflow-rules';

const ROOT = join(__dirname, '..');
const WORKFLOW_DIR = join(ROOT, '.github', 'workflows');
const ACTION_DIR = join(ROOT, '.github', 'actions');
const BROKEN_DIR = join(__dirname, 'fixtures');

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
  test('are the six the delivery loop needs', () => {
    expect(workflows.map((w) => w.doc.name).sort()).toEqual(['apply', 'ci', 'drift', 'plan', 'unlock', 'usage']);
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
    expect(format(checkWorkflow(wf, localActions(actions)))).toBe('');
  });

  test.each(actionPaths.map((p) => [rel(p)]))('composite action %s pins its actions and keeps values out of the log', (file) => {
    const action = actions.find((a) => a.file === file)!;
    expect(action.doc.runs).toMatchObject({ using: 'composite' });
    expect(format(checkAction(action))).toBe('');
  });

  test("Terraform's version is pinned once, in .github/actions/setup-terraform", () => {
    expect(format(checkTerraformPin([...workflows, ...actions]))).toBe('');
  });

  test('every deployed environment is planned, drift-checked, unlockable and run by the usage job through .github/environments.json, and applied', () => {
    expect(deployedEnvironmentNames().length).toBeGreaterThan(0);
    expect(format(checkEnvironmentCoverage(workflows, readEnvironmentsFile(), deployedEnvironmentNames()))).toBe('');
  });

  test('the delivery shell scripts the workflows run pass shellcheck', () => {
    const scripts = readdirSync(join(ROOT, 'delivery'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join('delivery', f));
    expect(scripts.sort()).toEqual([
      'delivery/head-of-main.sh',
      'delivery/no-apply-running.sh',
      'delivery/release-state-lock.sh',
      'delivery/setup-check.sh',
      'delivery/terraform-apply.sh',
      'delivery/terraform-json-guard.sh',
      'delivery/terraform-providers.sh',
      'delivery/usage-job-digest.sh',
      'delivery/verify-build.sh',
    ]);
    const result = spawnSync('shellcheck', scripts, { cwd: ROOT, encoding: 'utf8' });
    if (result.error) throw new Error('shellcheck is not installed: run bash .ci/run (apt-get install shellcheck)');
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
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

  // Defect 6: the fork job's job-level `if:` left `plan dev` / `plan prod` unreported for forks.
  // Review finding M3: Dependabot's pull requests (same repository, no OIDC token) failed both checks.
  test('plan runs on pull_request; for forks and Dependabot every matrix check reports, says why, and plans nothing', () => {
    const wf = byName('plan');
    expect(Object.keys(wf.doc.on as object)).toEqual(['pull_request']);
    expect(Object.keys(jobs('plan'))).toEqual(['environments', 'build', 'plan']);
    const { environments, plan } = jobs('plan');
    // The list of environments is read for forks too: no job-level if, no step gated on forks, no credentials.
    expect(environments.if).toBeUndefined();
    expect(environments.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(environments.steps)).not.toContain('fork');
    expect(plan.name).toBe('plan ${{ matrix.environment }}');
    expect(plan.if).toBeUndefined();
    expect(plan.needs).toEqual(['environments', 'build']);
    expect(plan.strategy).toEqual({ 'fail-fast': false, matrix: { environment: '${{ fromJSON(needs.environments.outputs.environments) }}' } });
    const steps = plan.steps as { name: string; if?: string; with?: Record<string, string> }[];
    expect(steps[0].name).toBe('Say why there is no plan');
    for (const { context } of PULL_REQUESTS_WITHOUT_CREDENTIALS) {
      for (const environment of ['dev', 'prod']) {
        const situation = { ...context, 'matrix.environment': environment };
        expect(steps.map((step) => stepMayRun(wf, 'plan', step.name, situation))).toEqual(steps.map((_, i) => i === 0));
      }
    }
    const writer = { 'github.event.pull_request.head.repo.fork': false, 'github.actor': 'octocat', 'matrix.environment': 'dev' };
    expect(stepMayRun(wf, 'plan', 'Say why there is no plan', writer)).toBe(false);
    expect(stepMayRun(wf, 'plan', 'Assume the plan role (OIDC)', writer)).toBe(true);
    expect(steps.find((s) => s.name.startsWith('Plan'))?.with?.lock).toBe('false');
    // Planned with main's provider lock file, never the pull request's.
    expect(steps.find((s) => s.name.startsWith('Plan'))?.with?.['provider-lock-file']).toBe('.main/stacks/.terraform.lock.hcl');
    expect(steps.find((s) => s.name === "Check out main's provider lock file")?.with).toMatchObject({
      ref: '${{ github.event.pull_request.base.sha }}',
      path: '.main',
    });
    expect(wf.text).not.toMatch(/path:\s*\S*tfplan/);
  });

  // Issue 17, part 5: fork and Dependabot pull requests passed the required `plan dev` with no plan.
  test('plan dev fails, saying a maintainer must run it, when no plan ran; prod passes with its notice', () => {
    const wf = byName('plan');
    const explain = (jobs('plan').plan.steps as { name: string; run: string }[]).find((s) => s.name === 'Say why there is no plan')!;
    const script = (reason: string): { code: number; out: string } => {
      const r = spawnSync('bash', ['-e', '-c', explain.run], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', NO_PLAN_REASON: reason, ENVIRONMENT: 'dev', PR_NUMBER: '7', GITHUB_STEP_SUMMARY: '/dev/null' },
      });
      return { code: r.status ?? -1, out: r.stdout };
    };
    for (const reason of ['fork', 'dependabot']) {
      const r = script(reason);
      expect(r.code).toBe(1);
      expect(r.out).toContain('::error title=No plan for dev::no plan ran for this pull request: a maintainer must run it.');
    }
    expect(script('dependabot').out).toContain('add the label plan to this pull request');
    expect(script('fork').out).toContain('git push origin HEAD:refs/heads/fork-pr-7');
    expect(script('not-on-pull-requests')).toMatchObject({
      code: 0,
      out: expect.stringContaining('::notice::dev is not planned on pull requests') as unknown as string,
    });
    // The label starts a run of the maintainer's own.
    expect((wf.doc.on as { pull_request: { types: string[] } }).pull_request.types).toContain('labeled');
  });

  // Review finding M5: any branch's edited plan.yml could read the prod state as the prod plan role.
  test("plan plans on a writer's pull request exactly the environments whose plan role trusts pull requests", () => {
    const wf = byName('plan');
    for (const env of platformConfig.environments) {
      const writer = { 'github.event.pull_request.head.repo.fork': false, 'github.actor': 'octocat', 'matrix.environment': env.name };
      expect({ env: env.name, plans: stepMayRun(wf, 'plan', 'Assume the plan role (OIDC)', writer) }).toEqual({
        env: env.name,
        plans: plansOnPullRequests(env),
      });
      expect({ env: env.name, explains: stepMayRun(wf, 'plan', 'Say why there is no plan', writer) }).toEqual({
        env: env.name,
        explains: !plansOnPullRequests(env),
      });
    }
    expect(platformConfig.environments.filter((e) => !plansOnPullRequests(e)).map((e) => e.name)).toEqual(['prod']);
  });

  test('apply: the head of main only; dev; a prod plan for the reviewers; prod only with changes (Terraform or the usage-job bundle), only the reviewed plan; results reported', () => {
    const { head, dev, 'prod-plan': prodPlan, prod, 'report-dev': reportDev, 'report-prod': reportProd } = jobs('apply');
    expect(Object.keys(byName('apply').doc.on as object).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(byName('apply').doc.concurrency).toBeUndefined();
    expect(head.concurrency).toBeUndefined();
    expect(JSON.stringify(head.steps)).toContain('bash delivery/head-of-main.sh');
    expect(dev).toMatchObject({
      environment: 'dev',
      needs: ['head', 'build', 'dev-plan'],
      concurrency: { group: 'apply-dev', 'cancel-in-progress': false },
    });
    // dev applies only the plan shown for review, bound by digest like prod.
    const devPlan = jobs('apply')['dev-plan'];
    expect(devPlan.environment).toBeUndefined();
    expect(devPlan.outputs).toEqual({ changes: '${{ steps.tf.outputs.changes }}', digest: '${{ steps.tf.outputs.digest }}' });
    const devCheck = (dev.steps as { name: string; env?: Record<string, string> }[]).find((s) => s.name === 'Check the plan is the one shown for review');
    expect(devCheck?.env?.REVIEWED).toBe('${{ needs.dev-plan.outputs.digest }}');
    expect(prodPlan.needs).toEqual(['build', 'dev']);
    expect(prodPlan.environment).toBeUndefined();
    expect(prodPlan.outputs).toEqual({
      changes: '${{ steps.tf.outputs.changes }}',
      digest: '${{ steps.tf.outputs.digest }}',
      'bundle-changed': '${{ steps.bundle.outputs.changed }}',
    });
    expect(JSON.stringify(prodPlan.steps)).toContain('bash delivery/usage-job-digest.sh changed prod \\"$USAGE_JOB_DIGEST\\"');
    expect(prod).toMatchObject({
      environment: 'prod',
      needs: ['head', 'build', 'dev', 'prod-plan'],
      if: "needs.prod-plan.outputs.changes == 'true' || needs.prod-plan.outputs.bundle-changed == 'true'",
      concurrency: { group: 'apply-prod', 'cancel-in-progress': false },
    });
    const names = (job: Record<string, unknown>) => (job.steps as { name: string }[]).map((s) => s.name);
    const prodSteps = names(prod);
    expect(prodSteps.indexOf('Check the plan is the one shown for review')).toBeLessThan(prodSteps.indexOf('Apply'));
    expect(prodSteps.indexOf('Still the head of main')).toBeLessThan(prodSteps.indexOf('Apply'));
    expect(prodSteps.slice(prodSteps.indexOf('Apply') + 1)).toEqual(['Release the state lock if this job left it', 'Smoke test']);
    expect(names(dev).slice(-4)).toEqual(['Still the head of main', 'Apply', 'Release the state lock if this job left it', 'Smoke test']);
    expect(reportDev).toMatchObject({ if: 'always()', needs: ['head', 'build', 'dev-plan', 'dev', 'prod-plan'] });
    expect(reportProd).toMatchObject({
      if: "always() && (needs.prod-plan.outputs.changes == 'true' || needs.prod-plan.outputs.bundle-changed == 'true')",
      needs: ['build', 'prod-plan', 'prod'],
    });
    // The setup check runs first, before any job can assume a role.
    expect((head.steps as { run?: string }[])[1].run).toBe('bash delivery/setup-check.sh');
  });

  test('usage is hourly off the hour, dispatchable with environment, month and dry-run, one run per environment', () => {
    const on = byName('usage').doc.on as { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, unknown> } };
    expect(on.schedule).toEqual([{ cron: '17 * * * *' }]);
    expect(Object.keys(on.workflow_dispatch.inputs)).toEqual(['environment', 'month', 'dry-run']);
    expect(on.workflow_dispatch.inputs.environment).toMatchObject({ type: 'string', default: 'all' });
    expect(jobs('usage').usage.needs).toEqual(['environments', 'build', 'bundle']);
    expect(jobs('usage').usage.concurrency).toEqual({ group: 'usage-${{ matrix.environment }}', 'cancel-in-progress': false });
    expect(byName('usage').text).toContain('node "$RUNNER_TEMP/usage-job.cjs" usage --engine athena --env "$ENVIRONMENT" --month "$month"');
  });

  // Issue 19: a merge waiting for prod's approval changes nothing in prod's bills.
  test("usage runs each environment's deployed commit: bundled without credentials, checked against the apply's record", () => {
    const all = jobs('usage');
    const deployedCommit = '${{ fromJSON(needs.environments.outputs.deployed)[matrix.environment] }}';
    const find = all.environments.steps as { id?: string; run?: string }[];
    expect(find.find((s) => s.id === 'deployed')?.run).toContain('bash delivery/usage-job-digest.sh deployed "$env"');
    expect(all.bundle).toMatchObject({ needs: 'environments', 'continue-on-error': true, permissions: { contents: 'read' }, env: { COMMIT: deployedCommit } });
    const bundleSteps = all.bundle.steps as { uses?: string; with?: Record<string, string> }[];
    expect(bundleSteps.find((s) => (s.uses ?? '').startsWith('actions/checkout'))?.with).toMatchObject({ ref: '${{ env.COMMIT }}' });
    expect(bundleSteps.find((s) => s.uses === './.github/actions/build')?.with).toMatchObject({ 'usage-job': 'true' });
    expect(all.usage.env).toEqual({ COMMIT: deployedCommit });
    const usageSteps = all.usage.steps as { name: string; run?: string }[];
    const check = usageSteps.findIndex((s) => s.name === 'Run only the usage-job bundle the apply deployed');
    expect(usageSteps[check].run).toContain('bash delivery/usage-job-digest.sh check "$ENVIRONMENT" "$(sha256sum "$BUNDLE" | cut -d\' \' -f1)" "$COMMIT"');
    expect(check).toBeLessThan(usageSteps.findIndex((s) => s.name === 'Assume the usage-job role (OIDC)'));
  });

  // Defect 9: the invoice of record lived only in a 90-day artifact, and the dry run wrote state.
  test('usage stores invoice lines in the usage bucket with the run id, and a dry run writes nothing', () => {
    const steps = jobs('usage').usage.steps as { name: string; if?: string; run?: string; uses?: string }[];
    const run = steps.find((s) => s.name === 'Run the usage job')!.run!;
    expect(run).toContain(
      'if [ "$DRY_RUN" = true ]; then args+=(--dry-run); else args+=(--invoice "$RUNNER_TEMP/invoices/invoice-$ENVIRONMENT-$month.csv"); fi',
    );
    const store = steps.find((s) => s.name === 'Store the invoice of record in the usage bucket')!;
    expect(store.if).toBe('inputs.dry-run != true');
    expect(store.run).toContain('node "$RUNNER_TEMP/usage-job.cjs" store-invoice --env "$ENVIRONMENT" --month "$month" --file "$file"');
    expect(store.run).toContain('--run-id "$GITHUB_RUN_ID" --run-attempt "$GITHUB_RUN_ATTEMPT" --commit "$COMMIT"');
    // Invoice lines name customers and their usage: never an artifact anyone with read access can download.
    expect(steps.filter((s) => (s.uses ?? '').startsWith('actions/upload-artifact'))).toEqual([]);
    expect(steps.at(-1)).toMatchObject({
      name: 'Open or close the usage-job failure issue',
      if: "always() && github.event_name == 'schedule' && job.status != 'cancelled' && steps.prep.outcome == 'success'",
    });
    // The usage-job bundle runs only after its digest matched the one the apply recorded.
    const names = steps.map((s) => s.name);
    expect(names.indexOf('Run only the usage-job bundle the apply deployed')).toBeLessThan(names.indexOf('Assume the usage-job role (OIDC)'));
    expect(steps.find((s) => s.name === 'Run only the usage-job bundle the apply deployed')?.run).toContain('bash delivery/usage-job-digest.sh check');
  });

  test('drift plans daily without the lock and keeps one issue per environment', () => {
    const on = byName('drift').doc.on as { schedule: { cron: string }[] };
    expect(on.schedule).toHaveLength(1);
    const plan = actions.find((a) => a.file.endsWith('terraform-plan/action.yml'))!;
    expect(plan.text).toContain('args=(-input=false -no-color -detailed-exitcode -out=tfplan)');
    expect(plan.text).toContain('args+=(-lock=false)');
    const steps = jobs('drift').drift.steps as { name: string; if?: string; run?: string; with?: Record<string, string> }[];
    expect(steps.find((s) => s.name === 'Plan (no state lock)')?.with?.lock).toBe('false');
    expect(steps.find((s) => s.name === 'Open, update or close the drift issue')?.run).toContain('node "$TOOLS" report drift --environment "$ENVIRONMENT"');
    expect(steps.at(-1)).toMatchObject({ if: "failure() && steps.prep.outcome == 'success'" });
  });

  // Issue 17, part 6: the bootstrap stacks had local state and no drift check.
  test('drift plans every bootstrap stack read-only, with the drift role of its account, and reports it like an environment', () => {
    const { build, bootstrap } = jobs('drift');
    expect(build.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(build.steps)).toContain('npm run --silent delivery:bootstrap-targets');
    expect(bootstrap).toMatchObject({
      needs: 'build',
      permissions: { contents: 'read', 'id-token': 'write', issues: 'write' },
      strategy: { 'fail-fast': false, matrix: { target: '${{ fromJSON(needs.build.outputs.bootstrap-targets) }}' } },
    });
    const steps = bootstrap.steps as { name: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }[];
    const resolve = steps.find((s) => s.name === 'Resolve the bootstrap drift role')!;
    const accepts = (arn: string): boolean =>
      spawnSync('bash', ['-e', '-c', resolve.run!], { env: { PATH: process.env.PATH ?? '', ROLE_ARN: arn, GITHUB_OUTPUT: '/dev/null' } }).status === 0;
    expect(accepts('arn:aws:iam::111111111111:role/ubb-github-bootstrap-drift')).toBe(true);
    expect(accepts('arn:aws:iam::111111111111:role/ubb-dev-github-apply')).toBe(false);
    expect(steps.find((s) => s.name === 'Plan (no state lock)')?.with).toMatchObject({ lock: 'false', 'stack-dir': '${{ matrix.target.stackDir }}' });
    expect(steps.find((s) => s.name === 'Open, update or close the drift issue')?.run).toContain(
      'node "$TOOLS" report drift --environment "$STACK" --run-url "$RUN_URL" --plan-json "$json"',
    );
  });

  test('unlock: by hand, in the environment, in a queue of its own, guarded', () => {
    const on = byName('unlock').doc.on as { workflow_dispatch: { inputs: Record<string, unknown> } };
    expect(Object.keys(byName('unlock').doc.on as object)).toEqual(['workflow_dispatch']);
    expect(Object.keys(on.workflow_dispatch.inputs)).toEqual(['environment', 'lock-id', 'min-age-minutes']);
    expect(on.workflow_dispatch.inputs.environment).toMatchObject({ type: 'string', required: true });
    // The name is checked against .github/environments.json before the job that names the environment.
    expect(jobs('unlock').environments.environment).toBeUndefined();
    expect(jobs('unlock').unlock).toMatchObject({
      needs: ['environments', 'build'],
      environment: '${{ inputs.environment }}',
      concurrency: { group: 'unlock-${{ inputs.environment }}', 'cancel-in-progress': false },
    });
    const text = byName('unlock').text;
    expect(text.indexOf('bash delivery/no-apply-running.sh "$ENVIRONMENT"')).toBeLessThan(text.indexOf('force-unlock -force "$id"'));
    expect(text.indexOf('node "$TOOLS" lock guard')).toBeLessThan(text.indexOf('force-unlock -force "$id"'));
  });

  test('ci validates every stack and the provider lock file, outside the test container', () => {
    const { terraform } = jobs('ci');
    expect(terraform.container).toBeUndefined();
    const runs = JSON.stringify(terraform.steps);
    expect(runs).toContain('bash delivery/terraform-providers.sh check-lock');
    expect(runs).toContain('bash delivery/terraform-providers.sh validate');
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
  'apply-one-queue.yml': 'apply-concurrency',
  'fork-skipped-matrix.yml': 'matrix-checks-report',
  'dependabot-red-plan.yml': 'pr-without-credentials',
  'pr-plan-takes-lock.yml': 'review-plan-lock',
  'apply-kills-terraform.yml': 'apply-cancel-safe',
  'apply-any-commit.yml': 'apply-head-only',
  'apply-unreviewed-prod.yml': 'reviewed-plan',
  'apply-unreviewed-dev.yml': 'reviewed-plan',
  'apply-prod-always-waits.yml': 'prod-skips-empty-plan',
  'apply-ungated-bundle.yml': 'prod-bundle-gated',
  'apply-silent.yml': 'results-reported',
  'drift-silent.yml': 'results-reported',
  'uploads-plan-file.yml': 'no-plan-file-artifact',
  'ci-without-terraform.yml': 'terraform-validated',
  'node-20.yml': 'node-24',
  'plan-hard-coded-environments.yml': 'environment-coverage',
  'unlock-choice-environment.yml': 'environment-coverage',
  'credentialed-npm.yml': 'credentialed-job-runs-no-npm',
  'credentialed-unverified-build.yml': 'credentialed-job-verifies-build',
  'npm-install-scripts.yml': 'npm-ci-ignore-scripts',
};

describe('each rule fails on a workflow broken on purpose', () => {
  test('every broken fixture is covered', () => {
    const files = readdirSync(BROKEN_DIR).filter((f) => f.endsWith('.yml') && f !== 'actionlint-errors.yml');
    expect(files.sort()).toEqual(Object.keys(BROKEN).sort());
  });

  test.each(Object.entries(BROKEN))('%s breaks %s, and only that rule', (file, rule) => {
    const wf = load(join(BROKEN_DIR, file));
    const setupTerraform = actions.filter((a) => a.file.includes('setup-terraform'));
    const violations = [...checkWorkflow(wf, localActions(actions)), ...checkTerraformPin([wf, ...setupTerraform])];
    expect(violations.length).toBeGreaterThan(0);
    expect(format(violations.filter((v) => v.rule !== rule))).toBe('');
  });

  test('the messages say what to change', () => {
    const messages = (file: string): string =>
      format([...checkWorkflow(load(join(BROKEN_DIR, file)), localActions(actions)), ...checkTerraformPin([load(join(BROKEN_DIR, file))])]);
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
    expect(messages('apply-one-queue.yml')).toContain('no workflow-level concurrency');
    expect(messages('fork-skipped-matrix.yml')).toContain('job plan: a matrix job skipped by a job-level if reports one check under its unexpanded name');
    expect(messages('dependabot-red-plan.yml')).toContain('job plan, step 3 (Assume the plan role (OIDC)): runs for a Dependabot pull request');
    expect(messages('dependabot-red-plan.yml')).toContain('job plan: no step says in the job summary why a Dependabot pull request gets no plan');
    expect(messages('dependabot-red-plan.yml')).not.toContain('from a fork');
    expect(messages('pr-plan-takes-lock.yml')).toContain("a review plan never takes the state lock (lock: 'false')");
    expect(messages('pr-plan-takes-lock.yml')).toContain('terraform plan outside an apply job runs with -lock=false');
    expect(messages('apply-kills-terraform.yml')).toContain('apply through `exec bash delivery/terraform-apply.sh "$STACK_DIR"`');
    expect(messages('apply-any-commit.yml')).toContain('offer workflow_dispatch');
    expect(messages('apply-any-commit.yml')).toContain('job dev must run delivery/head-of-main.sh again right before it applies');
    expect(messages('apply-unreviewed-prod.yml')).toContain('job prod: must compare needs.prod-plan.outputs.digest with its own plan');
    expect(messages('apply-unreviewed-dev.yml')).toContain('job dev: must need a plan job without environment that outputs the reviewed plan digest');
    expect(messages('apply-unreviewed-dev.yml')).not.toContain('job prod:');
    expect(messages('apply-prod-always-waits.yml')).toContain('skip it when the reviewed prod plan has no changes');
    const ungated = messages('apply-ungated-bundle.yml');
    expect(ungated).toContain('job prod-plan must output bundle-changed from delivery/usage-job-digest.sh changed prod');
    expect(ungated).toContain("job prod: must also run when the usage-job bundle changed (if: ... || needs.prod-plan.outputs.bundle-changed == 'true')");
    expect(ungated).toContain(
      'job report-dev, step "Record the usage-job bundle dev (and an unchanged prod) now run" records prod\'s usage-job status without the prod job',
    );
    expect(ungated).not.toContain('job report-prod');
    expect(messages('drift-silent.yml')).toContain('delivery:report -- drift');
    expect(messages('uploads-plan-file.yml')).toContain('the binary plan file holds the state in clear text');
    expect(messages('node-20.yml')).toContain('node-version 20; use 24');
    expect(messages('node-20.yml')).toContain('container node:20-bookworm; use node:24-*');
    expect(messages('plan-hard-coded-environments.yml')).toContain('job plan: matrix environment ["dev","prod"] is not read from .github/environments.json');
    expect(messages('plan-hard-coded-environments.yml')).toContain('${{ fromJSON(needs.<that job>.outputs.environments) }}');
    const npm = messages('credentialed-npm.yml');
    expect(npm).toContain('job drift, step "Prepare and synthesize" (through ./.github/actions/prepare): runs npm in a job with id-token: write');
    expect(npm).toContain('job drift, step "Who am I": runs npx in a job with id-token: write');
    const unverified = messages('credentialed-unverified-build.yml');
    expect(unverified).toContain(
      'job plan: job plan, step "Init and validate" runs the build before its digest is verified: start with ./.github/actions/use-build',
    );
    expect(unverified).toContain('job plan: job plan, step "Init and validate" inits Terraform on JSON not checked by delivery/terraform-json-guard.sh');
    expect(unverified).toContain('job again: the digest comes from job plan, which is not a build job without credentials');
    const scripts = messages('npm-install-scripts.yml');
    expect(scripts).toContain('npm ci --no-audit --no-fund: add --ignore-scripts');
    expect(scripts).toContain('npm i is-odd: add --ignore-scripts');
    expect(scripts).not.toContain('left-pad');
    const unlock = messages('unlock-choice-environment.yml');
    expect(unlock).toContain('workflow_dispatch input environment is a choice: its options are a static copy');
    expect(unlock).toContain('no job checks inputs.environment against .github/environments.json');
    expect(unlock).toContain('job unlock: uses inputs.environment, so it must need the job that checks it');
  });

  test('actionlint rejects a workflow with schema and reference errors', () => {
    const result = actionlint([rel(join(BROKEN_DIR, 'actionlint-errors.yml'))]);
    expect(result.ok).toBe(false);
    const text = result.problems.join('\n');
    expect(text).toContain('"runs-on" section is missing');
    expect(text).toContain('needs job "nothing" which does not exist');
  });

  test('environment coverage: a new environment needs the regenerated file and an apply stage, nothing else', () => {
    const withStaging = [...deployedEnvironmentNames(), 'staging'];
    const stale = checkEnvironmentCoverage(workflows, readEnvironmentsFile(), withStaging);
    expect(stale.map((v) => v.file).sort()).toEqual(['.github/environments.json', '.github/workflows/apply.yml']);
    expect(format(stale)).toContain(`config/environments.ts deploys ${JSON.stringify(withStaging)}: run npm run delivery:environments`);
    const regenerated = checkEnvironmentCoverage(workflows, `${JSON.stringify(withStaging)}\n`, withStaging);
    expect(regenerated.map((v) => v.file)).toEqual(['.github/workflows/apply.yml']);
    expect(format(regenerated)).toContain('each environment is a stage of its own in apply.yml');
  });

  test('environment coverage notices a workflow that stops reading the file, and a missing file', () => {
    const names = deployedEnvironmentNames();
    const broken = (file: string): YamlFile => ({ ...load(join(BROKEN_DIR, file)), file: `.github/workflows/${file}` });
    const swapped = workflows.map((w) =>
      w.doc.name === 'plan' ? broken('plan-hard-coded-environments.yml') : w.doc.name === 'unlock' ? broken('unlock-choice-environment.yml') : w,
    );
    expect(checkEnvironmentCoverage(swapped, readEnvironmentsFile(), names).map((v) => v.file)).toEqual([
      '.github/workflows/plan-hard-coded-environments.yml',
      '.github/workflows/unlock-choice-environment.yml',
    ]);
    expect(format(checkEnvironmentCoverage(workflows, undefined, names))).toContain('.github/environments.json [environment-coverage] lists nothing (missing)');
  });

  test('a composite action that installs Terraform elsewhere breaks the one-pin rule', () => {
    const rogue = loadYaml(
      '.github/actions/rogue/action.yml',
      'name: rogue\ndescription: x\nruns:\n  using: composite\n  steps:\n    - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2\n',
    );
    expect(checkTerraformPin([...actions, rogue]).map((v) => v.file)).toEqual(['.github/actions/rogue/action.yml']);
  });
});

test('.ci/run installs npm packages without their install scripts, like every workflow', () => {
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  expect(ci).toMatch(/^npm ci --ignore-scripts\b/m);
  expect(npmInstallProblems(ci)).toEqual([]);
  expect(npmInstallProblems('npm ci --no-audit\n')).toHaveLength(1);
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
