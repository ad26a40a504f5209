/**
 * Quota notices (contracts/quota-notice.ts): one per (key, threshold, month), sent when a run finds
 * a key's quota used this month at or over a configured threshold.
 *
 * Guarantees, per run (docs/monitoring.md "Notices"):
 * - a notice recorded in the ledger as sent is never sent again (reruns, later hours);
 * - a notice whose send failed is not recorded, so the next run sends it (same noticeId);
 * - each batch is recorded right after the sender accepted it; a run that dies between the two
 *   leaves it unrecorded, so the next run sends it again with the same noticeId: delivery is at
 *   least once, and consumers deduplicate on detail.noticeId.
 */
import { quotaNoticeId, type QuotaNoticeDetail } from '../contracts/quota-notice';
import type { MonthUsage } from './month-figures';

export interface QuotaNotice {
  readonly detail: QuotaNoticeDetail;
}

/** Where a notice lives in the ledger of its month: `<keyId>/<threshold>`. */
export function ledgerEntry(notice: QuotaNotice): string {
  return `${notice.detail.keyId}/${notice.detail.thresholdPercent}`;
}

/** Every notice the month's figures call for (whether or not it was sent before), keys in order, thresholds ascending. */
export function dueNotices(environment: string, usage: MonthUsage, thresholds: readonly number[], runTime: Date): QuotaNotice[] {
  const notices: QuotaNotice[] = [];
  for (const key of usage.keys) {
    for (const threshold of thresholds) {
      if (!(key.quotaUsedPercent >= threshold)) continue;
      notices.push({
        detail: {
          noticeId: quotaNoticeId(environment, key.id, usage.month, threshold),
          environment,
          month: usage.month,
          keyId: key.id,
          customer: key.name,
          thresholdPercent: threshold,
          quotaUsedPercent: key.quotaUsedPercent,
          billableRequests: key.requests,
          monthlyQuota: key.quota,
          detectedAt: runTime.toISOString(),
        },
      });
    }
  }
  return notices;
}

/** The record of notices sent, one entry per (key, threshold) of a month. */
export interface NoticeLedger {
  /** Where the ledger lives, for messages. */
  readonly location: string;
  /** Entries (ledgerEntry) recorded for `month`. */
  recorded(month: string): Promise<ReadonlySet<string>>;
  /** Records notices the sender accepted; written atomically per notice. */
  record(month: string, notices: readonly QuotaNotice[], sentAt: Date): Promise<void>;
}

export interface SendResult {
  readonly accepted: readonly QuotaNotice[];
  readonly failed: readonly { readonly notice: QuotaNotice; readonly reason: string }[];
}

export interface NoticeSender {
  /** Largest batch one send takes (EventBridge PutEvents: 10 entries). */
  readonly batchSize: number;
  /** Sends one batch; resolves with what was accepted and what failed; rejects when the outcome is unknown. */
  send(batch: readonly QuotaNotice[]): Promise<SendResult>;
}

export interface NoticeRunResult {
  /** Notices the figures call for this month. */
  readonly due: number;
  /** Of those, already recorded as sent by an earlier run. */
  readonly alreadySent: number;
  /** noticeIds sent (and recorded) by this run. */
  readonly sent: readonly string[];
  /** Sent by this run, per threshold (for the QuotaNoticesSent metric). */
  readonly sentByThreshold: ReadonlyMap<number, number>;
  /** noticeIds not sent (or of unknown outcome) this run: the next run sends them. */
  readonly failed: readonly string[];
}

export class NoticeDeliveryError extends Error {
  constructor(
    message: string,
    readonly result: NoticeRunResult,
  ) {
    super(message);
    this.name = 'NoticeDeliveryError';
  }
}

/** Sends the due notices the ledger does not hold, batch by batch, recording each batch once accepted. */
export async function deliverNotices(options: {
  readonly month: string;
  readonly due: readonly QuotaNotice[];
  readonly ledger: NoticeLedger;
  readonly sender: NoticeSender;
  readonly now: () => Date;
  readonly progress?: (message: string) => void;
}): Promise<NoticeRunResult> {
  const { month, due, ledger, sender } = options;
  const recorded = await ledger.recorded(month);
  const pending = due.filter((n) => !recorded.has(ledgerEntry(n)));
  const sent: string[] = [];
  const failed: string[] = [];
  const reasons: string[] = [];
  const sentByThreshold = new Map<number, number>();
  for (let i = 0; i < pending.length; i += sender.batchSize) {
    const batch = pending.slice(i, i + sender.batchSize);
    let result: SendResult;
    try {
      result = await sender.send(batch);
    } catch (error) {
      // Outcome unknown (the events may or may not have reached the bus): leave them unrecorded, so
      // the next run sends them again with the same noticeId; carry on with the other batches.
      failed.push(...batch.map((n) => n.detail.noticeId));
      reasons.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    if (result.accepted.length > 0) {
      await ledger.record(month, result.accepted, options.now());
      for (const n of result.accepted) {
        sent.push(n.detail.noticeId);
        sentByThreshold.set(n.detail.thresholdPercent, (sentByThreshold.get(n.detail.thresholdPercent) ?? 0) + 1);
      }
    }
    for (const f of result.failed) {
      failed.push(f.notice.detail.noticeId);
      reasons.push(`${f.notice.detail.noticeId}: ${f.reason}`);
    }
  }
  const summary: NoticeRunResult = { due: due.length, alreadySent: due.length - pending.length, sent, sentByThreshold, failed };
  options.progress?.(`quota notices: ${due.length} due, ${summary.alreadySent} sent before, ${sent.length} sent now, ${failed.length} not sent`);
  if (failed.length > 0) {
    throw new NoticeDeliveryError(
      `${failed.length} of ${pending.length} quota notices were not sent (${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? '; …' : ''}); ` +
        'they stay unrecorded in the ledger, so the next run sends them with the same noticeId',
      summary,
    );
  }
  return summary;
}
