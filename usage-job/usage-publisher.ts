/**
 * Publishes a run's month-to-date figures. Implementation: CloudWatch (./aws/), with
 * the names of contracts/metrics.ts. The job calls it once per run unless --dry-run.
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

export interface PublishRequest {
  readonly usage: MonthUsage;
  /**
   * Timestamp to put the gauges at. The job passes the run's hour (floored), so a rerun in the
   * same hour re-puts the same value at the same timestamp and Maximum cannot inflate.
   */
  readonly timestamp: Date;
}

/** Billable requests counted from logs vs API Gateway's own counter (GetUsage), month to date. */
export interface KeyReconciliation {
  readonly id: string;
  readonly logRequests: number;
  readonly apiGatewayRequests: number;
  /** logRequests - apiGatewayRequests */
  readonly gap: number;
}

export interface PublishResult {
  /** Metric data put (all of them; anything unpublished is a rejection instead). */
  readonly metricDataPut: number;
  /** Present when the publisher reconciled with API Gateway; the CLI adds it to its report. */
  readonly reconciliation?: readonly KeyReconciliation[];
}

export interface UsagePublisher {
  /** Puts every metric; rejects (the job exits non-zero) if any datum was not published. */
  publish(request: PublishRequest): Promise<PublishResult>;
}
