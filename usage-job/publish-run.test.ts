/** publishRun refuses a month the publisher would refuse before any notice goes out (review M3). */
import { CloudWatchPublisher } from './aws/cloudwatch-publisher';
import { publishRun, PublishRunError } from './publish-run';
import type { NoticeLedger, NoticeSender, QuotaNotice } from './quota-notices';
import type { MonthUsage } from './month-figures';

const usage = (month: string): MonthUsage => ({
  month,
  keys: [{ id: 'acme', name: 'Acme', requests: 95, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 100, quotaUsedPercent: 95 }],
  unattributed: { requests: 0 },
  totalRequests: 95,
});
const env = {
  name: 'prod',
  alarms: { quotaPercentThresholds: [80, 100], unattributedPercentThreshold: 5, emails: [] },
  monitoring: { perKeyMetrics: { mode: 'all' } },
} as never;

function parts(now: Date) {
  const sent: QuotaNotice[] = [];
  const puts: unknown[] = [];
  const sender: NoticeSender = {
    batchSize: 10,
    send: async (batch) => {
      sent.push(...batch);
      return { accepted: [...batch], failed: [] };
    },
  };
  const ledger: NoticeLedger = { location: 'memory', recorded: async () => new Set<string>(), record: async () => undefined };
  const publisher = new CloudWatchPublisher(
    {
      putMetricData: async (input) => {
        puts.push(input);
        return {};
      },
    },
    { environment: 'prod', now: () => now },
  );
  return { sent, puts, publishing: { publisher, noticeSender: sender, noticeLedger: ledger } };
}

test('a run for a month CloudWatch would refuse sends no notice and puts nothing', async () => {
  const now = new Date('2026-11-20T10:17:00Z');
  const { sent, puts, publishing } = parts(now);
  const run = publishRun({ usage: usage('2026-09'), env, now, publishing });
  await expect(run).rejects.toThrow(PublishRunError);
  await expect(run).rejects.toThrow(/ended more than two weeks ago.*no quota notice was sent/);
  expect(sent).toEqual([]);
  expect(puts).toEqual([]);
});

test('a run for the current month sends the due notice and publishes', async () => {
  const now = new Date('2026-11-20T10:17:00Z');
  const { sent, puts, publishing } = parts(now);
  const result = await publishRun({ usage: usage('2026-11'), env, now, publishing });
  expect(sent.map((n) => n.detail.noticeId)).toEqual(['prod:acme:2026-11:80']);
  expect(result.notices.sent).toHaveLength(1);
  expect(puts.length).toBeGreaterThan(0);
});
