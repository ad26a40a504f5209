/**
 * CloudWatch publishing against moto in server mode: what GetMetricData returns is what was put,
 * a second run leaves Maximum unchanged, and more than 1,000 data go out in several calls.
 * moto 5.2.5's GetMetricData ignores the namespace when a query has dimensions, so tests that share
 * a region use distinct keys or hours.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { useMotoServer } from '../../test-support/moto-server';
import { API_KEY_DIMENSION, ENVIRONMENT_METRICS, metricsNamespace, PER_KEY_METRICS } from '../../contracts/metrics';
import type { KeyMonthUsage, MonthUsage } from '../usage-publisher';
import { cloudWatchClient } from './clients';
import { CloudWatchPublisher, cloudWatchApi, type CloudWatchApi } from './cloudwatch-publisher';
import { createCloudWatchUsagePublisher } from './index';

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

    const first = await publisher.publish({ usage: month, timestamp: runTime });
    expect(first.metricDataPut).toBe(2 * 4 + 2 + 1);

    const expected: [string, number, string?][] = [
      [PER_KEY_METRICS.billableRequests, 8_000, 'acme'],
      [PER_KEY_METRICS.bytesOut, 8_000 * 512, 'acme'],
      [PER_KEY_METRICS.rejectedRequests, 800, 'acme'],
      [PER_KEY_METRICS.quotaUsedPercent, 80, 'acme'],
      [PER_KEY_METRICS.billableRequests, 120, 'globex'],
      [PER_KEY_METRICS.quotaUsedPercent, 120, 'globex'],
      [ENVIRONMENT_METRICS.unattributedRequests, 25],
      [ENVIRONMENT_METRICS.unattributedPercent, (100 * 25) / month.totalRequests],
    ];
    for (const [metric, value, id] of expected) expect(await statistic(ns, metric, 'Maximum', hour, id)).toEqual([value]);
    expect(await statistic(ns, ENVIRONMENT_METRICS.heartbeat, 'Maximum', runTime)).toEqual([1]);

    await publisher.publish({ usage: month, timestamp: new Date('2026-11-20T10:59:00Z') });

    for (const [metric, value, id] of expected) expect(await statistic(ns, metric, 'Maximum', hour, id)).toEqual([value]);
    // The rerun did put its data (two samples now), which is why alarms must not use Sum.
    expect(await statistic(ns, PER_KEY_METRICS.billableRequests, 'SampleCount', hour, 'acme')).toEqual([2]);
    expect(await statistic(ns, PER_KEY_METRICS.billableRequests, 'Sum', hour, 'acme')).toEqual([16_000]);
  });

  it('sends more than 1,000 data in calls of at most 1,000, and all of them arrive', async () => {
    const env = 'batches';
    const ns = metricsNamespace(env);
    const keys = Array.from({ length: 300 }, (_, i) => key(`key-${i}`, 1_000 + i));
    const api = counting(cloudWatchApi(client));
    const result = await new CloudWatchPublisher(api, { environment: env, now: () => runTime }).publish({ usage: usage(keys), timestamp: runTime });

    expect(result.metricDataPut).toBe(300 * 4 + 2 + 1);
    expect(api.sizes).toEqual([1000, 202, 1]);
    for (const i of [0, 249, 250, 299]) {
      expect(await statistic(ns, PER_KEY_METRICS.billableRequests, 'Maximum', hour, `key-${i}`)).toEqual([1_000 + i]);
    }
  });

  it('puts a closed month at its last hour, never into the next month', async () => {
    const env = 'closing';
    const ns = metricsNamespace(env);
    const dec1 = new Date('2026-12-01T02:10:00Z');
    await new CloudWatchPublisher(cloudWatchApi(client), { environment: env, now: () => dec1 }).publish({
      usage: usage([key('acme', 9_999)]),
      timestamp: dec1,
    });
    expect(await statistic(ns, PER_KEY_METRICS.billableRequests, 'Maximum', new Date('2026-11-30T23:00:00Z'), 'acme')).toEqual([9_999]);
    expect(await statistic(ns, PER_KEY_METRICS.billableRequests, 'Maximum', new Date('2026-12-01T02:00:00Z'), 'acme')).toEqual([]);
  });

  it('createCloudWatchUsagePublisher publishes to any AWS-compatible endpoint given (the --cloudwatch-endpoint path)', async () => {
    const publisher = createCloudWatchUsagePublisher({
      environment: 'local',
      region: 'us-west-2',
      endpoint: moto.endpoint,
      credentials: moto.clientConfig().credentials,
      now: () => runTime,
    });
    await expect(publisher.publish({ usage: usage([key('acme', 42)]), timestamp: runTime })).resolves.toEqual({ metricDataPut: 7 });
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
                MetricName: PER_KEY_METRICS.billableRequests,
                Dimensions: [{ Name: API_KEY_DIMENSION, Value: 'acme' }],
              },
              Period: 3600,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([42]);
  });
});
