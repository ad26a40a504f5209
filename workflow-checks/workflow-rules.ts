/**
 * The repository's rules for GitHub Actions workflows and composite actions, checked on the parsed
 * YAML (the `yaml` package) after actionlint has accepted the files. Each rule has an id; a rule
 * returns one violation per offending place, with a message that says what to change.
 *
 * Facts the rules rest on (docs.github.com):
 * - `permissions: {}` at the top level gives the GITHUB_TOKEN no scopes; a job's own `permissions`
 *   replaces it for that job. OIDC needs `id-token: write`
 *   (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
 * - `pull_request_target` runs with the base repository's token and secrets on a PR's trigger:
 *   never used here.
 * - Pinning an action to a full-length commit SHA is the only immutable reference
 *   (https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions).
 * - `${{ }}` in a `run:` script is substituted before the shell sees it (script injection), so
 *   untrusted or secret values go through `env:` instead.
 * - A matrix job skipped by a job-level `if:` is never expanded: it reports one check under its
 *   unexpanded name, so required checks named after the matrix never report
 *   (https://github.com/actions/runner/issues/952). Steps are gated instead.
 * - When a run is cancelled the runner signals the step's process (SIGINT, 7.5 s, SIGTERM, 2.5 s,
 *   then kills that process; actions/runner src/Runner.Sdk/ProcessInvoker.cs), never a grandchild
 *   such as terraform, which dies at the job's end: applies go through delivery/terraform-apply.sh.
 * - Concurrency groups hold at most one running and one pending job; a workflow-level group queues
 *   every job of every run behind the one that waits for an approval
 *   (https://docs.github.com/en/actions/using-jobs/using-concurrency).
 * - A matrix can be built from an earlier job's output with fromJSON
 *   (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations#using-an-output-to-define-two-matrices);
 *   a `workflow_dispatch` choice input's `options` are a literal list in the workflow file
 *   (actionlint 1.7.12 rejects an expression there: "options" section must be sequence node).
 * - A job that names a GitHub environment that does not exist makes GitHub create it, with no
 *   protection rules (github/docs#3126), so a dispatched name is checked before a job uses it.
 */
import { parse } from 'yaml';
import { fixedValue, mayRun, type ExprValue } from './workflow-expressions';

export type RuleId =
  | 'pinned-actions'
  | 'top-level-permissions'
  | 'job-permissions'
  | 'job-timeout'
  | 'no-pull-request-target'
  | 'apply-concurrency'
  | 'prod-gated'
  | 'schedule-off-the-hour'
  | 'run-script-hygiene'
  | 'checkout-credentials'
  | 'terraform-version-pin'
  | 'environment-coverage'
  | 'matrix-checks-report'
  | 'pr-without-credentials'
  | 'review-plan-lock'
  | 'apply-cancel-safe'
  | 'apply-head-only'
  | 'reviewed-plan'
  | 'prod-skips-empty-plan'
  | 'prod-bundle-gated'
  | 'results-reported'
  | 'no-plan-file-artifact'
  | 'terraform-validated'
  | 'node-24'
  | 'credentialed-job-runs-no-npm'
  | 'credentialed-job-verifies-build'
  | 'npm-ci-ignore-scripts'
  | 'codeowners-coverage';

export interface Violation {
  readonly file: string;
  readonly rule: RuleId;
  readonly message: string;
}

/** A workflow or composite action file: its path (for messages), raw text and parsed document. */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Record<string, unknown>;
}

export function loadYaml(file: string, text: string): YamlFile {
  const doc: unknown = parse(text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`${file}: a workflow or action must be a YAML mapping`);
  }
  return { file, text, doc: doc as Record<string, unknown> };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

interface Step {
  readonly where: string;
  readonly step: Obj;
}

function jobsOf(wf: YamlFile): [string, Obj][] {
  return Object.entries(asObj(wf.doc.jobs)).map(([id, job]) => [id, asObj(job)]);
}

function stepsOf(wf: YamlFile): Step[] {
  if (isObj(wf.doc.runs)) {
    return asList(asObj(wf.doc.runs).steps).map((s, i) => ({ where: `step ${i + 1}`, step: asObj(s) }));
  }
  return jobsOf(wf).flatMap(([id, job]) => asList(job.steps).map((s, i) => ({ where: `job ${id}, step ${i + 1}`, step: asObj(s) })));
}

function jobSteps(job: Obj): Obj[] {
  return asList(job.steps).map(asObj);
}

function usesOf(step: Obj): string | undefined {
  return typeof step.uses === 'string' ? step.uses : undefined;
}

function actionName(uses: string): string {
  return uses.split('@')[0];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Third-party actions and reusable workflows are pinned to a 40-hex commit SHA with a `# vX.Y.Z` comment. */
function pinnedActions(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  const uses: { where: string; ref: string }[] = stepsOf(wf).flatMap(({ where, step }) => {
    const ref = usesOf(step);
    return ref === undefined ? [] : [{ where, ref }];
  });
  for (const [id, job] of jobsOf(wf)) if (typeof job.uses === 'string') uses.push({ where: `job ${id}`, ref: job.uses });
  for (const { where, ref } of uses) {
    if (ref.startsWith('./')) continue;
    if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) {
        out.push({ file: wf.file, rule: 'pinned-actions', message: `${where}: ${ref} must be pinned by @sha256 digest` });
      }
      continue;
    }
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref)) {
      out.push({
        file: wf.file,
        rule: 'pinned-actions',
        message: `${where}: ${ref} must be pinned to a full 40-character commit SHA (owner/repo@<sha> # vX.Y.Z)`,
      });
      continue;
    }
    const line = new RegExp(`uses:\\s*['"]?${escapeRegExp(ref)}['"]?\\s+#\\s*v\\d+(\\.\\d+){0,2}\\b`);
    if (!wf.text.split('\n').some((l) => line.test(l))) {
      out.push({ file: wf.file, rule: 'pinned-actions', message: `${where}: ${ref} needs a version comment such as "# v1.2.3" on its line` });
    }
  }
  return out;
}

function topLevelPermissions(wf: YamlFile): Violation[] {
  const p = wf.doc.permissions;
  if (isObj(p) && Object.keys(p).length === 0) return [];
  return [{ file: wf.file, rule: 'top-level-permissions', message: 'the workflow must declare `permissions: {}` at the top level' }];
}

const CONFIGURE_AWS = 'aws-actions/configure-aws-credentials';
const GITHUB_SCRIPT = 'actions/github-script';
const PLAN_ACTION = './.github/actions/terraform-plan';

function runText(step: Obj): string {
  return typeof step.run === 'string' ? step.run : '';
}

/**
 * A step that reports through delivery/github-report.ts: `npm run --silent delivery:report -- <command>`
 * in a job without credentials, or `node "$TOOLS" report <command>` on the verified tools bundle.
 */
