/**
 * Publishes a run's month-to-date figures. Implementation: CloudWatch (./aws/), with the metrics
 * of contracts/metrics.ts. The job calls it once per run unless --dry-run.
 */
import type { PerKeyMetricsConfig } from '../config/types';
import type { MonthUsage } from './month-figures';

export interface PublishRequest {
  readonly usage: MonthUsage;
  /**
   * Timestamp to put the gauges at. The job passes the run's hour (floored), so a rerun in the
   * same hour re-puts the same value at the same timestamp and Maximum cannot inflate.
   */
  readonly timestamp: Date;
  /** The environment's quota thresholds (percent, ascending): KeysAtQuotaThreshold and QuotaNoticesSent per threshold. */
  readonly thresholds: readonly number[];
  /** Which keys get the per-key metric this hour. */
  readonly perKeyMetrics: PerKeyMetricsConfig;
  /** Quota notices this run sent, per threshold (missing thresholds: 0). */
  readonly noticesSentByThreshold?: ReadonlyMap<number, number>;
  /** The billing sinks of this run (docs/sinks.md): SinkHoursBehind and SinkProblems per sink, UsageJobSinksPartial with the heartbeat. */
  readonly sinks?: readonly SinkStatus[];
  /** Set when the run failed before publishing (notices not sent): the gauges go out, the heartbeat does not, and publish rejects with this reason. */
  readonly withholdHeartbeat?: string;
}

/** What CloudWatch is told about one billing sink after the run ran it (from its SinkReport). */
export interface SinkStatus {
  readonly name: string;
  readonly outcome: 'ok' | 'partial' | 'failed';
  /** Whole hours from its oldest unreported usage hour to the run's hour (sinks/run-sinks.ts hoursBehind). */
  readonly hoursBehind: number;
  readonly problems: number;
}

/** Billable requests counted from logs vs API Gateway's own counter (GetUsage), month to date. */
export interface KeyReconciliation {
  readonly id: string;
  readonly logRequests: number;
  readonly apiGatewayRequests: number;
  /** logRequests - apiGatewayRequests */
  readonly gap: number;
}

/**
 * The environment's requests in the logs against API Gateway's metered count, on one complete UTC
 * day. Like with like: API Gateway counts every request that reached a usage plan with the key,
 * whatever the handler answered; the logs' side is every record of the configured keys with a
 * status from 200 to 599 (billable, rejected and errors). The logs' side also holds API Gateway's
 * own 429s (throttle, quota), which API Gateway does not meter, so a loss smaller than the day's
 * 429s can hide (docs/monitoring.md).
 */
export interface LogShortfall {
  /** 'YYYY-MM-DD' (UTC): the month's last complete day up to the run. */
  readonly day: string;
  readonly apiGatewayRequests: number;
  readonly logRequests: number;
  /** 100 x max(0, apiGatewayRequests - logRequests) / apiGatewayRequests; null below monitoring.logShortfallMinRequests. */
  readonly shortfallPercent: number | null;
}

export interface Reconciliation {
  /** Per key, month to date (billable requests in the logs against API Gateway's count). */
  readonly keys: readonly KeyReconciliation[];
  /** null when the month has no complete day up to the run yet. */
  readonly lastCompleteDay: LogShortfall | null;
}

export interface PublishResult {
  /** Metric data put (all of them; anything unpublished is a rejection instead). */
  readonly metricDataPut: number;
  /** Keys whose per-key metric was put. */
  readonly keysPublished: number;
  /** Present when the publisher reconciled with API Gateway; the CLI adds it to its report. */
  readonly reconciliation?: Reconciliation;
}

export interface UsagePublisher {
  /**
   * Why `publish` would refuse this month at this time whatever the data (e.g. CloudWatch's
   * two-week limit), or undefined. The run checks it before sending any notice, so a run that
   * would be refused sends nothing (publish-run.ts).
   */
  refusal?(request: Pick<PublishRequest, 'usage' | 'timestamp'>): string | undefined;
  /** Puts every metric; rejects (the job exits non-zero) if any datum was not published. */
  publish(request: PublishRequest): Promise<PublishResult>;
}
