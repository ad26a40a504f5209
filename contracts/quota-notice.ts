/**
 * Quota notices: the usage job sends one EventBridge event per (key, threshold, month) when a key's
 * quota used this month reaches a configured threshold, so the API company can forward it to its
 * customer. The event goes to the account's default event bus of the environment's region.
 *
 * Delivery is at least once. EventBridge gives every PutEvents entry its own event `id`, so a resent
 * notice arrives with a new event id; `detail.noticeId` is the stable id consumers deduplicate on
 * (docs/monitoring.md, "Notices").
 */

/** detail-type of every notice. */
export const QUOTA_NOTICE_DETAIL_TYPE = 'Quota threshold crossed';

/** `source` of an environment's notices; the usage job's role may put events with this source only. */
export function quotaNoticeSource(prefix: string): string {
  return `${prefix}.usage-billing`;
}

/** The stable id of a notice: environment, key id, month and threshold, e.g. `prod:acme:2026-11:80`. */
export function quotaNoticeId(environment: string, keyId: string, month: string, threshold: number): string {
  return `${environment}:${keyId}:${month}:${threshold}`;
}

/** The event's `detail`. */
export interface QuotaNoticeDetail {
  /** Stable: the same for every send of this (environment, key, month, threshold). */
  readonly noticeId: string;
  readonly environment: string;
  /** 'YYYY-MM' (UTC). */
  readonly month: string;
  /** ApiKeyConfig.id (never the key value). */
  readonly keyId: string;
  readonly customer: string;
  /** The threshold crossed, percent of the monthly quota. */
  readonly thresholdPercent: number;
  /** Quota used, month to date, when the run found the crossing. */
  readonly quotaUsedPercent: number;
  readonly billableRequests: number;
  readonly monthlyQuota: number;
  /** ISO time of the run that found the crossing (every resend carries its own run's time). */
  readonly detectedAt: string;
}
