/**
 * CloudWatch publishing against moto in server mode: what GetMetricData returns is what was put,
 * a second run leaves Maximum unchanged, and more than 1,000 data go out in several calls.
 * moto 5.2.5's GetMetricData ignores the namespace when a query has dimensions, so tests that share
 * a region use distinct keys or hours.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { useMotoServer } from '../../test-support/moto-server';
import { API_KEY_DIMENSION, METRICS, metricsNamespace } from '../../contracts/metrics';
import type { KeyMonthUsage, MonthUsage } from '../month-figures';
import type { PublishRequest } from '../usage-publisher';
import { cloudWatchClient } from './clients';
import { CloudWatchPublisher, cloudWatchApi, type CloudWatchApi } from './cloudwatch-publisher';
import { cloudWatchUsagePublisher } from './index';

const moto = useMotoServer();
let client: CloudWatchClient;
beforeAll(() => {
  client = cloudWatchClient({ region: 'eu-west-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
});

const key = (id: string, requests: number, quota = 10_000): KeyMonthUsage => ({
  id,
  name: id,
  requests,
  rejected: Math.floor(requests / 10),
  errors: 1,
  bytesOut: requests * 512,
  bytesIn: requests * 20,
  quota,
  quotaUsedPercent: (100 * requests) / quota,
});

function usage(keys: KeyMonthUsage[], unattributed = 25): MonthUsage {
  const total = keys.reduce((s, k) => s + k.requests + k.rejected + k.errors, 0) + unattributed;
  return { month: '2026-11', keys, unattributed: { requests: unattributed }, totalRequests: total };
}

const request = (u: MonthUsage, timestamp: Date): PublishRequest => ({ usage: u, timestamp, thresholds: [80, 100], perKeyMetrics: { mode: 'all' } });

function counting(api: CloudWatchApi): CloudWatchApi & { sizes: number[] } {
  const sizes: number[] = [];
  return { sizes, putMetricData: (input) => (sizes.push(input.MetricData?.length ?? 0), api.putMetricData(input)) };
}

async function statistic(namespace: string, metric: string, stat: string, at: Date, keyId?: string): Promise<number[]> {
  const query: MetricDataQuery = {
    Id: 'q',
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, ...(keyId ? { Dimensions: [{ Name: API_KEY_DIMENSION, Value: keyId }] } : {}) },
      Period: 3600,
      Stat: stat,
    },
  };
  const out = await client.send(
    new GetMetricDataCommand({ MetricDataQueries: [query], StartTime: new Date(at.getTime() - 1_800_000), EndTime: new Date(at.getTime() + 1_800_000) }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
}

describe('CloudWatch publisher on moto server', () => {
  const runTime = new Date('2026-11-20T10:37:12Z');
  const hour = new Date('2026-11-20T10:00:00Z');

  it('publishes every gauge at the run hour; GetMetricData returns the values put; a second run leaves Maximum unchanged', async () => {
    const env = 'gauges';
    const ns = metricsNamespace(env);
    const api = counting(cloudWatchApi(client));
    const publisher = new CloudWatchPublisher(api, { environment: env, now: () => runTime });
    const month = usage([key('acme', 8_000), key('globex', 120, 100)]);

    const first = await publisher.publish(request(month, runTime));
    expect(first.metricDataPut).toBe(2 + 5 + 2 * 2 + 2); // per key, totals, per threshold, heartbeat and sinks-partial

    const expected: [string, number, string?][] = [
      [METRICS.quotaUsedPercent.name, 80, 'acme'],
      [METRICS.quotaUsedPercent.name, 120, 'globex'],
      [METRICS.billableRequests.name, 8_120],
      [METRICS.bytesOut.name, 8_120 * 512],
      [METRICS.rejectedRequests.name, 812],
      [METRICS.unattributedRequests.name, 25],
      [METRICS.unattributedPercent.name, (100 * 25) / month.totalRequests],
    ];
    for (const [metric, value, id] of expected) expect(await statistic(ns, metric, 'Maximum', hour, id)).toEqual([value]);
    expect(await statistic(ns, METRICS.heartbeat.name, 'Maximum', runTime)).toEqual([1]);

    await publisher.publish(request(month, new Date('2026-11-20T10:59:00Z')));

    for (const [metric, value, id] of expected) expect(await statistic(ns, metric, 'Maximum', hour, id)).toEqual([value]);
    // The rerun did put its data (two samples now), which is why alarms must not use Sum.
    expect(await statistic(ns, METRICS.quotaUsedPercent.name, 'SampleCount', hour, 'acme')).toEqual([2]);
    expect(await statistic(ns, METRICS.quotaUsedPercent.name, 'Sum', hour, 'acme')).toEqual([160]);
  });

  it('sends more than 1,000 data in calls of at most 1,000, and all of them arrive', async () => {
    const env = 'batches';
    const ns = metricsNamespace(env);
    const keys = Array.from({ length: 1200 }, (_, i) => key(`key-${i}`, 1_000 + i));
    const api = counting(cloudWatchApi(client));
    const result = await new CloudWatchPublisher(api, { environment: env, now: () => runTime }).publish(request(usage(keys), runTime));

    expect(result.metricDataPut).toBe(1200 + 5 + 2 * 2 + 2);
    expect(api.sizes).toEqual([1000, 209, 2]);
    for (const i of [0, 999, 1000, 1199]) {
      expect(await statistic(ns, METRICS.quotaUsedPercent.name, 'Maximum', hour, `key-${i}`)).toEqual([(100 * (1_000 + i)) / 10_000]);
    }
  });

  it('puts a closed month at its last hour, never into the next month', async () => {
    const env = 'closing';
    const ns = metricsNamespace(env);
    const dec1 = new Date('2026-12-01T02:10:00Z');
    await new CloudWatchPublisher(cloudWatchApi(client), { environment: env, now: () => dec1 }).publish(request(usage([key('acme', 9_999)]), dec1));
    expect(await statistic(ns, METRICS.quotaUsedPercent.name, 'Maximum', new Date('2026-11-30T23:00:00Z'), 'acme')).toEqual([99.99]);
    expect(await statistic(ns, METRICS.quotaUsedPercent.name, 'Maximum', new Date('2026-12-01T02:00:00Z'), 'acme')).toEqual([]);
  });

  it('cloudWatchUsagePublisher publishes to any AWS-compatible endpoint given (the --cloudwatch-endpoint path)', async () => {
    const publisher = cloudWatchUsagePublisher({
      environment: 'local',
      connection: { region: 'us-west-2', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials },
      now: () => runTime,
    });
    await expect(publisher.publish(request(usage([key('acme', 42)]), runTime))).resolves.toEqual({ metricDataPut: 12, keysPublished: 1 });
    const regional = cloudWatchClient({ region: 'us-west-2', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
    const out = await regional.send(
      new GetMetricDataCommand({
        StartTime: hour,
        EndTime: new Date(hour.getTime() + 3_600_000),
        MetricDataQueries: [
          {
            Id: 'q',
            MetricStat: {
              Metric: {
                Namespace: 'UsageBilling/local',
                MetricName: METRICS.quotaUsedPercent.name,
                Dimensions: [{ Name: API_KEY_DIMENSION, Value: 'acme' }],
              },
              Period: 3600,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([0.42]);
  });
});
