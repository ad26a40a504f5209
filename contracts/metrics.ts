/**
 * The CloudWatch metrics contract shared by the usage job (publisher) and the stacks (alarms,
 * dashboard): every metric in ONE table, with its name, unit, scope and where the dashboard plots
 * it. The publisher puts exactly the metrics of this table (usage-job/aws/cloudwatch-publisher.ts
 * maps each entry to a value, so a new entry does not compile until it is published) and the
 * dashboard and alarms refer to entries of this table only; tests check that every entry is
 * published and plotted, or marked not plotted with the reason.
 *
 * Cost (docs/monitoring.md): each (metric, dimension value) is one custom metric, billed per hour
 * it receives data. Per key there is one metric (QuotaUsedPercent), and with
 * `monitoring.perKeyMetrics: { mode: 'top', keys: K }` only the K keys nearest their quota get it
 * each hour; everything else is a fixed number of environment metrics.
 */
export function metricsNamespace(environment: string): string {
  return `UsageBilling/${environment}`;
}

/** Dimension that identifies an API key in per-key metrics (value: ApiKeyConfig.id). */
export const API_KEY_DIMENSION = 'ApiKeyId';
/** Dimension of per-threshold metrics (value: the threshold in percent, e.g. "80"). */
export const THRESHOLD_DIMENSION = 'QuotaThreshold';

/** Dimension of per-sink metrics (value: the billing sink's name, e.g. "stripe"; docs/sinks.md). */
export const SINK_DIMENSION = 'Sink';

/** key: one metric per API key (dimension ApiKeyId); threshold: one per configured quota threshold; sink: one per configured billing sink (dimension Sink); environment: one. */
export type MetricScope = 'key' | 'threshold' | 'sink' | 'environment';

export interface MetricDefinition {
  readonly name: string;
  readonly unit: 'Count' | 'Percent' | 'Bytes';
  readonly scope: MetricScope;
  /** The statistic alarms and the dashboard read. Gauges use Maximum: a rerun re-puts the same value. */
  readonly statistic: 'Maximum' | 'Sum';
  readonly description: string;
  /** The dashboard widget that plots it, or why it is not plotted. */
  readonly dashboard: { readonly widget: string } | { readonly notPlotted: string };
}

/** Every metric the usage job publishes. Values of `dashboard.widget` are widget titles. */
export const METRICS = {
  quotaUsedPercent: {
    name: 'QuotaUsedPercent',
    unit: 'Percent',
    scope: 'key',
    statistic: 'Maximum',
    description: '100 x billable requests / monthly quota, month to date, per key (all keys, or the top K by this figure)',
    dashboard: { widget: 'Keys nearest their quota (%)' },
  },
  billableRequests: {
    name: 'BillableRequestsMonthToDate',
    unit: 'Count',
    scope: 'environment',
    statistic: 'Maximum',
    description: 'Billable requests (status 200-399) of every configured key, month to date',
    dashboard: { widget: 'Traffic, month to date (all keys)' },
  },
  rejectedRequests: {
    name: 'RejectedRequestsMonthToDate',
    unit: 'Count',
    scope: 'environment',
    statistic: 'Maximum',
    description: 'Requests of configured keys answered 400-499 (quota and throttle 429s included), month to date',
    dashboard: { widget: 'Traffic, month to date (all keys)' },
  },
  bytesOut: {
    name: 'BytesOutMonthToDate',
    unit: 'Bytes',
    scope: 'environment',
    statistic: 'Maximum',
    description: 'Bytes sent to viewers by billable requests of every configured key, month to date',
    dashboard: { widget: 'Bytes out, month to date (all keys)' },
  },
  unattributedRequests: {
    name: 'UnattributedRequestsMonthToDate',
    unit: 'Count',
    scope: 'environment',
    statistic: 'Maximum',
    description: 'Records of the month with no known key fingerprint (never billed)',
    dashboard: { widget: 'Unattributed requests' },
  },
  unattributedPercent: {
    name: 'UnattributedPercent',
    unit: 'Percent',
    scope: 'environment',
    statistic: 'Maximum',
    description: "Share of the month's records with no known key fingerprint",
    dashboard: { widget: 'Unattributed requests' },
  },
  keysAtThreshold: {
    name: 'KeysAtQuotaThreshold',
    unit: 'Count',
    scope: 'threshold',
    statistic: 'Maximum',
    description: 'Keys whose quota used this month is at or over the threshold',
    dashboard: { widget: 'Keys at or over each quota threshold' },
  },
  quotaNoticesSent: {
    name: 'QuotaNoticesSent',
    unit: 'Count',
    scope: 'threshold',
    statistic: 'Maximum',
    description: 'Quota notices (one per key, threshold and month) the run sent: keys that newly crossed the threshold',
    dashboard: { widget: 'Keys at or over each quota threshold' },
  },
  logShortfallPercent: {
    name: 'LogShortfallPercent',
    unit: 'Percent',
    scope: 'environment',
    statistic: 'Maximum',
    description:
      "100 x (API Gateway's metered requests - the logs' requests of the same keys with a 2xx-5xx status) / API Gateway's, on the last complete UTC day",
    dashboard: { widget: 'Logs against API Gateway' },
  },
  sinkHoursBehind: {
    name: 'SinkHoursBehind',
    unit: 'Count',
    scope: 'sink',
    statistic: 'Maximum',
    description: "Hours from the billing sink's oldest usage hour not yet fully reported to the run's hour (0: everything reported), per configured sink",
    dashboard: { widget: 'Billing sinks: hours behind and problems' },
  },
  sinkProblems: {
    name: 'SinkProblems',
    unit: 'Count',
    scope: 'sink',
    statistic: 'Maximum',
    description: 'Problems the billing sink reported this run (customers or hours it could not report; the run report names each), per configured sink',
    dashboard: { widget: 'Billing sinks: hours behind and problems' },
  },
  sinksPartial: {
    name: 'UsageJobSinksPartial',
    unit: 'Count',
    scope: 'environment',
    statistic: 'Maximum',
    description: 'Put with the heartbeat: 1 when a billing sink reported partial or failed this run (which one: SinkHoursBehind, SinkProblems), else 0',
    dashboard: { widget: 'Usage job heartbeat (successful runs per hour)' },
  },
  heartbeat: {
    name: 'UsageJobHeartbeat',
    unit: 'Count',
    scope: 'environment',
    statistic: 'Sum',
    description: '1 on every run that published everything and sent every due notice; the heartbeat alarm treats missing data as breaching',
    dashboard: { widget: 'Usage job heartbeat (successful runs per hour)' },
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricId = keyof typeof METRICS;

/** The ids of the table, in its order. */
export const METRIC_IDS = Object.keys(METRICS) as MetricId[];

/** Custom metrics each published key adds (the table's per-key entries). */
export const METRICS_PER_KEY = METRIC_IDS.filter((id) => METRICS[id].scope === 'key').length;

/** Custom metrics that do not depend on the number of keys, for `thresholds` configured quota thresholds and `sinks` configured billing sinks. */
export function fixedMetricCount(thresholds: number, sinks = 0): number {
  const per = { environment: 1, threshold: thresholds, sink: sinks, key: 0 } as const;
  return METRIC_IDS.reduce((n, id) => n + per[METRICS[id].scope], 0);
}