function reports(job: Obj, command?: string): boolean {
  const pattern = new RegExp(`(?:delivery:report\\s+--|\\bnode\\s+"?\\$\\{?TOOLS\\}?"?\\s+report)\\s+${command ?? '\\w+'}\\b`);
  return jobSteps(job).some((s) => pattern.test(runText(s)));
}

function assumesRole(job: Obj): boolean {
  return jobSteps(job).some((s) => actionName(usesOf(s) ?? '') === CONFIGURE_AWS);
}

function commentsOnPullRequests(job: Obj): boolean {
  return (
    reports(job, 'apply') ||
    jobSteps(job).some((s) => {
      if (actionName(usesOf(s) ?? '') === GITHUB_SCRIPT) {
        return /\b(createComment|updateComment)\b/.test(String(asObj(s.with).script ?? ''));
      }
      return /\bgh\s+pr\s+comment\b/.test(runText(s));
    })
  );
}

function managesIssues(job: Obj): boolean {
  return reports(job);
}

/** Every job states its permissions; write scopes only where needed (OIDC, PR comments). */
function jobPermissions(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  for (const [id, job] of jobsOf(wf)) {
    const v = (message: string): void => void out.push({ file: wf.file, rule: 'job-permissions', message: `job ${id}: ${message}` });
    if (!('permissions' in job)) {
      v('declare `permissions:` (the least it needs, `{}` for none)');
      continue;
    }
    const p = job.permissions;
    if (!isObj(p)) {
      v(`permissions must be a mapping of scopes, not ${JSON.stringify(p)}`);
      continue;
    }
    for (const [scope, level] of Object.entries(p)) {
      if (level !== 'read' && level !== 'write' && level !== 'none') v(`permission ${scope}: ${String(level)} is not read, write or none`);
      if (level !== 'write') continue;
      if (scope === 'id-token') {
        if (!assumesRole(job)) v('id-token: write without a configure-aws-credentials step');
      } else if (scope === 'pull-requests') {
        if (!commentsOnPullRequests(job)) v('pull-requests: write without a step that comments on the pull request');
      } else if (scope === 'issues') {
        if (!managesIssues(job)) v('issues: write without a step that reports through delivery:report');
      } else if (scope === 'statuses') {
        if (!jobSteps(job).some((st) => /delivery\/usage-job-digest\.sh record\b/.test(runText(st))))
          v('statuses: write without a step that records the usage-job bundle (delivery/usage-job-digest.sh record)');
      } else {
        v(`${scope}: write is not needed by any job in this repository`);
      }
    }
    if (assumesRole(job) && p['id-token'] !== 'write') v('assumes an AWS role, so it needs id-token: write');
  }
  return out;
}

function jobTimeout(wf: YamlFile): Violation[] {
  return jobsOf(wf)
    .filter(([, job]) => typeof job['timeout-minutes'] !== 'number' || (job['timeout-minutes'] as number) <= 0 || (job['timeout-minutes'] as number) > 120)
    .map(([id]) => ({ file: wf.file, rule: 'job-timeout' as const, message: `job ${id}: set timeout-minutes (1 to 120)` }));
}

function triggers(wf: YamlFile): string[] {
  const on = wf.doc.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys(asObj(on));
}

function noPullRequestTarget(wf: YamlFile): Violation[] {
  return triggers(wf).includes('pull_request_target')
    ? [
        {
          file: wf.file,
          rule: 'no-pull-request-target',
          message: "pull_request_target runs PR-triggered code with this repository's credentials: use pull_request",
        },
      ]
    : [];
}

function isApplyWorkflow(wf: YamlFile): boolean {
  return wf.doc.name === 'apply';
}

/** A step that runs `terraform ... apply` in any form (delivery/terraform-apply.sh included). */
function isApplyStep(step: Obj): boolean {
  return /\bterraform\b[^\n]*\bapply\b/.test(runText(step));
}

function applyJobsOf(wf: YamlFile): [string, Obj][] {
  return jobsOf(wf).filter(([, job]) => jobSteps(job).some(isApplyStep));
}

/**
 * One queue per environment, never cancelled: each applying job has its own job-level concurrency
 * group naming its environment, with cancel-in-progress: false, and there is no workflow-level group
 * (which would hold every later run, dev included, behind a prod approval).
 */
function applyConcurrency(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  const out: Violation[] = [];
  const v = (message: string): void => void out.push({ file: wf.file, rule: 'apply-concurrency', message });
  if (wf.doc.concurrency !== undefined)
    v('no workflow-level concurrency: it queues every run (dev included) behind a prod job waiting for approval; give each apply job its own group');
  for (const [id, job] of applyJobsOf(wf)) {
    const c = asObj(job.concurrency);
    const env = environmentName(job);
    if (env === undefined) continue; // prod-gated: an apply job always runs in an environment
    if (typeof c.group !== 'string' || !c.group.includes(env) || c['cancel-in-progress'] !== false) {
      v(`job ${id}: needs a concurrency group of its own environment (e.g. apply-${env}) with cancel-in-progress: false; an apply is never cancelled midway`);
    }
  }
  return out;
}

function environmentName(job: Obj): string | undefined {
  const e = job.environment;
  if (typeof e === 'string') return e;
  if (isObj(e) && typeof e.name === 'string') return e.name;
  return undefined;
}

function needsOf(job: Obj): string[] {
  return typeof job.needs === 'string' ? [job.needs] : asList(job.needs).map(String);
}

/** prod is applied only behind the `prod` environment and only after dev. */
function prodGated(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  const out: Violation[] = [];
  const jobs = jobsOf(wf);
  const devJob = jobs.find(([, job]) => environmentName(job) === 'dev')?.[0];
  const applyJobs = applyJobsOf(wf);
  for (const [id, job] of applyJobs) {
    const env = environmentName(job);
    if (env === undefined) out.push({ file: wf.file, rule: 'prod-gated', message: `job ${id} applies without a GitHub environment` });
    if (env === 'prod' && (devJob === undefined || !needsOf(job).includes(devJob))) {
      out.push({ file: wf.file, rule: 'prod-gated', message: `job ${id} applies prod but does not need the dev job` });
    }
  }
  if (!applyJobs.some(([, job]) => environmentName(job) === 'prod')) {
    out.push({ file: wf.file, rule: 'prod-gated', message: 'no job applies prod behind `environment: prod`' });
  }
  return out;
}

/** True when a cron minute field can fire at minute 0. */
export function firesOnTheHour(minuteField: string): boolean {
  return minuteField.split(',').some((part) => {
    const range = part.split('/')[0];
    // "*" and "*/n" include 0; "a", "a-b" and "a-b/n" start at a.
    return range === '*' || Number(range.split('-')[0]) === 0;
  });
}

