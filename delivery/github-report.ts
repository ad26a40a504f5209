/**
 * Tells people what the pipeline did, on GitHub, so nobody depends on the e-mail GitHub sends for
 * a scheduled run (only to whoever last edited the cron line,
 * https://docs.github.com/en/actions/concepts/workflows-and-actions/notifications-for-workflow-runs):
 *
 *   npm run --silent delivery:report -- apply --environment dev --result applied --commit SHA --run-url URL [--detail TEXT] [--run-id ID [--main-branch main]]
 *   npm run --silent delivery:report -- drift --environment prod --run-url URL (--plan-json FILE | --error TEXT)
 *   npm run --silent delivery:report -- scheduled --key usage:prod --title TITLE --result success|failure --run-url URL [--detail TEXT]
 *
 * - apply: one comment on the merged pull request(s) of the commit, updated per environment; a
 *   failed or cancelled apply opens (or updates) the one "apply failing" issue, which closes itself
 *   when every environment it lists has applied again; with --run-id, one that was rejected in
 *   review or superseded by a newer commit on main is "not applied" instead and opens no issue;
 * - drift: one issue per environment, opened on drift or unapplied changes, updated on every run,
 *   closed when the environment matches main; a failed check says so in the issue;
 * - scheduled: one issue per key for a scheduled job that fails, closed by its next success.
 *
 * Items are found again by a hidden marker at the start of their body, and only among those written
 * by the workflow token's user (github-actions[bot]): anyone can type a marker into a comment.
 * Needs GITHUB_TOKEN (pull-requests: write for apply, issues: write), GITHUB_REPOSITORY, GITHUB_API_URL.
 */
import { readFileSync } from 'node:fs';
import { classifyDrift, driftIssueBody, type DriftReport } from './drift-report';
import { connectionFromEnvironment, restClient, type GitHub, type GitHubIssue } from './github-api';
import { parsePlanJson } from './plan-json';
import { runCli } from './run-cli';

export const BOT = 'github-actions[bot]';

export function marker(key: string): string {
  return `<!-- delivery:${key} -->`;
}

/** State kept in an item's body, base64 so no text can end the HTML comment early. */
function stateTag(state: unknown): string {
  return `<!-- delivery-state ${Buffer.from(JSON.stringify(state), 'utf8').toString('base64')} -->`;
}

function readState<T>(body: string, fallback: T): T {
  const m = /<!-- delivery-state ([A-Za-z0-9+/=]+) -->/.exec(body);
  if (!m) return fallback;
  try {
    return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as T;
  } catch {
    return fallback;
  }
}

async function findIssue(gh: GitHub, key: string): Promise<GitHubIssue | undefined> {
  return (await gh.openIssues(BOT)).find((i) => i.author === BOT && i.body.startsWith(marker(key)));
}

/** Opens the issue of `key`, or updates its title and body; adds `comment` when given. */
async function upsertIssue(gh: GitHub, key: string, title: string, body: string, comment?: string): Promise<string> {
  const full = `${marker(key)}\n${body}`;
  const existing = await findIssue(gh, key);
  if (existing === undefined) {
    const created = await gh.createIssue(title, full);
    return `opened issue #${created.number} (${key})`;
  }
  await gh.updateIssue(existing.number, { title, body: full });
  if (comment !== undefined) await gh.createComment(existing.number, comment);
  return `updated issue #${existing.number} (${key})`;
}

async function resolveIssue(gh: GitHub, key: string, comment: string): Promise<string> {
  const existing = await findIssue(gh, key);
  if (existing === undefined) return `no open issue (${key})`;
  await gh.createComment(existing.number, comment);
  await gh.updateIssue(existing.number, { state: 'closed' });
  return `closed issue #${existing.number} (${key})`;
}

// ---------------------------------------------------------------------------------------------
// apply

