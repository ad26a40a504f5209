/**
 * The JSON usage report (contract 5), built in one place: the CLI prints it and the local
 * platform's /_usage.json serves it (with its own computedAt and logRecords beside).
 */
import type { NoticeRunResult } from './quota-notices';
import type { MonthUsage } from './month-figures';
import type { SinkReport } from './sinks/sink';
import type { Reconciliation } from './usage-publisher';

export interface UsageReportKey {
  readonly id: string;
  readonly name: string;
  readonly requests: number;
  readonly rejected: number;
  readonly errors: number;
  readonly bytesOut: number;
  readonly quota: number;
  readonly quotaUsedPercent: number;
  readonly bytesIn: number;
  /** The configured quota thresholds this key's quota used has reached this month (percent, ascending). */
  readonly thresholdsReached: readonly number[];
}

export interface UsageReport {
  readonly month: string;
  readonly keys: readonly UsageReportKey[];
  readonly unattributed: { readonly requests: number };
  readonly totalRequests: number;
  /** The environment's quota thresholds (alarms.quotaPercentThresholds). */
  readonly quotaThresholds: readonly number[];
  /** Quota notices of a run that published: how many were due, sent before, sent now, not sent. */
  readonly quotaNotices?: { readonly due: number; readonly alreadySent: number; readonly sent: readonly string[]; readonly failed: readonly string[] };
  /** Logs against API Gateway's counters (an Athena run that publishes). */
  readonly reconciliation?: Reconciliation;
  /** One report per billing sink the run ran (docs/sinks.md); [] when the environment has none. Present in the CLI's report. */
  readonly sinks?: readonly SinkReport[];
  readonly run?: Readonly<Record<string, unknown>>;
}

export function usageReport(
  usage: MonthUsage,
  extras: {
    readonly thresholds: readonly number[];
    readonly notices?: NoticeRunResult;
    readonly reconciliation?: Reconciliation;
    readonly sinks?: readonly SinkReport[];
    readonly run?: Readonly<Record<string, unknown>>;
  },
): UsageReport {
  return {
    month: usage.month,
    keys: usage.keys.map((k) => ({
      id: k.id,
      name: k.name,
      requests: k.requests,
      rejected: k.rejected,
      errors: k.errors,
      bytesOut: k.bytesOut,
      quota: k.quota,
      quotaUsedPercent: k.quotaUsedPercent,
      bytesIn: k.bytesIn,
      thresholdsReached: extras.thresholds.filter((t) => k.quotaUsedPercent >= t),
    })),
    unattributed: usage.unattributed,
    totalRequests: usage.totalRequests,
    quotaThresholds: extras.thresholds,
    ...(extras.notices !== undefined
      ? { quotaNotices: { due: extras.notices.due, alreadySent: extras.notices.alreadySent, sent: extras.notices.sent, failed: extras.notices.failed } }
      : {}),
    ...(extras.reconciliation !== undefined ? { reconciliation: extras.reconciliation } : {}),
    ...(extras.sinks !== undefined ? { sinks: extras.sinks } : {}),
    ...(extras.run !== undefined ? { run: extras.run } : {}),
  };
}
