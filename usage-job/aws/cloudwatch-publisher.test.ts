/** CloudWatch publisher with a controlled client: what goes into each call, and every failure path. */
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { ENVIRONMENT_METRICS, PER_KEY_METRICS } from '../../contracts/metrics';
import type { KeyMonthUsage, MonthUsage } from '../usage-publisher';
import { CloudWatchPublisher, gaugeTimestamp, metricBatches, PublishError, usageMetricData, type CloudWatchApi } from './cloudwatch-publisher';

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
  it('puts per-key gauges with the ApiKeyId dimension, environment gauges without, and the heartbeat last, alone, at the run time', async () => {
    const cw = new ControlledCloudWatch();
    await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now }).publish({ usage: usage([key('acme', 500)]), timestamp: now });
    expect(cw.calls.map((c) => c.Namespace)).toEqual(['UsageBilling/prod', 'UsageBilling/prod']);
    const [gauges, heartbeat] = cw.calls.map((c) => c.MetricData ?? []);
    expect(gauges.map((d) => [d.MetricName, d.Value, d.Unit, d.Dimensions?.[0]?.Value ?? null, d.Timestamp?.toISOString()])).toEqual([
      [PER_KEY_METRICS.billableRequests, 500, 'Count', 'acme', '2026-11-20T10:00:00.000Z'],
      [PER_KEY_METRICS.bytesOut, 50_000, 'Bytes', 'acme', '2026-11-20T10:00:00.000Z'],
      [PER_KEY_METRICS.rejectedRequests, 2, 'Count', 'acme', '2026-11-20T10:00:00.000Z'],
      [PER_KEY_METRICS.quotaUsedPercent, 50, 'Percent', 'acme', '2026-11-20T10:00:00.000Z'],
      [ENVIRONMENT_METRICS.unattributedRequests, 5, 'Count', null, '2026-11-20T10:00:00.000Z'],
      [ENVIRONMENT_METRICS.unattributedPercent, 0.5, 'Percent', null, '2026-11-20T10:00:00.000Z'],
    ]);
    expect(gauges[0].Dimensions).toEqual([{ Name: 'ApiKeyId', Value: 'acme' }]);
    expect(heartbeat).toEqual([{ MetricName: ENVIRONMENT_METRICS.heartbeat, Value: 1, Unit: 'Count', Timestamp: now }]);
  });

  it('publishes each key reconciliation gap when a reconciler is given and returns the reconciliation', async () => {
    const cw = new ControlledCloudWatch();
    const reconciliation = [{ id: 'acme', logRequests: 500, apiGatewayRequests: 497, gap: 3 }];
    const result = await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, reconciler: { reconcile: async () => reconciliation } }).publish({
      usage: usage([key('acme', 500)]),
      timestamp: now,
    });
    expect(result.reconciliation).toEqual(reconciliation);
    const gap = cw.calls[0].MetricData?.find((d) => d.MetricName === PER_KEY_METRICS.reconciliationGap);
    expect(gap?.Value).toBe(3);
    expect(gap?.Dimensions).toEqual([{ Name: 'ApiKeyId', Value: 'acme' }]);
  });

  it('retries throttled calls and then publishes everything', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = (call) => {
      if (call <= 2) throw awsError('Throttling', 400);
    };
    const result = await new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, ...fast }).publish({
      usage: usage([key('acme', 1)]),
      timestamp: now,
    });
    expect(result.metricDataPut).toBe(7);
    expect(cw.calls).toHaveLength(4); // 2 throttled + gauges + heartbeat
  });

  it('when one batch cannot be published, publishes the others, sends no heartbeat and rejects naming what failed', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = (_call, input) => {
      if (input.MetricData?.some((d) => d.Dimensions?.[0]?.Value === 'k-3')) throw awsError('InvalidParameterValue', 400);
    };
    const keys = Array.from({ length: 6 }, (_, i) => key(`k-${i}`, i));
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, batchSize: 8, ...fast }).publish({ usage: usage(keys), timestamp: now });
    await expect(run).rejects.toThrow(PublishError);
    await expect(run).rejects.toThrow(
      /^8 of 26 metric data were not published to UsageBilling\/prod \(batch 2\/4 \(8 data\): InvalidParameterValue: InvalidParameterValue says no\); no heartbeat was sent/,
    );
    const names = cw.calls.flatMap((c) => c.MetricData ?? []).map((d) => d.MetricName);
    expect(names).not.toContain(ENVIRONMENT_METRICS.heartbeat);
    expect(cw.calls.map((c) => c.MetricData?.length)).toEqual([8, 8, 8, 2]); // every batch was tried once (the failing one is not retryable)
  });

  it('fails when throttling outlasts the retries', async () => {
    const cw = new ControlledCloudWatch();
    cw.fault = () => {
      throw awsError('Throttling', 400);
    };
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, ...fast }).publish({ usage: usage([key('acme', 1)]), timestamp: now });
    await expect(run).rejects.toThrow('CloudWatch PutMetricData failed after 3 attempts: Throttling');
  });

  it('still publishes the usage gauges when API Gateway cannot be read, then rejects without a heartbeat', async () => {
    const cw = new ControlledCloudWatch();
    const reconciler = {
      reconcile: async () => {
        throw new Error('API Gateway GetUsage failed: AccessDeniedException');
      },
    };
    const run = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now, reconciler }).publish({ usage: usage([key('acme', 1)]), timestamp: now });
    await expect(run).rejects.toThrow(
      'usage gauges published, but reconciliation with API Gateway failed (API Gateway GetUsage failed: AccessDeniedException)',
    );
    expect(cw.calls).toHaveLength(1);
    expect(cw.calls[0].MetricData?.map((d) => d.MetricName)).toContain(PER_KEY_METRICS.billableRequests);
  });

  it('refuses, before any call, a value CloudWatch would reject and a month more than two weeks old', async () => {
    const cw = new ControlledCloudWatch();
    const publisher = new CloudWatchPublisher(cw, { environment: 'prod', now: () => now });
    await expect(publisher.publish({ usage: usage([{ ...key('acme', 1), quotaUsedPercent: Number.NaN }]), timestamp: now })).rejects.toThrow(
      'metric QuotaUsedPercent of key acme has the value NaN; CloudWatch accepts only finite numbers. Nothing was published',
    );
    const september = { ...usage([key('acme', 1)]), month: '2026-09' };
    await expect(publisher.publish({ usage: september, timestamp: now })).rejects.toThrow(
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
    const data = usageMetricData(usage(Array.from({ length: 700 }, (_, i) => key(`k-${i}`, i))), now);
    const batches = metricBatches(data);
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 802]);
    expect(batches.flat()).toEqual(data);
    expect(() => metricBatches(data, 1001)).toThrow('batch size must be 1 to 1000, got 1001');
  });

  it('splits by estimated request size too, staying under 1 MB', () => {
    const long = 'x'.repeat(1000);
    const data = usageMetricData(usage(Array.from({ length: 200 }, (_, i) => key(`${long}-${i}`, i))), now);
    const batches = metricBatches(data);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.reduce((s, d) => s + 2 * JSON.stringify(d).length + 64, 0)).toBeLessThanOrEqual(900 * 1024);
    expect(batches.flat()).toEqual(data);
  });
});