export const APPLY_RESULTS = ['applied', 'no-changes', 'awaiting-approval', 'failed', 'cancelled', 'refused', 'skipped'] as const;
export type ApplyResult = (typeof APPLY_RESULTS)[number];

const RESULT_LABEL: Record<ApplyResult, string> = {
  applied: '✅ applied',
  'no-changes': '✅ no changes (nothing to apply)',
  'awaiting-approval': '⏳ waiting for approval',
  failed: '❌ failed',
  cancelled: '⚠️ cancelled',
  refused: '⏭️ not applied',
  skipped: '⏭️ skipped',
};

interface EnvironmentResult {
  readonly result: ApplyResult;
  readonly detail: string;
  readonly runUrl: string;
}

export interface ApplyReport {
  readonly commit: string;
  readonly environment: string;
  readonly result: ApplyResult;
  readonly detail: string;
  readonly runUrl: string;
  /** The run's id: a failed or cancelled result is checked against its review history and the head of main (notToFix). */
  readonly runId?: string;
  readonly mainBranch?: string;
}

/**
 * A failed or cancelled apply that nobody has to fix becomes `refused` (not applied), which opens
 * no apply-failure issue:
 * - the environment's deployment was rejected in this run's review (a reviewer's decision, for
 *   example rejecting a stale prod run while a newer one waits; whether GitHub then reports the
 *   job as failed or cancelled is not documented, so both are checked);
 * - the commit is no longer the head of main: a newer merge replaced this run's pending job in the
 *   apply queue (GitHub cancels it) or will apply over it, and that run reports its own result.
 * When the lookups fail, the result stands and the detail says so.
 */
export async function notToFix(gh: GitHub, report: ApplyReport): Promise<ApplyReport> {
  if ((report.result !== 'failed' && report.result !== 'cancelled') || report.runId === undefined) return report;
  try {
    const rejected = (await gh.runReviews(report.runId)).find((r) => r.state === 'rejected' && r.environments.includes(report.environment));
    if (rejected !== undefined)
      return { ...report, result: 'refused', detail: `the ${report.environment} deployment was rejected by @${rejected.reviewer}; nothing was applied` };
    const branch = report.mainBranch ?? 'main';
    const head = await gh.headOf(branch);
    if (head !== '' && head !== report.commit)
      return {
        ...report,
        result: 'refused',
        detail: `superseded: ${branch} is now at ${head.slice(0, 12)}, whose run applies it (this run: ${report.detail})`,
      };
  } catch (error) {
    return { ...report, detail: `${report.detail} (could not check for a rejection or a newer commit: ${(error as Error).message.split('\n')[0]})` };
  }
  return report;
}

type ApplyState = { readonly commit: string; readonly environments: Record<string, EnvironmentResult> };

function applyComment(state: ApplyState): string {
  const rows = Object.entries(state.environments).map(
    ([env, r]) => `| \`${env}\` | ${RESULT_LABEL[r.result]} | ${r.detail.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')} | [run](${r.runUrl}) |`,
  );
  return [
    marker('apply-result'),
    `### Apply of \`${state.commit.slice(0, 12)}\``,
    '',
    '| Environment | Result | Details | Workflow run |',
    '|---|---|---|---|',
    ...rows,
    '',
    '<sub>Updated by the apply workflow as each environment finishes.</sub>',
    stateTag(state),
  ].join('\n');
}

type FailureState = { readonly failing: Record<string, EnvironmentResult & { readonly commit: string }> };

function failureIssueBody(state: FailureState): string {
  const rows = Object.entries(state.failing).map(
    ([env, r]) => `| \`${env}\` | ${RESULT_LABEL[r.result]} | \`${r.commit.slice(0, 12)}\` | ${r.detail.replace(/\|/g, '\\|')} | [run](${r.runUrl}) |`,
  );
  return [
    'An apply of main did not complete. Until it does, the environment runs something other than main.',
    '',
    '| Environment | Result | Commit | Details | Workflow run |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Read the run, fix the cause, then apply the head of main again: `gh workflow run apply` (see docs/delivery.md).',
    'A cancelled apply may have left the state lock: the run says whether it released it; otherwise use the unlock workflow.',
    'This issue closes itself when every environment listed here has applied again.',
    stateTag(state),
  ].join('\n');
}

