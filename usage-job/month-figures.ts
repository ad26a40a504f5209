/**
 * The month-to-date figures a usage run computes (month-usage.ts) and every consumer reads: the
 * CLI's report, invoice lines, quota notices, the CloudWatch publisher and the billing sinks.
 */

/** Month-to-date figures of one configured key (the usage CLI's names). */
export interface KeyMonthUsage {
  /** ApiKeyConfig.id — the metric dimension value. */
  readonly id: string;
  readonly name: string;
  readonly requests: number;
  readonly rejected: number;
  readonly errors: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly quota: number;
  readonly quotaUsedPercent: number;
}

export interface MonthUsage {
  /** 'YYYY-MM' */
  readonly month: string;
  readonly keys: readonly KeyMonthUsage[];
  readonly unattributed: { readonly requests: number };
  /** Every deduplicated record of the month, attributed or not, whatever its status. */
  readonly totalRequests: number;
}
