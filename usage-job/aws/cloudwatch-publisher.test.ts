/** CloudWatch publisher with a controlled client: what goes into each call, and every failure path. */
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { METRIC_IDS, METRICS } from '../../contracts/metrics';
import type { KeyMonthUsage, MonthUsage } from '../month-figures';
import type { PublishRequest, Reconciliation } from '../usage-publisher';
import {
  CloudWatchPublisher,
  gaugeTimestamp,
  keysWithPerKeyMetrics,
  metricBatches,
  PublishError,
  usageMetricData,
  type CloudWatchApi,
  type MetricContext,
} from './cloudwatch-publisher';

const key = (id: string, requests: number, quota = 1000): KeyMonthUsage => ({
  id,
  name: id,
  requests,
  rejected: 2,
  errors: 1,
  bytesOut: 100 * requests,
  bytesIn: 0,
  quota,
  quotaUsedPercent: (100 * requests) / quota,
});
const usage = (keys: KeyMonthUsage[]): MonthUsage => ({ month: '2026-11', keys, unattributed: { requests: 5 }, totalRequests: 1000 });
const THRESHOLDS = [80, 100];
/** A publish request with the shipped defaults: thresholds 80 and 100, every key's per-key metric. */
const request = (u: MonthUsage, extra: Partial<PublishRequest> = {}): PublishRequest => ({
  usage: u,
  timestamp: now,
  thresholds: THRESHOLDS,
  perKeyMetrics: { mode: 'all' },
  ...extra,
});
const context = (u: MonthUsage, extra: Partial<MetricContext> = {}): MetricContext => ({ ...request(u), now, ...extra });

class ControlledCloudWatch implements CloudWatchApi {
  calls: PutMetricDataCommandInput[] = [];
  /** Called before each call; throw to inject a fault. */
  fault: (call: number, input: PutMetricDataCommandInput) => void = () => undefined;
  async putMetricData(input: PutMetricDataCommandInput): Promise<unknown> {
    this.calls.push(input);
    this.fault(this.calls.length, input);
    return {};
  }
}

const awsError = (name: string, status: number) => Object.assign(new Error(`${name} says no`), { name, $metadata: { httpStatusCode: status } });
const now = new Date('2026-11-20T10:37:00Z');
const fast = { backoff: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined } };

