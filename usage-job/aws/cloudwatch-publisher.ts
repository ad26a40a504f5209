/**
 * UsagePublisher on CloudWatch. Every metric comes from the table of contracts/metrics.ts: the
 * producers below map each table entry to its data, so a metric added to the table does not
 * compile until it is published.
 *
 * What is put, per run:
 *   per key (dimension ApiKeyId = key id): QuotaUsedPercent, for every key or, with
 *     monitoring.perKeyMetrics { mode: 'top', keys: K }, for the K keys with the highest figure;
 *   per threshold (dimension QuotaThreshold): KeysAtQuotaThreshold, QuotaNoticesSent;
 *   per environment: billable, rejected, bytes out (all keys), unattributed requests and percent,
 *     and LogShortfallPercent when reconciled with enough API Gateway requests;
 *   per configured billing sink (dimension Sink): SinkHoursBehind and SinkProblems, at the run's hour;
 *   then, only after everything above was accepted, UsageJobHeartbeat = 1 and UsageJobSinksPartial
 *     (1 when a billing sink reported partial or failed) in one call.
 *
 * Why a rerun cannot inflate what alarms see. Every figure is a month-to-date gauge, put at the
 * run's hour (floored), clamped into the month it describes (a run on 1 December that closes
 * November puts November's figures at November's last hour, never into December's series). A
 * rerun within the same hour puts the same value at the same timestamp: CloudWatch then holds two
 * identical samples, so Maximum (the statistic the alarms use) is unchanged, while Sum and
 * SampleCount would double; alarms and the dashboard must use Maximum. Late logs make a later run
 * put a larger value, and Maximum then shows the newer, complete figure.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html
 *
 * Limits (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
 * at most 1,000 metric data per PutMetricData call and 1 MB per request; values must be finite;
 * timestamps up to two weeks in the past and two hours in the future
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#about_timestamp).
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum, type PutMetricDataCommandInput, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { API_KEY_DIMENSION, METRICS, metricsNamespace, SINK_DIMENSION, THRESHOLD_DIMENSION, type MetricId } from '../../contracts/metrics';
import type { PerKeyMetricsConfig } from '../../config/types';
import { floorToHour, monthBounds, hourStart } from '../../sql/hours';
import type { KeyMonthUsage, MonthUsage } from '../month-figures';
import type { PublishRequest, PublishResult, Reconciliation, SinkStatus, UsagePublisher } from '../usage-publisher';
import { awsErrorCode, DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './retry';

export const MAX_METRIC_DATA_PER_CALL = 1000;
/** Our own cap on a request's estimated size, well under CloudWatch's 1 MB. */
export const MAX_REQUEST_BYTES = 900 * 1024;
const MAX_PAST_MS = 14 * 24 * 3_600_000;
const MAX_FUTURE_MS = 2 * 3_600_000;

export interface CloudWatchApi {
  putMetricData(input: PutMetricDataCommandInput): Promise<unknown>;
}

export function cloudWatchApi(client: CloudWatchClient): CloudWatchApi {
  return { putMetricData: (input) => client.send(new PutMetricDataCommand(input)) };
}

/** Compares the month's billable requests with API Gateway's own counters. */
export interface Reconciler {
  /** `runTime`: the run's time; the month's rows and days are those up to it. */
  reconcile(usage: MonthUsage, runTime: Date): Promise<Reconciliation>;
}