function scheduleOffTheHour(wf: YamlFile): Violation[] {
  return asList(asObj(wf.doc.on).schedule).flatMap((entry) => {
    const cron = String(asObj(entry).cron ?? '');
    const minute = cron.trim().split(/\s+/)[0] ?? '';
    return firesOnTheHour(minute)
      ? [{ file: wf.file, rule: 'schedule-off-the-hour' as const, message: `cron "${cron}" runs at minute 0, GitHub's busiest minute: pick another minute` }]
      : [];
  });
}

const SECRETISH = /\$\{?[A-Za-z_]*(key|secret|token|password|passwd|credential)[A-Za-z_]*\}?/i;

/** No secret or key value reaches the log, and no expression is pasted into a shell script. */
function runScriptHygiene(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  for (const { where, step } of stepsOf(wf)) {
    if (typeof step.run !== 'string') continue;
    const v = (message: string): void => void out.push({ file: wf.file, rule: 'run-script-hygiene', message: `${where}: ${message}` });
    const script = step.run;
    if (/\$\{\{\s*secrets\./.test(script)) v('a secret is pasted into the script; pass it through env: and never print it');
    if (/\$\{\{[^}]*\b(github\.event\.|inputs\.|github\.head_ref)/.test(script)) {
      v('an event or input value is pasted into the script (script injection); pass it through env:');
    }
    for (const raw of script.split('\n')) {
      const line = raw.trim();
      if (/^set\s+-[a-z]*x/.test(line) || /\bset\s+-o\s+xtrace\b/.test(line)) v('xtrace (set -x) prints every expanded command, key values included');
      if (/--include-value\b/.test(line) && !/=\s*"?\$\(/.test(line)) v('a key fetched with --include-value must be captured into a variable, not printed');
      const printsSecret = /^(echo|printf)\b/.test(line) && SECRETISH.test(line) && !line.includes('::add-mask::');
      const toFile = /[^>]>\s*"?\$?\{?[A-Za-z_]/.test(line) && !/GITHUB_STEP_SUMMARY/.test(line);
      if (printsSecret && !toFile) v(`prints a key-like variable: ${line}`);
    }
  }
  return out;
}

function checkoutCredentials(wf: YamlFile): Violation[] {
  return stepsOf(wf)
    .filter(({ step }) => actionName(usesOf(step) ?? '') === 'actions/checkout' && asObj(step.with)['persist-credentials'] !== false)
    .map(({ where }) => ({ file: wf.file, rule: 'checkout-credentials' as const, message: `${where}: actions/checkout needs persist-credentials: false` }));
}

/** Required checks named after a matrix must report: no job-level `if:` on a matrix job. */
function matrixChecksReport(wf: YamlFile): Violation[] {
  return jobsOf(wf)
    .filter(([, job]) => isObj(asObj(job.strategy).matrix) && job.if !== undefined)
    .map(([id]) => ({
      file: wf.file,
      rule: 'matrix-checks-report' as const,
      message: `job ${id}: a matrix job skipped by a job-level if reports one check under its unexpanded name, so required checks never report; gate its steps instead`,
    }));
}

/**
 * Pull requests that get no AWS credentials: from a fork, or opened (or re-run) by Dependabot.
 * Dependabot's pull_request runs are treated like a fork's: a read-only GITHUB_TOKEN and no
 * Actions secrets, "even if the workflow is re-run by a different actor"; github.actor is
 * 'dependabot[bot]' (https://docs.github.com/en/code-security/dependabot/troubleshooting-dependabot/troubleshooting-dependabot-on-github-actions).
 * Neither gets an OIDC token (no ACTIONS_ID_TOKEN_REQUEST_URL), so configure-aws-credentials fails.
 */
export const PULL_REQUESTS_WITHOUT_CREDENTIALS: readonly { readonly who: string; readonly context: Readonly<Record<string, ExprValue>> }[] = [
  {
    who: 'a pull request from a fork',
    context: {
      'github.event.pull_request.head.repo.fork': true,
      'github.actor': 'octocat',
      'github.triggering_actor': 'octocat',
      'github.event.pull_request.user.login': 'octocat',
    },
  },
  {
    who: 'a Dependabot pull request',
    context: {
      'github.event.pull_request.head.repo.fork': false,
      'github.actor': 'dependabot[bot]',
      'github.triggering_actor': 'dependabot[bot]',
      'github.event.pull_request.user.login': 'dependabot[bot]',
    },
  },
];

/** The situation `context` describes, plus the job's `env:` entries whose value it fixes (env is readable in step conditions). */
function withJobEnv(job: Obj, context: Readonly<Record<string, ExprValue>>): Record<string, ExprValue> {
  const out: Record<string, ExprValue> = { ...context };
  for (const [key, raw] of Object.entries(asObj(job.env))) {
    const value = fixedValue(String(raw), context);
    if (value !== undefined) out[`env.${key}`] = value;
  }
  return out;
}

/** Whether the job named `jobId` can run the step named `stepName` in the situation `context` (github.*, matrix.* ... values). */
export function stepMayRun(wf: YamlFile, jobId: string, stepName: string, context: Readonly<Record<string, ExprValue>>): boolean {
  const job = asObj(asObj(wf.doc.jobs)[jobId]);
  const step = jobSteps(job).find((s) => s.name === stepName);
  if (!step) throw new Error(`${wf.file}: job ${jobId} has no step named "${stepName}"`);
  return mayRun(job.if as string | boolean | undefined, context) && mayRun(step.if as string | boolean | undefined, withJobEnv(job, context));
}

function writesSummary(step: Obj): boolean {
  return /GITHUB_STEP_SUMMARY/.test(runText(step));
}

/**
 * A job that assumes an AWS role on pull requests skips, for forks and for Dependabot, every step
 * from the role's assumption on and every step that comments (they would fail and turn the
 * required check red), and says why in the job summary, so its check still reports.
 */
function prWithoutCredentials(wf: YamlFile): Violation[] {
  if (!triggers(wf).includes('pull_request')) return [];
  const out: Violation[] = [];
  for (const [id, job] of jobsOf(wf)) {
    const steps = jobSteps(job);
    const assumeAt = steps.findIndex((s) => actionName(usesOf(s) ?? '') === CONFIGURE_AWS);
    if (assumeAt < 0) continue;
    for (const { who, context } of PULL_REQUESTS_WITHOUT_CREDENTIALS) {
      if (!mayRun(job.if as string | boolean | undefined, context)) continue;
      const known = withJobEnv(job, context);
      const runs = (step: Obj): boolean => mayRun(step.if as string | boolean | undefined, known);
      for (const [i, step] of steps.entries()) {
        const needsCredentials = i >= assumeAt || commentsOnPullRequests({ steps: [step] });
        if (needsCredentials && runs(step)) {
          out.push({
            file: wf.file,
            rule: 'pr-without-credentials',
            message: `job ${id}, step ${i + 1} (${String(step.name ?? usesOf(step) ?? 'run')}): runs for ${who}, which gets no OIDC token and a read-only token; skip it (if: ... && github.actor != 'dependabot[bot]' && !github.event.pull_request.head.repo.fork)`,
          });
        }
      }
      if (!steps.some((s) => runs(s) && writesSummary(s))) {
        out.push({
          file: wf.file,
          rule: 'pr-without-credentials',
          message: `job ${id}: no step says in the job summary why ${who} gets no plan`,
        });
      }
    }
  }
  return out;
}

/**
 * Plans for review (pull requests, drift, the plan reviewers approve) never take the state lock:
 * only the plan an apply job applies does (a job in an environment of the apply workflow).
 */
function reviewPlanLock(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  for (const [id, job] of jobsOf(wf)) {
    const applies = jobSteps(job).some(isApplyStep);
    for (const [i, step] of jobSteps(job).entries()) {
      const where = `job ${id}, step ${i + 1}`;
      if (usesOf(step) === PLAN_ACTION) {
        const lock = String(asObj(step.with).lock ?? 'false');
        if (applies && lock !== 'true')
          out.push({ file: wf.file, rule: 'review-plan-lock', message: `${where}: the plan this job applies takes the state lock (lock: 'true')` });
        if (!applies && lock !== 'false') {
          out.push({
            file: wf.file,
            rule: 'review-plan-lock',
            message: `${where}: a review plan never takes the state lock (lock: 'false'); a cancelled one would leave it behind`,
          });
        }
      }
      if (/\bterraform\b[^\n]*\bplan\b/.test(runText(step)) && !/-lock=false/.test(runText(step)) && !applies) {
        out.push({ file: wf.file, rule: 'review-plan-lock', message: `${where}: terraform plan outside an apply job runs with -lock=false` });
      }
    }
  }
  return out;
}

const APPLY_SCRIPT = /^exec bash delivery\/terraform-apply\.sh\b/;
const RELEASE_SCRIPT = /^exec bash delivery\/release-state-lock\.sh\b/;

/** An apply is never killed holding the lock: the signal-forwarding wrapper, then the lock release on cancel or failure. */
function applyCancelSafe(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  for (const [id, job] of jobsOf(wf)) {
    const steps = jobSteps(job);
    for (const [i, step] of steps.entries()) {
      if (!isApplyStep(step)) continue;
      const v = (message: string): void => void out.push({ file: wf.file, rule: 'apply-cancel-safe', message: `job ${id}, step ${i + 1}: ${message}` });
      if (!APPLY_SCRIPT.test(runText(step).trim())) {
        v(
          'apply through `exec bash delivery/terraform-apply.sh "$STACK_DIR"`: the runner signals the step process, never terraform, which then dies at the job\'s end holding the lock',
        );
      }
      const release = steps.slice(i + 1).find((s) => RELEASE_SCRIPT.test(runText(s).trim()));
      if (!release || !/cancelled\(\)/.test(String(release.if ?? ''))) {
        v('follow the apply with a step `if: cancelled() || failure()` running `exec bash delivery/release-state-lock.sh`');
      }
    }
  }
  return out;
}

const HEAD_SCRIPT = /\bdelivery\/head-of-main\.sh\b/;

/** Only the head of main is applied: checked before any apply queue is entered and again before each apply; dispatch applies the head. */
function applyHeadOnly(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  const out: Violation[] = [];
  const v = (message: string): void => void out.push({ file: wf.file, rule: 'apply-head-only', message });
  if (!triggers(wf).includes('workflow_dispatch')) v('offer workflow_dispatch: a manual run applies the head of main');
  const guards = jobsOf(wf)
    .filter(([, job]) => job.concurrency === undefined && jobSteps(job).some((s) => HEAD_SCRIPT.test(runText(s))))
    .map(([id]) => id);
  if (guards.length === 0)
    v('a job without a concurrency group must run delivery/head-of-main.sh first, so a re-run of an old commit never enters an apply queue');
  for (const [id, job] of applyJobsOf(wf)) {
    const needs = needsOf(job);
    if (!guards.some((g) => needs.includes(g))) v(`job ${id} must need the head-of-main job (${guards.join(', ') || 'none'})`);
    const steps = jobSteps(job);
    const applyAt = steps.findIndex(isApplyStep);
    if (!steps.slice(0, applyAt).some((s) => HEAD_SCRIPT.test(runText(s))))
      v(`job ${id} must run delivery/head-of-main.sh again right before it applies (main may have moved during the wait)`);
  }
  return out;
}

function prodApplyJob(wf: YamlFile): [string, Obj] | undefined {
  return applyJobsOf(wf).find(([, job]) => environmentName(job) === 'prod');
}

/** The job whose terraform-plan outputs (changes, digest) the prod job reviews: a needed job without an environment. */
function reviewPlanJob(wf: YamlFile, prod: Obj): [string, Obj] | undefined {
  const needs = needsOf(prod);
  return jobsOf(wf).find(
    ([id, job]) => needs.includes(id) && environmentName(job) === undefined && jobSteps(job).some((s) => usesOf(s) === PLAN_ACTION) && isObj(job.outputs),
  );
}

/**
 * Every environment applies only a plan whose digest (every planned non-sensitive value) equals the
 * plan shown for review: prod's reviewers approve it; dev applies without reviewers unless its
 * GitHub environment has some, and still only the plan its plan job showed (issue 17, part 5).
 */
function reviewedPlanApplied(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  return applyJobsOf(wf).flatMap(([id, job]) => {
    const review = reviewPlanJob(wf, job);
    const v = (message: string): Violation[] => [{ file: wf.file, rule: 'reviewed-plan', message: `job ${id}: ${message}` }];
    if (!review || !String(asObj(review[1].outputs).digest ?? '').includes('outputs.digest'))
      return v('must need a plan job without environment that outputs the reviewed plan digest');
    const steps = jobSteps(job);
    const applyAt = steps.findIndex(isApplyStep);
    const compares = steps.slice(0, applyAt).some((s) => JSON.stringify(s.env ?? {}).includes(`needs.${review[0]}.outputs.digest`) && /!=/.test(runText(s)));
    return compares ? [] : v(`must compare needs.${review[0]}.outputs.digest with its own plan's digest before applying, and refuse when they differ`);
  });
}

/** prod asks for no approval, and holds no queue, when its plan has no changes. */
function prodSkipsEmptyPlan(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  const prod = prodApplyJob(wf);
  if (!prod) return [];
  const review = reviewPlanJob(wf, prod[1]);
  const condition = String(prod[1].if ?? '');
  if (review && condition.includes(`needs.${review[0]}.outputs.changes`)) return [];
  return [
    {
      file: wf.file,
      rule: 'prod-skips-empty-plan',
      message: `job ${prod[0]}: skip it when the reviewed prod plan has no changes (if: needs.<plan job>.outputs.changes == 'true'), so nobody is asked to approve nothing`,
    },
  ];
}

const RECORD_PROD = /delivery\/usage-job-digest\.sh record prod\b/;

/**
 * The usage-job bundle is not in Terraform: a merge that changes only billing code gives prod an
 * empty plan. So the review plan job compares the bundle with the one prod runs
 * (usage-job-digest.sh changed), the prod job also runs when it differs, and a job that the prod
 * job does not gate records prod's usage-job status only when the comparison said exactly false.
 */
function prodBundleGated(wf: YamlFile): Violation[] {
  // Only a workflow that records prod's usage-job status deploys the bundle to prod.
  if (!isApplyWorkflow(wf) || !stepsOf(wf).some(({ step }) => RECORD_PROD.test(runText(step)))) return [];
  const prod = prodApplyJob(wf);
  if (!prod) return [];
  const out: Violation[] = [];
  const v = (message: string): void => void out.push({ file: wf.file, rule: 'prod-bundle-gated', message: `job ${prod[0]}: ${message}` });
  const review = reviewPlanJob(wf, prod[1]);
  if (!review) return [];
  const output = `needs.${review[0]}.outputs.bundle-changed`;
  const compares = jobSteps(review[1]).some((s) => /delivery\/usage-job-digest\.sh changed prod\b/.test(runText(s)));
  if (!compares || !String(asObj(review[1].outputs)['bundle-changed'] ?? '').includes('outputs.changed'))
    v(`job ${review[0]} must output bundle-changed from delivery/usage-job-digest.sh changed prod: the usage-job bundle is not in Terraform`);
  if (!String(prod[1].if ?? '').includes(`${output} == 'true'`))
    v(`must also run when the usage-job bundle changed (if: ... || ${output} == 'true'), so billing code reaches prod only with its reviewers' approval`);
  const afterProd = `needs.${prod[0]}.result == 'success'`;
  for (const [id, job] of jobsOf(wf)) {
    for (const step of jobSteps(job).filter((st) => RECORD_PROD.test(runText(st)))) {
      const approved = needsOf(job).includes(prod[0]) && String(step.if ?? '').includes(afterProd);
      const unchanged = JSON.stringify(step.env ?? {}).includes(output) && /"\$\w+" = false\b/.test(runText(step));
      if (!approved && !unchanged)
        v(
          `job ${id}, step "${String(step.name)}" records prod's usage-job status without the prod job: only when ${output} is exactly false (prod already runs this bundle)`,
        );
    }
  }
  return out;
}

/** Results reach people: apply results on the pull request and issues, drift issues, scheduled failures. */
function resultsReported(wf: YamlFile): Violation[] {
  const jobs = jobsOf(wf);
  const v = (message: string): Violation[] => [{ file: wf.file, rule: 'results-reported', message }];
  if (wf.doc.name === 'apply') {
    return jobs.some(([, job]) => /always\(\)/.test(String(job.if ?? '')) && reports(job, 'apply'))
      ? []
      : v('a job with if: always() must report each apply result (npm run --silent delivery:report -- apply)');
  }
  if (wf.doc.name === 'drift') {
    return jobs.some(([, job]) => reports(job, 'drift'))
      ? []
      : v('each drift check must open, update or close its issue (npm run --silent delivery:report -- drift)');
  }
  if (wf.doc.name === 'usage') {
    const ok = jobs.some(([, job]) => jobSteps(job).some((s) => /always\(\)/.test(String(s.if ?? '')) && reports({ steps: [s] }, 'scheduled')));
    return ok ? [] : v('a failing scheduled run must open or update its issue (if: always() ... delivery:report -- scheduled)');
  }
  return [];
}

/** The binary plan file embeds the state, sensitive values included: never an artifact. */
function noPlanFileArtifact(wf: YamlFile): Violation[] {
  return stepsOf(wf)
    .filter(({ step }) => actionName(usesOf(step) ?? '') === 'actions/upload-artifact' && /\btfplan\b/.test(String(asObj(step.with).path ?? '')))
    .map(({ where }) => ({
      file: wf.file,
      rule: 'no-plan-file-artifact' as const,
      message: `${where}: the binary plan file holds the state in clear text; upload plan.txt (values masked by Terraform) instead`,
    }));
}

/** ci validates every synthesized stack and the provider lock file, for every pull request, forks included. */
function terraformValidated(wf: YamlFile): Violation[] {
  if (wf.doc.name !== 'ci') return [];
  const runs = jobsOf(wf).flatMap(([, job]) => jobSteps(job).map(runText));
  const ok =
    triggers(wf).includes('pull_request') &&
    runs.some((r) => /terraform-providers\.sh validate\b/.test(r)) &&
    runs.some((r) => /terraform-providers\.sh check-lock\b/.test(r));
  return ok
    ? []
    : [
        {
          file: wf.file,
          rule: 'terraform-validated',
          message:
            'ci must run delivery/terraform-providers.sh check-lock and validate on pull requests (init -backend=false + validate of every stack, provider lock file current)',
        },
      ];
}

/** Node 20 reached end of life on 2026-04-30: jobs and actions run Node 24. */
function node24(wf: YamlFile): Violation[] {
  const out: Violation[] = [];
  for (const { where, step } of stepsOf(wf)) {
    if (actionName(usesOf(step) ?? '') !== 'actions/setup-node') continue;
    const version = String(asObj(step.with)['node-version'] ?? '');
    if (!/^24(\.|$)/.test(version)) out.push({ file: wf.file, rule: 'node-24', message: `${where}: node-version ${version || '(none)'}; use 24` });
  }
  for (const [id, job] of jobsOf(wf)) {
    const image = typeof job.container === 'string' ? job.container : String(asObj(job.container).image ?? '');
    if (/^node:/.test(image) && !/^node:24(\b|[.-])/.test(image))
      out.push({ file: wf.file, rule: 'node-24', message: `job ${id}: container ${image}; use node:24-*` });
  }
  return out;
}

/** The local composite actions a workflow uses, by their `uses:` path (./.github/actions/<name>). */
export type LocalActions = ReadonlyMap<string, YamlFile>;

export function localActions(actions: readonly YamlFile[]): LocalActions {
  return new Map(actions.map((a) => [`./${a.file.replace(/\/action\.ya?ml$/, '')}`, a]));
}

/** A step as it runs: a workflow step, or a step of a local composite action it uses (`via` names the action). */
interface RunStep {
  readonly step: Obj;
  /** The top-level step of the job this one runs in (itself, or the step that uses the action). */
  readonly top: Obj;
  readonly via?: string;
}

/** The job's steps with every local composite action's steps in its place (recursively). */
function expandedSteps(job: Obj, actions: LocalActions): RunStep[] {
  const expand = (step: Obj, top: Obj, seen: readonly string[]): RunStep[] => {
    const uses = usesOf(step);
    const action = uses === undefined ? undefined : actions.get(uses);
    if (uses === undefined || action === undefined || seen.includes(uses)) return [{ step, top, ...(seen.length > 0 ? { via: seen.at(-1) } : {}) }];
    return [
      { step, top, ...(seen.length > 0 ? { via: seen.at(-1) } : {}) },
      ...asList(asObj(action.doc.runs).steps).flatMap((inner) => expand(asObj(inner), top, [...seen, uses])),
    ];
  };
  return jobSteps(job).flatMap((step) => expand(step, step, []));
}

/** A job that can mint an OIDC token (id-token: write). */
function credentialed(job: Obj): boolean {
  return asObj(job.permissions)['id-token'] === 'write';
}

/** A shell command named `names`: at a line's start, after ; & | ( $( or then/do/else/exec; not inside a sentence. */
function command(names: string): RegExp {
  return new RegExp(`(?:^|[;&|({\`]|\\$\\(|\\b(?:then|do|else|exec)\\b)[ \\t]*(?:${names})[ \\t]`, 'm');
}

/** Package managers and TypeScript runners: what runs the dependency tree's code. */
const RUNS_PACKAGES = command('npm|npx|tsx|yarn|pnpm|cdktf');

function stepLabel(job: string, r: RunStep): string {
  const name = String(r.top.name ?? usesOf(r.top) ?? 'run');
  return `job ${job}, step "${name}"${r.via ? ` (through ${r.via})` : ''}`;
}

/**
 * No npm, npx, tsx, yarn, pnpm or cdktf (install scripts, synth, bundling, any dependency's code) in
 * a job that can mint an AWS token, directly or through a local composite action: a dependency
 * could mint a token for the environment. Such a job runs a build made by a job without
 * credentials, verified by digest (rule credentialed-job-verifies-build).
 */
function credentialedJobRunsNoNpm(wf: YamlFile, actions: LocalActions): Violation[] {
  const out: Violation[] = [];
  for (const [id, job] of jobsOf(wf)) {
    if (!credentialed(job)) continue;
    for (const r of expandedSteps(job, actions)) {
      if (RUNS_PACKAGES.test(runText(r.step))) {
        out.push({
          file: wf.file,
          rule: 'credentialed-job-runs-no-npm',
          message: `${stepLabel(id, r)}: runs ${RUNS_PACKAGES.exec(runText(r.step))![0].trim()} in a job with id-token: write; build in a job without credentials (./.github/actions/build) and run node on the verified bundle (./.github/actions/use-build)`,
        });
      }
    }
  }
  return out;
}

const USE_BUILD_ACTION = './.github/actions/use-build';
const VERIFY_SCRIPT = /\bdelivery\/verify-build\.sh\s+verify\b/;
const GUARD_SCRIPT = /\bdelivery\/terraform-json-guard\.sh\b/;
const DIGEST_FROM_NEEDS = /\$\{\{\s*needs\.([\w-]+)\.outputs\.[\w-]+\s*\}\}/;

/** Where a top-level step takes its expected digest from: the needed job, or undefined. */
function digestSource(step: Obj): string | undefined {
  if (usesOf(step) === USE_BUILD_ACTION) return DIGEST_FROM_NEEDS.exec(String(asObj(step.with).digest ?? ''))?.[1];
  if (VERIFY_SCRIPT.test(runText(step))) return DIGEST_FROM_NEEDS.exec(JSON.stringify(step.env ?? {}))?.[1];
  return undefined;
}

const RUNS_BUILD = command('node|terraform');

/** A step that runs something of the build: node, terraform (on the synthesized JSON), the plan action. */
function usesBuild(step: Obj): boolean {
  return RUNS_BUILD.test(runText(step)) || usesOf(step) === PLAN_ACTION;
}

/** A step that inits Terraform on synthesized JSON: the plan action, or `terraform ... init`. */
function initsTerraform(step: Obj): boolean {
  return usesOf(step) === PLAN_ACTION || /\bterraform\b[^\n]*\binit\b/.test(runText(step));
}

/**
 * A credentialed job runs nothing of a build before it has checked the build's digest against the
 * one a job without credentials reported through needs.<job>.outputs (./.github/actions/use-build
 * or delivery/verify-build.sh verify), and does so before it assumes a role; and it refuses
 * Terraform JSON that could run code of its own (delivery/terraform-json-guard.sh) before any
 * `terraform init`.
 */
function credentialedJobVerifiesBuild(wf: YamlFile, actions: LocalActions): Violation[] {
  const out: Violation[] = [];
  const jobs = new Map(jobsOf(wf));
  for (const [id, job] of jobs) {
    if (!credentialed(job)) continue;
    const v = (message: string): void => void out.push({ file: wf.file, rule: 'credentialed-job-verifies-build', message: `job ${id}: ${message}` });
    const steps = expandedSteps(job, actions);
    const verifyAt = steps.findIndex((r) => VERIFY_SCRIPT.test(runText(r.step)));
    const firstUse = steps.findIndex((r) => usesBuild(r.step));
    const assumeAt = steps.findIndex((r) => actionName(usesOf(r.step) ?? '') === CONFIGURE_AWS);
    if (firstUse >= 0 && (verifyAt < 0 || verifyAt > firstUse)) {
      v(
        `${stepLabel(id, steps[firstUse])} runs the build before its digest is verified: start with ${USE_BUILD_ACTION} (digest: \${{ needs.<build job>.outputs.digest }})`,
      );
    }
    if (verifyAt >= 0 && assumeAt >= 0 && assumeAt < verifyAt) v('verify the build before assuming a role');
    if (verifyAt >= 0) {
      const source = digestSource(steps[verifyAt].top);
      const builder = source === undefined ? undefined : jobs.get(source);
      if (source === undefined || !needsOf(job).includes(source)) {
        v('the expected digest must come from needs.<build job>.outputs of a job this one needs, which only that job can set');
      } else if (builder === undefined || credentialed(builder)) {
        v(`the digest comes from job ${source}, which is not a build job without credentials`);
      }
    }
    const guardAt = steps.findIndex((r) => GUARD_SCRIPT.test(runText(r.step)));
    const initAt = steps.findIndex((r) => initsTerraform(r.step));
    if (initAt >= 0 && (guardAt < 0 || guardAt > initAt)) {
      v(
        `${stepLabel(id, steps[initAt])} inits Terraform on JSON not checked by delivery/terraform-json-guard.sh (run it first, against main's provider lock file)`,
      );
    }
  }
  return out;
}

/** npm never runs install scripts here: every `npm ci` / `npm install` carries --ignore-scripts. */
export function npmInstallProblems(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#') && /(?:^|[\s;&|(])npm\s+(?:ci|install|i|add)\b/.test(line) && !/--ignore-scripts\b/.test(line))
    .map((line) => `${line.trim()}: add --ignore-scripts (an install script runs any code a dependency ships)`);
}

function npmCiIgnoreScripts(wf: YamlFile): Violation[] {
  return stepsOf(wf).flatMap(({ where, step }) =>
    npmInstallProblems(runText(step)).map((message) => ({ file: wf.file, rule: 'npm-ci-ignore-scripts' as const, message: `${where}: ${message}` })),
  );
}

/** Rules that apply to one workflow file; `actions` are the local composite actions its jobs may use. */
export function checkWorkflow(wf: YamlFile, actions: LocalActions = new Map()): Violation[] {
  return [
    ...pinnedActions(wf),
    ...topLevelPermissions(wf),
    ...jobPermissions(wf),
    ...jobTimeout(wf),
    ...noPullRequestTarget(wf),
    ...applyConcurrency(wf),
    ...prodGated(wf),
    ...scheduleOffTheHour(wf),
    ...runScriptHygiene(wf),
    ...checkoutCredentials(wf),
    ...matrixChecksReport(wf),
    ...prWithoutCredentials(wf),
    ...reviewPlanLock(wf),
    ...applyCancelSafe(wf),
    ...applyHeadOnly(wf),
    ...reviewedPlanApplied(wf),
    ...prodSkipsEmptyPlan(wf),
    ...prodBundleGated(wf),
    ...resultsReported(wf),
    ...noPlanFileArtifact(wf),
    ...terraformValidated(wf),
    ...node24(wf),
    ...environmentsFromFile(wf),
    ...credentialedJobRunsNoNpm(wf, actions),
    ...credentialedJobVerifiesBuild(wf, actions),
    ...npmCiIgnoreScripts(wf),
  ];
}

/** Rules that apply to one composite action (action.yml). */
export function checkAction(action: YamlFile): Violation[] {
  return [
    ...pinnedActions(action),
    ...runScriptHygiene(action),
    ...checkoutCredentials(action),
    ...noPlanFileArtifact(action),
    ...node24(action),
    ...npmCiIgnoreScripts(action),
  ];
}

export const TERRAFORM_PIN_ACTION = '.github/actions/setup-terraform/action.yml';

/** The Terraform version is set in one place: the setup-terraform composite action. */
export function checkTerraformPin(files: readonly YamlFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const isPin = f.file.endsWith(TERRAFORM_PIN_ACTION);
    for (const { where, step } of stepsOf(f)) {
      const uses = usesOf(step);
      const name = uses === undefined ? '' : actionName(uses);
      if ((name === 'hashicorp/setup-terraform' || name === 'opentofu/setup-opentofu') && !isPin) {
        out.push({
          file: f.file,
          rule: 'terraform-version-pin',
          message: `${where}: install Terraform through ./.github/actions/setup-terraform, the one place its version is pinned`,
        });
      }
      if (isPin && name === 'hashicorp/setup-terraform' && !/^\d+\.\d+\.\d+$/.test(String(asObj(step.with).terraform_version ?? ''))) {
        out.push({ file: f.file, rule: 'terraform-version-pin', message: `${where}: terraform_version must be an exact version such as 1.11.4` });
      }
    }
    if (!isPin && /terraform_version|tofu_version/.test(f.text)) {
      out.push({ file: f.file, rule: 'terraform-version-pin', message: 'sets a Terraform version outside .github/actions/setup-terraform' });
    }
  }
  if (!files.some((f) => f.file.endsWith(TERRAFORM_PIN_ACTION))) {
    out.push({ file: TERRAFORM_PIN_ACTION, rule: 'terraform-version-pin', message: 'the composite action that pins Terraform is missing' });
  }
  return out;
}

export const ENVIRONMENTS_FILE = '.github/environments.json';
const ENVIRONMENTS_COMMAND = 'npm run delivery:environments';
/** The one way a job reads the list: `jq -c . .github/environments.json`. */
const READS_ENVIRONMENTS = /\bjq\s+-c\s+\.\s+\.github\/environments\.json\b/;
const FROM_LISTING_JOB = /^\$\{\{\s*fromJSON\(\s*needs\.([\w-]+)\.outputs\.environments\s*\)\s*\}\}$/i;
const INPUT_ENVIRONMENT = /\binputs\.environment\b/;

/** A job that reads .github/environments.json with jq (after a checkout without credentials). */
function readsEnvironmentsFile(job: Obj): boolean {
  return jobSteps(job).some((s) => READS_ENVIRONMENTS.test(runText(s)));
}

/** The job's `environments` output comes from a step that reads the file and writes `environments=` to $GITHUB_OUTPUT. */
function outputsEnvironments(job: Obj): boolean {
  const output = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.environments\s*\}\}$/.exec(String(asObj(job.outputs).environments ?? '').trim());
  const step = output && jobSteps(job).find((s) => s.id === output[1]);
  return !!step && READS_ENVIRONMENTS.test(runText(step)) && /\benvironments=.*\$GITHUB_OUTPUT/.test(runText(step));
}

/** The jobs with a per-environment matrix (`strategy.matrix.environment`). */
function environmentMatrixJobs(wf: YamlFile): [string, Obj][] {
  return jobsOf(wf).filter(([, job]) => asObj(asObj(job.strategy).matrix).environment !== undefined);
}

/** Why a matrix job's environments do not come from the file, or undefined when they do. */
function matrixFromFileProblem(wf: YamlFile, id: string, job: Obj): string | undefined {
  const value = asObj(asObj(job.strategy).matrix).environment;
  const how = `a first job runs \`jq -c . ${ENVIRONMENTS_FILE}\` into its output \`environments\`, and the matrix is \${{ fromJSON(needs.<that job>.outputs.environments) }}`;
  const from = typeof value === 'string' ? FROM_LISTING_JOB.exec(value.trim()) : null;
  if (!from) return `job ${id}: matrix environment ${JSON.stringify(value)} is not read from ${ENVIRONMENTS_FILE}; ${how}`;
  const lister = asObj(asObj(wf.doc.jobs)[from[1]]);
  if (!needsOf(job).includes(from[1])) return `job ${id}: its matrix reads needs.${from[1]} but the job does not need ${from[1]}`;
  if (!readsEnvironmentsFile(lister) || !outputsEnvironments(lister)) {
    return `job ${id}: job ${from[1]} must read the list with \`jq -c . ${ENVIRONMENTS_FILE}\` and output it as \`environments\` (environments: \${{ steps.<id>.outputs.environments }})`;
  }
  return undefined;
}

function dispatchEnvironmentInput(wf: YamlFile): Obj | undefined {
  const input = asObj(asObj(asObj(wf.doc.on).workflow_dispatch).inputs).environment;
  return isObj(input) ? input : undefined;
}

/** The jobs that check the dispatched name against the file: a step that reads it with inputs.environment in its env. */
function environmentCheckJobs(wf: YamlFile): string[] {
  return jobsOf(wf)
    .filter(([, job]) => jobSteps(job).some((s) => READS_ENVIRONMENTS.test(runText(s)) && INPUT_ENVIRONMENT.test(JSON.stringify(s.env ?? {}))))
    .map(([id]) => id);
}

/** Why a dispatched environment name is not checked against the file, or undefined when it is. */
function dispatchInputProblems(wf: YamlFile): string[] {
  const input = dispatchEnvironmentInput(wf);
  if (!input) return [];
  const out: string[] = [];
  if (input.type === 'choice' || input.options !== undefined) {
    out.push(
      `workflow_dispatch input environment is a choice: its options are a static copy of the environments that goes stale; make it type: string and check it against ${ENVIRONMENTS_FILE} at run time`,
    );
  }
  const checkers = environmentCheckJobs(wf);
  if (checkers.length === 0) {
    out.push(
      `no job checks inputs.environment against ${ENVIRONMENTS_FILE}: a first job reads it with \`jq -c . ${ENVIRONMENTS_FILE}\` (the name through env:) and fails with one line naming the known environments`,
    );
  }
  for (const [id, job] of jobsOf(wf)) {
    if (checkers.includes(id) || !INPUT_ENVIRONMENT.test(JSON.stringify(job))) continue;
    if (!checkers.some((c) => needsOf(job).includes(c))) {
      out.push(`job ${id}: uses inputs.environment, so it must need the job that checks it against ${ENVIRONMENTS_FILE} (${checkers.join(', ') || 'none'})`);
    }
  }
  return out;
}

/**
 * Environment lists come from .github/environments.json (written by `npm run delivery:environments`
 * from config/environments.ts): a per-environment matrix is fromJSON of a first job's output, and a
 * dispatched environment name is a string checked against the file before any job uses it (choice
 * options are static, so they cannot follow the file; a job that names a GitHub environment that
 * does not exist makes GitHub create it).
 */
function environmentsFromFile(wf: YamlFile): Violation[] {
  const matrix = environmentMatrixJobs(wf).flatMap(([id, job]) => matrixFromFileProblem(wf, id, job) ?? []);
  return [...matrix, ...dispatchInputProblems(wf)].map((message) => ({ file: wf.file, rule: 'environment-coverage' as const, message }));
}

/**
 * Every deployed environment (config/environments.ts) is planned on pull requests, drift-checked,
 * run by the usage job and unlockable through .github/environments.json, which must be the
 * configuration's list; apply names each environment in a stage of its own. A generated file that
 * is out of date, or a workflow that stops reading it, fails here.
 */
export function checkEnvironmentCoverage(workflows: readonly YamlFile[], environmentsFile: string | undefined, environments: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const v = (file: string, message: string): void => void out.push({ file, rule: 'environment-coverage', message });
  let listed: unknown;
  try {
    listed = environmentsFile === undefined ? undefined : JSON.parse(environmentsFile);
  } catch {
    listed = environmentsFile;
  }
  if (JSON.stringify(listed) !== JSON.stringify(environments)) {
    v(
      ENVIRONMENTS_FILE,
      `lists ${listed === undefined ? 'nothing (missing)' : JSON.stringify(listed)}, config/environments.ts deploys ${JSON.stringify(environments)}: run ${ENVIRONMENTS_COMMAND}`,
    );
  }
  for (const name of ['plan', 'drift', 'usage']) {
    const wf = workflows.find((w) => w.doc.name === name);
    if (!wf) {
      v(`.github/workflows/${name}.yml`, `workflow ${name} is missing`);
      continue;
    }
    const matrices = environmentMatrixJobs(wf);
    if (matrices.length === 0 || matrices.some(([id, job]) => matrixFromFileProblem(wf, id, job) !== undefined)) {
      v(wf.file, `needs a per-environment matrix read from ${ENVIRONMENTS_FILE} (fromJSON(needs.<job>.outputs.environments))`);
    }
  }
  const unlock = workflows.find((w) => w.doc.name === 'unlock');
  if (!unlock || !dispatchEnvironmentInput(unlock) || dispatchInputProblems(unlock).length > 0) {
    v(unlock?.file ?? '.github/workflows/unlock.yml', `unlock must take an environment name and check it against ${ENVIRONMENTS_FILE}`);
  }
  const apply = workflows.find(isApplyWorkflow);
  const applied = apply
    ? jobsOf(apply)
        .map(([, job]) => environmentName(job))
        .filter((e): e is string => e !== undefined)
        .sort()
    : [];
  const expected = [...environments].sort();
  if (JSON.stringify(applied) !== JSON.stringify(expected)) {
    v(
      apply?.file ?? '.github/workflows/apply.yml',
      `apply jobs cover ${JSON.stringify(applied)}, not ${JSON.stringify(expected)}: each environment is a stage of its own in apply.yml (docs/delivery.md, adding an environment)`,
    );
  }
  return out;
}

export const CODEOWNERS_FILE = '.github/CODEOWNERS';

/**
 * What CODEOWNERS must cover: everything (a default `*` rule), and by name what runs with
 * credentials or shapes them: the workflows and actions, CI, the delivery scripts, the workflow
 * rules, the stacks (roles, policies), the identity checks, the configuration and the dependencies.
 */
export const CODEOWNERS_REQUIRED: readonly string[] = [
  '*',
  '/.github/',
  '/.ci/',
  '/delivery/',
  '/workflow-checks/',
  '/stacks/',
  '/permissions/',
  '/config/',
  '/package.json',
  '/package-lock.json',
];

const OWNER = /^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9._-]+)?$/;
const OWNER_EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]+$/i;

