/** What CloudWatch is told about the billing sinks: per sink how far behind and how many problems, and the heartbeat says partial. */
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { METRICS, SINK_DIMENSION } from '../../contracts/metrics';
import type { MonthUsage } from '../month-figures';
import type { SinkStatus } from '../usage-publisher';
import { CloudWatchPublisher, type CloudWatchApi } from './cloudwatch-publisher';

const now = new Date('2026-12-01T03:37:00Z');
const runHour = new Date('2026-12-01T03:00:00Z');
const usage: MonthUsage = { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 0 };

async function publishWith(sinks: readonly SinkStatus[]): Promise<PutMetricDataCommandInput[]> {
  const calls: PutMetricDataCommandInput[] = [];
  const cw: CloudWatchApi = { putMetricData: async (input) => calls.push(input) };
  await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now }).publish({
    usage,
    timestamp: now,
    thresholds: [80, 100],
    perKeyMetrics: { mode: 'all' },
    sinks,
  });
  return calls;
}

const sinkData = (calls: PutMetricDataCommandInput[]) =>
  calls
    .flatMap((c) => c.MetricData ?? [])
    .filter((d) => d.Dimensions?.[0]?.Name === SINK_DIMENSION)
    .map((d) => [d.MetricName, d.Dimensions?.[0]?.Value, d.Value, d.Timestamp]);

it('puts SinkHoursBehind and SinkProblems per sink at the run hour (not clamped into the month), and the heartbeat says partial', async () => {
  const calls = await publishWith([
    { name: 'marketplace', outcome: 'ok', hoursBehind: 0, problems: 0 },
    { name: 'stripe', outcome: 'partial', hoursBehind: 30, problems: 2 },
  ]);
  expect(sinkData(calls)).toEqual([
    [METRICS.sinkHoursBehind.name, 'marketplace', 0, runHour],
    [METRICS.sinkHoursBehind.name, 'stripe', 30, runHour],
    [METRICS.sinkProblems.name, 'marketplace', 0, runHour],
    [METRICS.sinkProblems.name, 'stripe', 2, runHour],
  ]);
  const heartbeatCall = calls[calls.length - 1]?.MetricData ?? [];
  expect(heartbeatCall.map((d) => [d.MetricName, d.Value])).toEqual([
    [METRICS.heartbeat.name, 1],
    [METRICS.sinksPartial.name, 1],
  ]);
});

it('says not partial when every sink is ok, and puts no sink metric without sinks', async () => {
  const ok = await publishWith([{ name: 'stripe', outcome: 'ok', hoursBehind: 0, problems: 0 }]);
  expect(ok[ok.length - 1]?.MetricData?.find((d) => d.MetricName === METRICS.sinksPartial.name)?.Value).toBe(0);
  const none = await publishWith([]);
  expect(sinkData(none)).toEqual([]);
  expect(none[none.length - 1]?.MetricData?.find((d) => d.MetricName === METRICS.sinksPartial.name)?.Value).toBe(0);
});

it('a failed sink is partial for the heartbeat too', async () => {
  const calls = await publishWith([{ name: 'stripe', outcome: 'failed', hoursBehind: 5, problems: 1 }]);
  expect(calls[calls.length - 1]?.MetricData?.find((d) => d.MetricName === METRICS.sinksPartial.name)?.Value).toBe(1);
});
