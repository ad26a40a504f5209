/**
 * The pipeline's reports on GitHub (delivery/github-report.ts) against an in-memory GitHub REST API
 * over HTTP (testing/fake-github.ts): the apply result on the merged pull request, the one
 * apply-failure issue, one drift issue per environment that tells real drift from changes merged
 * and not applied yet, and scheduled-job failure issues.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyDrift } from './drift-report';
import { restClient, type GitHub } from './github-api';
import { main, marker, reportApply, reportDrift, reportScheduled } from './github-report';
import { parsePlanJson } from './plan-json';
import { BOT_LOGIN, startFakeGitHub, type FakeGitHub } from './testing/fake-github';
import { readFileSync } from 'node:fs';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string) => parsePlanJson(readFileSync(join(FIXTURES, name), 'utf8'));
const RUN = 'https://github.com/example-org/usage-billing-platform/actions/runs/77';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

let fake: FakeGitHub;
let gh: GitHub;

beforeEach(async () => {
  fake = await startFakeGitHub();
  gh = restClient({ apiUrl: fake.apiUrl, repository: 'example-org/usage-billing-platform', token: 'test-token' });
});
afterEach(() => fake.close());

const openIssues = () => fake.items.filter((i) => i.state === 'open' && i.pull_request === undefined);

describe('drift classification', () => {
  test('tells objects changed outside Terraform from changes merged and not applied yet', () => {
    const report = classifyDrift(fixture('aws-drift.json'));
    expect(report.status).toBe('drift-and-unapplied');
    expect(report.drifted).toEqual([
      { address: 'aws_s3_bucket.usage', kind: 'update', corrected: true },
      { address: 'aws_cloudwatch_metric_alarm.heartbeat', kind: 'update', corrected: false },
    ]);
    expect(report.unapplied).toEqual([{ address: 'aws_cloudwatch_dashboard.usage', kind: 'update' }]);
  });

  test('a plan of merged changes only is not drift, and a no-op plan is clean', () => {
    expect(classifyDrift(fixture('aws-delete.json')).status).toBe('unapplied');
    expect(classifyDrift(fixture('real-no-op.json'))).toEqual({ status: 'clean', drifted: [], unapplied: [] });
    expect(classifyDrift(fixture('aws-outputs.json')).status).toBe('drift');
  });
});

describe('drift issues: one per environment, opened, updated and closed by the check', () => {
  test('opens on drift, updates on the next run, says when the status changes, closes when clean', async () => {
    expect(await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { report: classifyDrift(fixture('aws-drift.json')) } })).toBe(
      'opened issue #1 (drift:prod)',
    );
    const [issue] = openIssues();
    expect(issue.title).toBe('Drift in prod: changed outside Terraform');
    expect(issue.body.startsWith(marker('drift:prod'))).toBe(true);
    expect(issue.body).toContain('### Changed outside Terraform in `prod`');
    expect(issue.body).toContain('| `aws_s3_bucket.usage` | update | yes |');
    expect(issue.body).toContain('### Merged to main, not applied yet in `prod`');
    expect(issue.body).toContain('| `aws_cloudwatch_dashboard.usage` | update |');

    // Another environment gets its own issue.
    await reportDrift(gh, { environment: 'dev', runUrl: RUN, outcome: { report: classifyDrift(fixture('aws-delete.json')) } });
    expect(openIssues().map((i) => i.title)).toEqual(['Drift in prod: changed outside Terraform', 'Not applied yet: dev is behind main']);

    expect(await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { report: classifyDrift(fixture('aws-delete.json')) } })).toBe(
      'updated issue #1 (drift:prod)',
    );
    expect(fake.items[0].title).toBe('Not applied yet: prod is behind main');
    expect(fake.items[0].comments.map((c) => c.body)).toEqual([`Status is now **unapplied** ([run](${RUN})).`]);

    expect(await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { report: classifyDrift(fixture('real-no-op.json')) } })).toBe(
      'closed issue #1 (drift:prod)',
    );
    expect(fake.items[0].state).toBe('closed');
    expect(openIssues().map((i) => i.number)).toEqual([2]);
  });

  test('a check that could not run says so without closing or reopening anything', async () => {
    await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { report: classifyDrift(fixture('aws-drift.json')) } });
    expect(await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { error: 'terraform plan failed' } })).toBe('commented on issue #1 (drift:prod)');
    expect(fake.items[0].state).toBe('open');
    expect(fake.items[0].comments.at(-1)?.body).toContain('The drift check could not run: terraform plan failed');
  });

  test('an issue with the marker written by someone else is not ours', async () => {
    fake.addIssue('typed by a person', `${marker('drift:prod')}\nhello`, 'mallory');
    await reportDrift(gh, { environment: 'prod', runUrl: RUN, outcome: { report: classifyDrift(fixture('aws-drift.json')) } });
    expect(fake.items.map((i) => i.user.login)).toEqual(['mallory', BOT_LOGIN]);
    expect(fake.items[0].body).toBe(`${marker('drift:prod')}\nhello`);
  });
});

describe('apply results', () => {
  beforeEach(() => {
    fake.addPullRequest(1, 'the merged change');
    fake.commitPulls.set(SHA, [1]);
  });

  test('one comment on the merged pull request, updated per environment', async () => {
    expect(await reportApply(gh, { commit: SHA, environment: 'dev', result: 'applied', detail: 'smoke test passed', runUrl: RUN })).toEqual([
      'commented on #1',
    ]);
    await reportApply(gh, { commit: SHA, environment: 'prod', result: 'awaiting-approval', detail: 'prod plan: 1 to change', runUrl: RUN });
    await reportApply(gh, { commit: SHA, environment: 'prod', result: 'applied', detail: 'smoke test passed', runUrl: RUN });
    const comments = fake.items[0].comments;
    expect(comments).toHaveLength(1);
    expect(comments[0].body.startsWith(marker('apply-result'))).toBe(true);
    expect(comments[0].body).toContain('| `dev` | ✅ applied | smoke test passed |');
    expect(comments[0].body).toContain('| `prod` | ✅ applied | smoke test passed |');
    expect(comments[0].body).not.toContain('waiting for approval');
    expect(openIssues()).toEqual([]);
  });

  test('a failure opens or updates the one apply-failure issue, which closes once every environment applied again', async () => {
    await reportApply(gh, { commit: SHA, environment: 'dev', result: 'failed', detail: 'terraform apply failed', runUrl: RUN });
    await reportApply(gh, { commit: SHA, environment: 'prod', result: 'cancelled', detail: 'lock released', runUrl: RUN });
    expect(openIssues()).toHaveLength(1);
    expect(openIssues()[0].title).toBe('Apply failing: dev, prod');
    expect(openIssues()[0].comments).toHaveLength(1); // created by the first, commented by the second
    await reportApply(gh, { commit: SHA, environment: 'dev', result: 'applied', detail: '', runUrl: RUN });
    expect(openIssues()[0].title).toBe('Apply failing: prod');
    await reportApply(gh, { commit: SHA, environment: 'prod', result: 'no-changes', detail: '', runUrl: RUN });
    expect(openIssues()).toEqual([]);
    expect(fake.items.find((i) => i.title.startsWith('Apply failing'))?.comments.at(-1)?.body).toContain('Every environment has applied again.');
  });

  // Review finding m1: a merge burst cancels pending jobs, and a reviewer rejects a stale prod run;
  // neither needs fixing, and neither may open "Apply failing".
  describe('with the run id, results nobody has to fix open no issue', () => {
    const NEWER = 'b'.repeat(40);

    test('a cancelled or failed run whose commit is no longer the head of main is "not applied", superseded', async () => {
      fake.branches.set('main', NEWER);
      await reportApply(gh, { commit: SHA, environment: 'dev', result: 'cancelled', detail: 'the run was cancelled', runUrl: RUN, runId: '77' });
      await reportApply(gh, { commit: SHA, environment: 'prod', result: 'failed', detail: 'apply prod failure', runUrl: RUN, runId: '77' });
      expect(openIssues()).toEqual([]);
      const comment = fake.items[0].comments[0].body;
      expect(comment).toContain(
        `| \`dev\` | ⏭️ not applied | superseded: main is now at ${NEWER.slice(0, 12)}, whose run applies it (this run: the run was cancelled) |`,
      );
      expect(comment).toContain('| `prod` | ⏭️ not applied | superseded: main is now at');
    });

    test('a prod deployment rejected in review is "not applied", even at the head of main', async () => {
      fake.branches.set('main', SHA);
      fake.reviews.set('77', [{ state: 'rejected', environments: [{ name: 'prod' }], user: { login: 'reviewer' }, comment: 'stale' }]);
      await reportApply(gh, { commit: SHA, environment: 'prod', result: 'failed', detail: 'apply prod failure', runUrl: RUN, runId: '77' });
      expect(openIssues()).toEqual([]);
      expect(fake.items[0].comments[0].body).toContain('| `prod` | ⏭️ not applied | the prod deployment was rejected by @reviewer; nothing was applied |');
    });

    test('a failure at the head of main, not rejected, still opens the issue', async () => {
      fake.branches.set('main', SHA);
      fake.reviews.set('77', [{ state: 'approved', environments: [{ name: 'prod' }], user: { login: 'reviewer' }, comment: '' }]);
      await reportApply(gh, { commit: SHA, environment: 'prod', result: 'failed', detail: 'apply prod failure', runUrl: RUN, runId: '77' });
      expect(openIssues().map((i) => i.title)).toEqual(['Apply failing: prod']);
    });

    test('when the head cannot be read, the failure stands and says so', async () => {
      await reportApply(gh, { commit: SHA, environment: 'dev', result: 'failed', detail: 'apply dev failure', runUrl: RUN, runId: '77' });
      expect(openIssues().map((i) => i.title)).toEqual(['Apply failing: dev']);
      expect(fake.items[0].comments[0].body).toContain('apply dev failure (could not check for a rejection or a newer commit: GET');
    });
  });

  test('a commit without a pull request is said so', async () => {
    expect(await reportApply(gh, { commit: 'f'.repeat(40), environment: 'dev', result: 'applied', detail: '', runUrl: RUN })).toEqual([
      'no pull request found for ffffffffffff (pushed or dispatched without one)',
    ]);
  });
});

describe('scheduled jobs', () => {
  test('a failing scheduled run opens one issue, later failures comment, a success closes it', async () => {
    const failing = { key: 'usage:prod', title: 'Usage job failing: prod', runUrl: RUN, detail: 'The hourly usage job of prod failed.' } as const;
    expect(await reportScheduled(gh, { ...failing, result: 'failure' })).toBe('opened issue #1 (usage:prod)');
    expect(await reportScheduled(gh, { ...failing, result: 'failure' })).toBe('updated issue #1 (usage:prod)');
    expect(await reportScheduled(gh, { ...failing, result: 'success' })).toBe('closed issue #1 (usage:prod)');
    expect(await reportScheduled(gh, { ...failing, result: 'success' })).toBe('no open issue (usage:prod)');
  });
});

describe('delivery:report CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
    writeFileSync(join(dir, 'plan.json'), readFileSync(join(FIXTURES, 'aws-drift.json')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(
      args,
      (s) => (out += s),
      (s) => (err += s),
      gh,
    );
    return { code, out, err };
  };

  test('drift prints the status and what it did', async () => {
    expect(await cli('drift', '--environment', 'prod', '--run-url', RUN, '--plan-json', join(dir, 'plan.json'))).toEqual({
      code: 0,
      out: 'status=drift-and-unapplied\nopened issue #1 (drift:prod)\n',
      err: '',
    });
  });

  test('bad arguments exit 2', async () => {
    expect((await cli('apply', '--environment', 'dev', '--result', 'exploded', '--commit', SHA, '--run-url', RUN)).code).toBe(2);
    expect((await cli('drift', '--environment', 'dev', '--run-url', RUN)).code).toBe(2);
    expect((await cli('nothing')).code).toBe(2);
  });
});