/**
 * A CODEOWNERS text covers every required path, each rule with owners, and every rule with the same
 * owners: GitHub takes the last matching rule, so a later rule with other owners (or none) would
 * take a path away from the platform team. The owners' names are the team's choice (the setup
 * check, delivery/setup-check.sh, refuses the shipped placeholder); GitHub ignores owners without
 * write access, which no file check can see.
 * https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
 */
export function checkCodeOwners(file: string, text: string): Violation[] {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
  const out: Violation[] = [];
  const v = (message: string): void => void out.push({ file, rule: 'codeowners-coverage', message });
  for (const path of CODEOWNERS_REQUIRED) if (!rules.some(([p]) => p === path)) v(`${path} has no rule: add "${path} <the platform team>"`);
  for (const [path, ...who] of rules) {
    if (who.length === 0) v(`${path}: no owner, so nobody's review is required for it`);
    for (const owner of who) if (!OWNER.test(owner) && !OWNER_EMAIL.test(owner)) v(`${path}: "${owner}" is not @user, @org/team or an e-mail address`);
  }
  const owners = [...new Set(rules.filter(([, ...who]) => who.length > 0).map(([, ...who]) => who.join(' ')))];
  if (owners.length > 1) v(`the rules have different owners (${owners.join(' | ')}): a later rule takes its paths away from the others' owners`);
  return out;
}