export async function reportApply(gh: GitHub, reported: ApplyReport): Promise<string[]> {
  const report = await notToFix(gh, reported);
  const done: string[] = [];
  const entry: EnvironmentResult = { result: report.result, detail: report.detail, runUrl: report.runUrl };
  for (const pr of await gh.pullRequestsOfCommit(report.commit)) {
    const mine = (await gh.comments(pr)).find((c) => c.author === BOT && c.body.startsWith(marker('apply-result')));
    const previous = readState<ApplyState>(mine?.body ?? '', { commit: report.commit, environments: {} });
    const state: ApplyState = {
      commit: report.commit,
      environments: { ...(previous.commit === report.commit ? previous.environments : {}), [report.environment]: entry },
    };
    if (mine) {
      await gh.updateComment(mine.id, applyComment(state));
      done.push(`updated the apply comment on #${pr}`);
    } else {
      await gh.createComment(pr, applyComment(state));
      done.push(`commented on #${pr}`);
    }
  }
  if (done.length === 0) done.push(`no pull request found for ${report.commit.slice(0, 12)} (pushed or dispatched without one)`);

  const issue = await findIssue(gh, 'apply-failure');
  const failing = readState<FailureState>(issue?.body ?? '', { failing: {} }).failing;
  if (report.result === 'failed' || report.result === 'cancelled') {
    const state: FailureState = { failing: { ...failing, [report.environment]: { ...entry, commit: report.commit } } };
    done.push(
      await upsertIssue(
        gh,
        'apply-failure',
        `Apply failing: ${Object.keys(state.failing).join(', ')}`,
        failureIssueBody(state),
        `Apply to \`${report.environment}\` ${report.result} for \`${report.commit.slice(0, 12)}\`: ${report.detail} ([run](${report.runUrl}))`,
      ),
    );
  } else if ((report.result === 'applied' || report.result === 'no-changes') && failing[report.environment] !== undefined) {
    const rest = Object.fromEntries(Object.entries(failing).filter(([env]) => env !== report.environment));
    const note = `\`${report.environment}\` applied \`${report.commit.slice(0, 12)}\` ([run](${report.runUrl})).`;
    done.push(
      Object.keys(rest).length === 0
        ? await resolveIssue(gh, 'apply-failure', `${note} Every environment has applied again.`)
        : await upsertIssue(gh, 'apply-failure', `Apply failing: ${Object.keys(rest).join(', ')}`, failureIssueBody({ failing: rest }), note),
    );
  }
  return done;
}

// ---------------------------------------------------------------------------------------------
// drift

export interface DriftCheck {
  readonly environment: string;
  readonly runUrl: string;
  /** The check's result, or why it could not run. */
  readonly outcome: { readonly report: DriftReport } | { readonly error: string };
}

export async function reportDrift(gh: GitHub, check: DriftCheck): Promise<string> {
  const key = `drift:${check.environment}`;
  const existing = await findIssue(gh, key);
  const previous = readState<{ status?: string }>(existing?.body ?? '', {}).status;
  if ('error' in check.outcome) {
    if (existing === undefined) {
      return upsertIssue(
        gh,
        key,
        `Drift check failing: ${check.environment}`,
        `The drift check of \`${check.environment}\` could not run: ${check.outcome.error}\n\nRun: ${check.runUrl}\n${stateTag({ status: 'error' })}`,
      );
    }
    await gh.createComment(
      existing.number,
      `The drift check could not run: ${check.outcome.error} ([run](${check.runUrl})). The report above is from the last check that ran.`,
    );
    return `commented on issue #${existing.number} (${key})`;
  }
  const { report } = check.outcome;
  if (report.status === 'clean') return resolveIssue(gh, key, `\`${check.environment}\` matches main again ([run](${check.runUrl})).`);
  const title =
    report.status === 'unapplied' ? `Not applied yet: ${check.environment} is behind main` : `Drift in ${check.environment}: changed outside Terraform`;
  const comment = previous !== undefined && previous !== report.status ? `Status is now **${report.status}** ([run](${check.runUrl})).` : undefined;
  return upsertIssue(gh, key, title, `${driftIssueBody(check.environment, report, check.runUrl)}\n${stateTag({ status: report.status })}`, comment);
}

