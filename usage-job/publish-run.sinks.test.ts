/** publishRun tells CloudWatch how far behind each billing sink is, from the sinks' reports: the heartbeat says partial. */
import { publishRun, sinkStatus } from './publish-run';
import type { MonthUsage } from './month-figures';
import type { SinkReport } from './sinks/sink';
import type { PublishRequest, UsagePublisher } from './usage-publisher';

const usage: MonthUsage = { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 0 };
const env = {
  name: 'prod',
  alarms: { quotaPercentThresholds: [80, 100], unattributedPercentThreshold: 5, emails: [] },
  monitoring: { perKeyMetrics: { mode: 'all' } },
} as never;
const now = new Date('2026-11-20T10:17:00Z');

const report = (sink: string, outcome: SinkReport['outcome'], oldest: string | null, problems = 0): SinkReport => ({
  sink,
  outcome,
  sent: 0,
  unchanged: 0,
  problems: Array.from({ length: problems }, (_, i) => ({ customerId: `c${i}`, message: 'no Stripe customer id in the registry' })),
  oldestUnreportedHour: oldest,
});

test('each sink report becomes its status: hours behind the run hour, problem count, outcome', async () => {
  const requests: PublishRequest[] = [];
  const publisher: UsagePublisher = {
    publish: async (request) => {
      requests.push(request);
      return { metricDataPut: 0, keysPublished: 0 };
    },
  };
  const ledger = { location: 'memory', recorded: async () => new Set<string>(), record: async () => undefined };
  const sender = { batchSize: 10, send: async () => ({ accepted: [], failed: [] }) };
  await publishRun({
    usage,
    env,
    now,
    publishing: { publisher, noticeSender: sender, noticeLedger: ledger },
    sinkReports: [report('stripe', 'partial', '2026-11-19T04', 2), report('marketplace', 'ok', null)],
  });
  expect(requests[0]?.sinks).toEqual([
    { name: 'stripe', outcome: 'partial', hoursBehind: 30, problems: 2 },
    { name: 'marketplace', outcome: 'ok', hoursBehind: 0, problems: 0 },
  ]);
});

test('a sink status for a failed sink keeps its outcome', () => {
  expect(sinkStatus(report('stripe', 'failed', '2026-11-20T09', 1), now)).toEqual({ name: 'stripe', outcome: 'failed', hoursBehind: 1, problems: 1 });
});
