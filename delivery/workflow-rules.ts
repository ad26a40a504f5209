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
 */
import { parse } from 'yaml';

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
  | 'environment-coverage';

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

function assumesRole(job: Obj): boolean {
  return jobSteps(job).some((s) => actionName(usesOf(s) ?? '') === CONFIGURE_AWS);
}

function commentsOnPullRequests(job: Obj): boolean {
  return jobSteps(job).some((s) => {
    if (actionName(usesOf(s) ?? '') === GITHUB_SCRIPT) {
      return /\b(createComment|updateComment)\b/.test(String(asObj(s.with).script ?? ''));
    }
    return typeof s.run === 'string' && /\bgh\s+pr\s+comment\b/.test(s.run);
  });
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

function applyConcurrency(wf: YamlFile): Violation[] {
  if (!isApplyWorkflow(wf)) return [];
  const c = asObj(wf.doc.concurrency);
  const jobsOk = jobsOf(wf).every(([, job]) => !isObj(job.concurrency) || asObj(job.concurrency)['cancel-in-progress'] === false);
  if (typeof c.group === 'string' && c.group !== '' && c['cancel-in-progress'] === false && jobsOk) return [];
  return [
    {
      file: wf.file,
      rule: 'apply-concurrency',
      message: 'apply needs a workflow concurrency group with cancel-in-progress: false (an apply is never cancelled midway)',
    },
  ];
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
  const applyJobs = jobs.filter(([, job]) => jobSteps(job).some((s) => typeof s.run === 'string' && /\bterraform\b[^\n]*\bapply\b/.test(s.run)));
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

/** Rules that apply to one workflow file. */
export function checkWorkflow(wf: YamlFile): Violation[] {
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
  ];
}

/** Rules that apply to one composite action (action.yml). */
export function checkAction(action: YamlFile): Violation[] {
  return [...pinnedActions(action), ...runScriptHygiene(action), ...checkoutCredentials(action)];
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

function matrixEnvironments(wf: YamlFile): string[] | undefined {
  for (const [, job] of jobsOf(wf)) {
    const m = asObj(asObj(job.strategy).matrix).environment;
    if (Array.isArray(m)) return m.map(String);
    if (typeof m === 'string') {
      const fallback = /\|\|\s*'(\[[^']*\])'/.exec(m); // fromJSON(... || '["dev","prod"]')
      if (fallback) return (JSON.parse(fallback[1]) as unknown[]).map(String);
    }
  }
  return undefined;
}

/**
 * Every deployed environment (config/environments.ts) is planned on PRs, drift-checked,
 * run by the usage job and applied; a workflow that forgets a new environment fails here.
 */
export function checkEnvironmentCoverage(workflows: readonly YamlFile[], environments: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const expected = [...environments].sort();
  for (const name of ['plan', 'drift', 'usage']) {
    const wf = workflows.find((w) => w.doc.name === name);
    if (!wf) {
      out.push({ file: `.github/workflows/${name}.yml`, rule: 'environment-coverage', message: `workflow ${name} is missing` });
      continue;
    }
    const got = (matrixEnvironments(wf) ?? []).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      out.push({
        file: wf.file,
        rule: 'environment-coverage',
        message: `matrix environments ${JSON.stringify(got)} differ from the deployed environments ${JSON.stringify(expected)}`,
      });
    }
  }
  const apply = workflows.find(isApplyWorkflow);
  const applied = apply
    ? jobsOf(apply)
        .map(([, job]) => environmentName(job))
        .filter((e): e is string => e !== undefined)
        .sort()
    : [];
  if (JSON.stringify(applied) !== JSON.stringify(expected)) {
    out.push({
      file: apply?.file ?? '.github/workflows/apply.yml',
      rule: 'environment-coverage',
      message: `apply jobs cover ${JSON.stringify(applied)}, not ${JSON.stringify(expected)}`,
    });
  }
  return out;
}