// ---------------------------------------------------------------------------------------------
// scheduled jobs

export interface ScheduledRun {
  readonly key: string;
  readonly title: string;
  readonly result: 'success' | 'failure';
  readonly runUrl: string;
  readonly detail: string;
}

export async function reportScheduled(gh: GitHub, run: ScheduledRun): Promise<string> {
  if (run.result === 'success') return resolveIssue(gh, run.key, `Succeeded again ([run](${run.runUrl})).`);
  return upsertIssue(
    gh,
    run.key,
    run.title,
    `${run.detail}\n\nLatest failed run: ${run.runUrl}\n\nThis issue closes itself at the next successful run.`,
    `Failed again ([run](${run.runUrl})).`,
  );
}

// ---------------------------------------------------------------------------------------------
// CLI

class UsageError extends Error {}

function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new UsageError(`expected --flag value pairs, got "${argv.slice(i).join(' ')}"`);
    out.set(argv[i].slice(2), argv[i + 1]);
  }
  return out;
}

export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, gh?: GitHub): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const f = flags(rest);
    const need = (name: string): string => {
      const v = f.get(name);
      if (v === undefined || v === '') throw new UsageError(`${command} needs --${name}`);
      return v;
    };
    const client = (): GitHub => gh ?? restClient(connectionFromEnvironment());
    if (command === 'apply') {
      const result = need('result');
      if (!(APPLY_RESULTS as readonly string[]).includes(result)) throw new UsageError(`--result must be one of ${APPLY_RESULTS.join(', ')}, got "${result}"`);
      const lines = await reportApply(client(), {
        commit: need('commit'),
        environment: need('environment'),
        result: result as ApplyResult,
        detail: f.get('detail') ?? '',
        runUrl: need('run-url'),
        ...(f.get('run-id') ? { runId: f.get('run-id') } : {}),
        ...(f.get('main-branch') ? { mainBranch: f.get('main-branch') } : {}),
      });
      out(lines.map((l) => `${l}\n`).join(''));
      return 0;
    }
    if (command === 'drift') {
      const planJson = f.get('plan-json');
      const error = f.get('error');
      if ((planJson === undefined) === (error === undefined)) throw new UsageError('drift needs exactly one of --plan-json FILE and --error TEXT');
      let outcome: DriftCheck['outcome'];
      if (planJson !== undefined) {
        const report = classifyDrift(parsePlanJson(readFileSync(planJson, 'utf8')));
        out(`status=${report.status}\n`);
        outcome = { report };
      } else {
        outcome = { error: error ?? '' };
      }
      out(`${await reportDrift(client(), { environment: need('environment'), runUrl: need('run-url'), outcome })}\n`);
      return 0;
    }
    if (command === 'scheduled') {
      const result = need('result');
      if (result !== 'success' && result !== 'failure') throw new UsageError(`--result must be success or failure, got "${result}"`);
      out(`${await reportScheduled(client(), { key: need('key'), title: need('title'), result, runUrl: need('run-url'), detail: f.get('detail') ?? '' })}\n`);
      return 0;
    }
    throw new UsageError(`unknown command "${command ?? ''}" (apply, drift, scheduled)`);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`delivery:report: ${error.message}\n`);
      return 2;
    }
    err(`delivery:report: ${(error as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) runCli(main);