describe('CloudWatch publisher (controlled client)', () => {
  it('puts the per-key gauge with the ApiKeyId dimension, per-threshold gauges, environment totals, and the heartbeat last, alone, at the run time', async () => {
    const cw = new ControlledCloudWatch();
    const keys = [key('acme', 500), key('globex', 900), key('initech', 1000)];
    await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now }).publish(request(usage(keys), { noticesSentByThreshold: new Map([[80, 1]]) }));
    expect(cw.calls.map((c) => c.Namespace)).toEqual(['UsageBilling/prod', 'UsageBilling/prod']);
    const [gauges, heartbeat] = cw.calls.map((c) => c.MetricData ?? []);
    const at = '2026-11-20T10:00:00.000Z';
    expect(
      gauges.map((d) => [d.MetricName, d.Value, d.Unit, d.Dimensions?.[0]?.Name ?? null, d.Dimensions?.[0]?.Value ?? null, d.Timestamp?.toISOString()]),
    ).toEqual([
      [METRICS.quotaUsedPercent.name, 50, 'Percent', 'ApiKeyId', 'acme', at],
      [METRICS.quotaUsedPercent.name, 90, 'Percent', 'ApiKeyId', 'globex', at],
      [METRICS.quotaUsedPercent.name, 100, 'Percent', 'ApiKeyId', 'initech', at],
      [METRICS.billableRequests.name, 2400, 'Count', null, null, at],
      [METRICS.rejectedRequests.name, 6, 'Count', null, null, at],
      [METRICS.bytesOut.name, 240_000, 'Bytes', null, null, at],
      [METRICS.unattributedRequests.name, 5, 'Count', null, null, at],
      [METRICS.unattributedPercent.name, 0.5, 'Percent', null, null, at],
      [METRICS.keysAtThreshold.name, 2, 'Count', 'QuotaThreshold', '80', at],
      [METRICS.keysAtThreshold.name, 1, 'Count', 'QuotaThreshold', '100', at],
      [METRICS.quotaNoticesSent.name, 1, 'Count', 'QuotaThreshold', '80', at],
      [METRICS.quotaNoticesSent.name, 0, 'Count', 'QuotaThreshold', '100', at],
    ]);
    expect(heartbeat).toEqual([
      { MetricName: METRICS.heartbeat.name, Value: 1, Unit: 'Count', Timestamp: now },
      { MetricName: METRICS.sinksPartial.name, Value: 0, Unit: 'Count', Timestamp: now },
    ]);
  });

  it('with the large-fleet option, puts the per-key gauge of the K keys nearest their quota only; the totals still cover every key', async () => {
    const cw = new ControlledCloudWatch();
    const keys = Array.from({ length: 50 }, (_, i) => key(`k-${String(i).padStart(2, '0')}`, (i * 37) % 50));
    const result = await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now }).publish(
      request(usage(keys), { perKeyMetrics: { mode: 'top', keys: 3 } }),
    );
    const perKey = (cw.calls[0].MetricData ?? []).filter((d) => d.MetricName === METRICS.quotaUsedPercent.name);
    const expected = [...keys].sort((a, b) => b.requests - a.requests).slice(0, 3);
    expect(perKey.map((d) => [d.Dimensions?.[0]?.Value, d.Value])).toEqual(expected.map((k) => [k.id, k.quotaUsedPercent]));
    expect(result.keysPublished).toBe(3);
    expect(cw.calls[0].MetricData?.find((d) => d.MetricName === METRICS.billableRequests.name)?.Value).toBe(keys.reduce((s, k) => s + k.requests, 0));
    // ties are broken by key id, so a rerun picks the same keys
    expect(keysWithPerKeyMetrics([key('b', 5), key('a', 5), key('c', 5)], { mode: 'top', keys: 2 }).map((k) => k.id)).toEqual(['a', 'b']);
  });

  it('publishes the log shortfall of the last complete day when a reconciler computed one, and returns the reconciliation', async () => {
    const cw = new ControlledCloudWatch();
    const reconciliation: Reconciliation = {
      keys: [{ id: 'acme', logRequests: 500, apiGatewayRequests: 497, gap: 3 }],
      lastCompleteDay: { day: '2026-11-19', apiGatewayRequests: 2000, logRequests: 1500, shortfallPercent: 25 },
    };
    const result = await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, reconciler: { reconcile: async () => reconciliation } }).publish(
      request(usage([key('acme', 500)])),
    );
    expect(result.reconciliation).toEqual(reconciliation);
    const shortfall = cw.calls[0].MetricData?.filter((d) => d.MetricName === METRICS.logShortfallPercent.name);
    expect(shortfall?.map((d) => [d.Value, d.Dimensions])).toEqual([[25, undefined]]);
    // below the minimum volume the figure is null: nothing is put (the alarm treats missing data as not breaching)
    const quiet: Reconciliation = { ...reconciliation, lastCompleteDay: { day: '2026-11-19', apiGatewayRequests: 3, logRequests: 1, shortfallPercent: null } };
    expect(usageMetricData(context(usage([key('acme', 1)]), { reconciliation: quiet })).map((d) => d.MetricName)).not.toContain(
      METRICS.logShortfallPercent.name,
    );
  });

  it('every metric of the table is published by a run with a billing sink (the heartbeat last, on its own)', async () => {
    const cw = new ControlledCloudWatch();
    const reconciliation: Reconciliation = { keys: [], lastCompleteDay: { day: '2026-11-19', apiGatewayRequests: 10, logRequests: 10, shortfallPercent: 0 } };
    await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, reconciler: { reconcile: async () => reconciliation } }).publish(
      request(usage([key('acme', 1)]), { sinks: [{ name: 'stripe', outcome: 'ok', hoursBehind: 0, problems: 0 }] }),
    );
    const names = new Set(cw.calls.flatMap((c) => c.MetricData ?? []).map((d) => d.MetricName));
    expect([...names].sort()).toEqual(METRIC_IDS.map((id) => METRICS[id].name).sort());
  });

  it('when the run withholds the heartbeat (notices not sent), puts the gauges and rejects with the reason', async () => {
    const cw = new ControlledCloudWatch();
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now }).publish(
      request(usage([key('acme', 1)]), { withholdHeartbeat: '1 of 1 quota notices were not sent' }),
    );
    await expect(run).rejects.toThrow('usage gauges published, but no heartbeat: 1 of 1 quota notices were not sent');
    expect(cw.calls).toHaveLength(1);
    expect(cw.calls[0].MetricData?.map((d) => d.MetricName)).not.toContain(METRICS.heartbeat.name);
  });

  it('retries throttled calls and then publishes everything', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = (call) => {
      if (call <= 2) throw awsError('Throttling', 400);
    };
    const result = await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, ...fast }).publish(request(usage([key('acme', 1)])));
    expect(result.metricDataPut).toBe(12); // 1 per key + 5 totals + 2 x 2 per threshold + heartbeat and sinks-partial
    expect(cw.calls).toHaveLength(4); // 2 throttled + gauges + heartbeat
  });

  it('when one batch cannot be published, publishes the others, sends no heartbeat and rejects naming what failed', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = (_call, input) => {
      if (input.MetricData?.some((d) => d.Dimensions?.[0]?.Value === 'k-3')) throw awsError('InvalidParameterValue', 400);
    };
    const keys = Array.from({ length: 6 }, (_, i) => key(`k-${i}`, i));
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, batchSize: 4, ...fast }).publish(request(usage(keys)));
    await expect(run).rejects.toThrow(PublishError);
    await expect(run).rejects.toThrow(
      /^4 of 15 metric data were not published to UsageBilling\/prod \(batch 1\/4 \(4 data\): InvalidParameterValue: InvalidParameterValue says no\); no heartbeat was sent/,
    );
    const names = cw.calls.flatMap((c) => c.MetricData ?? []).map((d) => d.MetricName);
    expect(names).not.toContain(METRICS.heartbeat.name);
    expect(cw.calls.map((c) => c.MetricData?.length)).toEqual([4, 4, 4, 3]); // every batch was tried once (the failing one is not retryable)
  });

  it('fails when throttling outlasts the retries', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = () => {
      throw awsError('Throttling', 400);
    };
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, ...fast }).publish(request(usage([key('acme', 1)])));
    await expect(run).rejects.toThrow('CloudWatch PutMetricData failed after 3 attempts: Throttling');
  });

  it('still publishes the usage gauges when API Gateway cannot be read, then rejects without a heartbeat', async () => {
    const cw = new ControlledCloudWatch();
    const reconciler = {
      reconcile: async () => {
        throw new Error('API Gateway GetUsage failed: AccessDeniedException');
      },
    };
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, reconciler }).publish(request(usage([key('acme', 1)])));
    await expect(run).rejects.toThrow(
      'usage gauges published, but reconciliation with API Gateway failed (API Gateway GetUsage failed: AccessDeniedException)',
    );
    expect(cw.calls).toHaveLength(1);
    expect(cw.calls[0].MetricData?.map((d) => d.MetricName)).toContain(METRICS.quotaUsedPercent.name);
  });

  it('refuses, before any call, a value CloudWatch would reject and a month more than two weeks old', async () => {
    const cw = new ControlledCloudWatch();
    const publisher = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now });
    await expect(publisher.publish(request(usage([{ ...key('acme', 1), quotaUsedPercent: Number.NaN }])))).rejects.toThrow(
      'metric QuotaUsedPercent of ApiKeyId acme has the value NaN; CloudWatch accepts only finite numbers. Nothing was published',
    );
    const september = { ...usage([key('acme', 1)]), month: '2026-09' };
    await expect(publisher.publish(request(september))).rejects.toThrow(
      'month 2026-09 ended more than two weeks ago (its gauges would be timestamped 2026-09-30T23:00:00.000Z)',
    );
    expect(cw.calls).toHaveLength(0);
  });
});

