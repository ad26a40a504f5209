/**
 * The CloudWatch metrics contract shared by the usage job (publisher) and the stacks (alarms,
 * dashboard). Names live only here.
 *
 * Cost: every per-key metric is one custom metric (about $0.30 a month each for the first
 * 10,000), so each API key costs PER_KEY_METRICS.length metrics a month.
 */
export function metricsNamespace(environment: string): string {
  return `UsageBilling/${environment}`;
}

/** Dimension that identifies an API key in per-key metrics (value: ApiKeyConfig.id). */
export const API_KEY_DIMENSION = 'ApiKeyId';

/** Per-key month-to-date gauges. A rerun re-puts the same value, so Maximum never inflates. */
export const PER_KEY_METRICS = {
  billableRequests: 'BillableRequestsMonthToDate',
  bytesOut: 'BytesOutMonthToDate',
  rejectedRequests: 'RejectedRequestsMonthToDate',
  quotaUsedPercent: 'QuotaUsedPercent',
  /** Billable requests counted from logs minus API Gateway's own counter, month to date. */
  reconciliationGap: 'ReconciliationGap',
} as const;

/** Environment-wide metrics (no dimension). */
export const ENVIRONMENT_METRICS = {
  unattributedRequests: 'UnattributedRequestsMonthToDate',
  /** Percentage of the month's requests that carried no known fingerprint. */
  unattributedPercent: 'UnattributedPercent',
  /** 1 on every successful run; the heartbeat alarm treats missing data as breaching. */
  heartbeat: 'UsageJobHeartbeat',
} as const;