export interface CloudWatchPublisherOptions {
  /** Environment name: the namespace is metricsNamespace(environment). */
  readonly environment: string;
  /** When given, the environment's LogShortfallPercent is published too. */
  readonly reconciler?: Reconciler;
  readonly backoff?: BackoffOptions;
  /** Injected for tests: the clock the heartbeat and the timestamp checks use. */
  readonly now?: () => Date;
  /** Data per call, at most 1,000 (tests use fewer). */
  readonly batchSize?: number;
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly failedData: number,
    readonly putData: number,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * The timestamp gauges of `month` are put at: the run's hour, but never after the month's last
 * hour nor before its first.
 */
export function gaugeTimestamp(runTime: Date, month: string): Date {
  const { first, next } = monthBounds(month);
  const lastHour = new Date(hourStart(next).getTime() - 3_600_000);
  const hour = floorToHour(runTime);
  if (hour > lastHour) return lastHour;
  const firstHour = hourStart(first);
  return hour < firstHour ? firstHour : hour;
}

/** Splits data into batches of at most `size` data and MAX_REQUEST_BYTES estimated bytes. */
export function metricBatches(data: readonly MetricDatum[], size: number = MAX_METRIC_DATA_PER_CALL): MetricDatum[][] {
  if (!Number.isInteger(size) || size < 1 || size > MAX_METRIC_DATA_PER_CALL) {
    throw new Error(`batch size must be 1 to ${MAX_METRIC_DATA_PER_CALL}, got ${size}`);
  }
  const batches: MetricDatum[][] = [];
  let current: MetricDatum[] = [];
  let bytes = 0;
  for (const datum of data) {
    // Query-protocol form is longer than JSON; twice the JSON length is a safe upper estimate.
    const estimate = 2 * JSON.stringify(datum).length + 64;
    if (current.length === size || (current.length > 0 && bytes + estimate > MAX_REQUEST_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += estimate;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function datum(id: MetricId, value: number, timestamp: Date, dimension?: { readonly name: string; readonly value: string }): MetricDatum {
  const metric = METRICS[id];
  if (!Number.isFinite(value)) {
    throw new PublishError(
      `metric ${metric.name}${dimension ? ` of ${dimension.name} ${dimension.value}` : ''} has the value ${value}; CloudWatch accepts only finite numbers. Nothing was published`,
      0,
      0,
    );
  }
  return {
    MetricName: metric.name,
    Value: value,
    Unit: metric.unit as StandardUnit,
    Timestamp: timestamp,
    ...(dimension !== undefined ? { Dimensions: [{ Name: dimension.name, Value: dimension.value }] } : {}),
  };
}

/** The keys whose per-key metric is put this run: all, or the `keys` with the highest quota used (ties: key id). */
export function keysWithPerKeyMetrics(keys: readonly KeyMonthUsage[], selection: PerKeyMetricsConfig): KeyMonthUsage[] {
  if (selection.mode === 'all') return [...keys];
  return [...keys].sort((a, b) => b.quotaUsedPercent - a.quotaUsedPercent || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, selection.keys);
}

export interface MetricContext {
  readonly usage: MonthUsage;
  readonly timestamp: Date;
  readonly thresholds: readonly number[];
  readonly perKeyMetrics: PerKeyMetricsConfig;
  readonly noticesSentByThreshold?: ReadonlyMap<number, number>;
  readonly reconciliation?: Reconciliation;
  /** The billing sinks the run ran (none: no sink metric). */
  readonly sinks?: readonly SinkStatus[];
  /** The heartbeat's time (the run's actual time). */
  readonly now: Date;
}

const sum = (keys: readonly KeyMonthUsage[], field: 'requests' | 'rejected' | 'bytesOut') => keys.reduce((s, k) => s + k[field], 0);
const thresholdDimension = (t: number) => ({ name: THRESHOLD_DIMENSION, value: String(t) });
// A sink's state is now's, not the month's: its gauges go to the run's hour, unclamped (a run closing
// last month still says how far behind each sink is today).
const sinkGauges = (c: MetricContext, id: 'sinkHoursBehind' | 'sinkProblems', value: (s: SinkStatus) => number) =>
  (c.sinks ?? []).map((s) => datum(id, value(s), floorToHour(c.now), { name: SINK_DIMENSION, value: s.name }));

/** Every metric of the table, as the data one run puts. One producer per table entry. */
export const METRIC_PRODUCERS: { readonly [K in MetricId]: (c: MetricContext) => MetricDatum[] } = {
  quotaUsedPercent: (c) =>
    keysWithPerKeyMetrics(c.usage.keys, c.perKeyMetrics).map((k) =>
      datum('quotaUsedPercent', k.quotaUsedPercent, c.timestamp, { name: API_KEY_DIMENSION, value: k.id }),
    ),
  billableRequests: (c) => [datum('billableRequests', sum(c.usage.keys, 'requests'), c.timestamp)],
  rejectedRequests: (c) => [datum('rejectedRequests', sum(c.usage.keys, 'rejected'), c.timestamp)],
  bytesOut: (c) => [datum('bytesOut', sum(c.usage.keys, 'bytesOut'), c.timestamp)],
  unattributedRequests: (c) => [datum('unattributedRequests', c.usage.unattributed.requests, c.timestamp)],
  unattributedPercent: (c) => [
    datum('unattributedPercent', c.usage.totalRequests > 0 ? (100 * c.usage.unattributed.requests) / c.usage.totalRequests : 0, c.timestamp),
  ],
  keysAtThreshold: (c) =>
    c.thresholds.map((t) => datum('keysAtThreshold', c.usage.keys.filter((k) => k.quotaUsedPercent >= t).length, c.timestamp, thresholdDimension(t))),
  quotaNoticesSent: (c) => c.thresholds.map((t) => datum('quotaNoticesSent', c.noticesSentByThreshold?.get(t) ?? 0, c.timestamp, thresholdDimension(t))),
  logShortfallPercent: (c) => {
    const percent = c.reconciliation?.lastCompleteDay?.shortfallPercent;
    return percent === null || percent === undefined ? [] : [datum('logShortfallPercent', percent, c.timestamp)];
  },
  sinkHoursBehind: (c) => sinkGauges(c, 'sinkHoursBehind', (s) => s.hoursBehind),
  sinkProblems: (c) => sinkGauges(c, 'sinkProblems', (s) => s.problems),
  sinksPartial: (c) => [datum('sinksPartial', (c.sinks ?? []).some((s) => s.outcome !== 'ok') ? 1 : 0, c.now)],
  heartbeat: (c) => [datum('heartbeat', 1, c.now)],
};

/** Put last, in one call, once everything else was accepted: "a run finished", and whether a billing sink was partial. */
const HEARTBEAT_METRICS: readonly MetricId[] = ['heartbeat', 'sinksPartial'];

/** Every gauge of a run (not the heartbeat data), in the table's order. */
export function usageMetricData(context: MetricContext): MetricDatum[] {
  return (Object.keys(METRIC_PRODUCERS) as MetricId[]).filter((id) => !HEARTBEAT_METRICS.includes(id)).flatMap((id) => METRIC_PRODUCERS[id](context));
}

/** The heartbeat call's data: UsageJobHeartbeat = 1 and UsageJobSinksPartial. */
export function heartbeatData(context: MetricContext): MetricDatum[] {
  return HEARTBEAT_METRICS.flatMap((id) => METRIC_PRODUCERS[id](context));
}

export class CloudWatchPublisher implements UsagePublisher {
  private readonly namespace: string;
  private readonly backoff: BackoffOptions;
  private readonly now: () => Date;

  constructor(
    private readonly api: CloudWatchApi,
    private readonly options: CloudWatchPublisherOptions,
  ) {
    this.namespace = metricsNamespace(options.environment);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? (() => new Date());
  }

  refusal(request: Pick<PublishRequest, 'usage' | 'timestamp'>): string | undefined {
    const now = this.now();
    const timestamp = gaugeTimestamp(request.timestamp, request.usage.month);
    if (now.getTime() - timestamp.getTime() > MAX_PAST_MS) {
      return (
        `month ${request.usage.month} ended more than two weeks ago (its gauges would be timestamped ${timestamp.toISOString()}); ` +
        'CloudWatch accepts data points up to two weeks old. Use --dry-run to compute it without publishing'
      );
    }
    if (timestamp.getTime() - now.getTime() > MAX_FUTURE_MS) {
      return `timestamp ${timestamp.toISOString()} is more than two hours ahead of now (${now.toISOString()}); check the clock`;
    }
    return undefined;
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const now = this.now();
    const refused = this.refusal(request);
    if (refused !== undefined) throw new PublishError(refused, 0, 0);
    const timestamp = gaugeTimestamp(request.timestamp, request.usage.month);

    // Reconcile first; if API Gateway cannot be read, still publish the usage gauges (alarms need
    // them), but fail the run afterwards and send no heartbeat.
    let reconciliation: Reconciliation | undefined;
    let reconcileFailure: string | undefined;
    if (this.options.reconciler !== undefined) {
      try {
        reconciliation = await this.options.reconciler.reconcile(request.usage, request.timestamp);
      } catch (error) {
        reconcileFailure = error instanceof Error ? error.message : String(error);
      }
    }

    const context: MetricContext = {
      usage: request.usage,
      timestamp,
      thresholds: request.thresholds,
      perKeyMetrics: request.perKeyMetrics,
      now,
      ...(request.noticesSentByThreshold !== undefined ? { noticesSentByThreshold: request.noticesSentByThreshold } : {}),
      ...(reconciliation !== undefined ? { reconciliation } : {}),
      ...(request.sinks !== undefined ? { sinks: request.sinks } : {}),
    };
    const data = usageMetricData(context);
    const keysPublished = keysWithPerKeyMetrics(request.usage.keys, request.perKeyMetrics).length;
    const batches = metricBatches(data, this.options.batchSize);
    let put = 0;
    const failures: string[] = [];
    for (const [i, batch] of batches.entries()) {
      try {
        await withBackoff('CloudWatch PutMetricData', () => this.api.putMetricData({ Namespace: this.namespace, MetricData: batch }), this.backoff);
        put += batch.length;
      } catch (error) {
        // Keep going: every other batch still gets published; the run fails below.
        failures.push(
          `batch ${i + 1}/${batches.length} (${batch.length} data): ${awsErrorCode(error) ?? 'error'}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (failures.length > 0) {
      const failed = data.length - put;
      throw new PublishError(
        `${failed} of ${data.length} metric data were not published to ${this.namespace} (${failures.join('; ')}); ` +
          'no heartbeat was sent. Rerun the job: gauges are idempotent, so republishing is safe',
        failed,
        put,
      );
    }
    if (reconcileFailure !== undefined) {
      throw new PublishError(
        `usage gauges published, but reconciliation with API Gateway failed (${reconcileFailure}); LogShortfallPercent and the heartbeat were not sent`,
        0,
        put,
      );
    }

    if (request.withholdHeartbeat !== undefined) {
      throw new PublishError(`usage gauges published, but no heartbeat: ${request.withholdHeartbeat}`, 0, put);
    }

    // Heartbeat last, at the actual run time: it says "a run finished and published everything",
    // and UsageJobSinksPartial beside it whether a billing sink was partial.
    const heartbeat = heartbeatData(context);
    await withBackoff(
      'CloudWatch PutMetricData (heartbeat)',
      () => this.api.putMetricData({ Namespace: this.namespace, MetricData: heartbeat }),
      this.backoff,
    ).catch((error: unknown) => {
      throw new PublishError(
        `usage gauges published, but the heartbeat was not: ${error instanceof Error ? error.message : String(error)}`,
        heartbeat.length,
        put,
      );
    });
    put += heartbeat.length;
    return { metricDataPut: put, keysPublished, ...(reconciliation !== undefined ? { reconciliation } : {}) };
  }
}