describe('gauge timestamps and batches', () => {
  it('floors to the hour and clamps into the published month', () => {
    expect(gaugeTimestamp(new Date('2026-11-20T10:37:12Z'), '2026-11').toISOString()).toBe('2026-11-20T10:00:00.000Z');
    expect(gaugeTimestamp(new Date('2026-12-01T00:05:00Z'), '2026-11').toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(gaugeTimestamp(new Date('2026-10-31T23:59:00Z'), '2026-11').toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('never puts more than 1,000 data in a batch and keeps every datum in order', () => {
    const data = usageMetricData(context(usage(Array.from({ length: 2500 }, (_, i) => key(`k-${i}`, i)))));
    const batches = metricBatches(data);
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 509]);
    expect(batches.flat()).toEqual(data);
    expect(() => metricBatches(data, 1001)).toThrow('batch size must be 1 to 1000, got 1001');
  });

  it('splits by estimated request size too, staying under 1 MB', () => {
    const long = 'x'.repeat(1000);
    const data = usageMetricData(context(usage(Array.from({ length: 800 }, (_, i) => key(`${long}-${i}`, i)))));
    const batches = metricBatches(data);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.reduce((s, d) => s + 2 * JSON.stringify(d).length + 64, 0)).toBeLessThanOrEqual(900 * 1024);
    expect(batches.flat()).toEqual(data);
  });
});
