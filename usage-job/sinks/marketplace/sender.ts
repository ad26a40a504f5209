/**
 * Sends planned records with BatchMeterUsage: at most 25 a call, UnprocessedRecords and throttling
 * retried with capped exponential backoff and full jitter ("Exponential Backoff And Jitter", AWS
 * Architecture Blog, https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 *
 * Per record the API answers Success, CustomerNotSubscribed or DuplicateRecord (UsageRecordResult,
 * https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-metering_UsageRecordResult.html);
 * UnprocessedRecords "indicate errors on the service side that should be retried". An error for the
 * whole call (e.g. TimestampOutOfBoundsException: "if any of the records are outside of the allowed
 * range, the entire batch is not processed") refuses every record of it, so a refused call holding
 * several customers is split and each customer's records sent alone: one customer's bad license
 * does not stop the others.
 */
import { hourStart } from '../../../sql/hours';
import type { MarketplaceIdentityMode } from '../../../config/marketplace-sink';
import type { RecordIdentity } from './ledger';
import { MAX_RECORDS_PER_CALL, type BatchMeterUsageRequest, type MeteringApi, type UsageRecord } from './metering-api';
import type { PlannedRecord } from './plan';

export type SendOutcome =
  | { readonly state: 'success' | 'customer-not-subscribed' | 'duplicate-record'; readonly meteringRecordId?: string }
  /**
   * No answer after every retry (throttled, unprocessed, unreachable). `maybeProcessed`: some attempt
   * failed in a way that leaves open whether the Marketplace recorded it (a timeout, a reset, a 5xx),
   * so the intent stays and is resent identically; otherwise every attempt was refused unprocessed
   * (ThrottlingException, UnprocessedRecords, connection refused) and nothing was recorded.
   */
  | { readonly state: 'unanswered'; readonly error: string; readonly maybeProcessed: boolean }
  /** The call was refused for a reason retrying does not fix; nothing of it was processed. */
  | { readonly state: 'refused'; readonly error: string };

export interface SenderOptions {
  readonly api: MeteringApi;
  readonly mode: MarketplaceIdentityMode;
  readonly productCode: string;
  /** Attempts per call, the first included (default 6). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface SendStats {
  calls: number;
  retries: number;
}

const RETRYABLE = new Set(['ThrottlingException', 'InternalServiceErrorException']);

function retryable(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (e.name !== undefined && RETRYABLE.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP answer at all (connection refused, reset, timeout): nothing was processed that we know of; the identical resend is safe.
  return true;
}

export function usageRecord(planned: PlannedRecord): UsageRecord {
  const id: RecordIdentity = planned.identity;
  return {
    Timestamp: hourStart(planned.hour),
    Dimension: planned.dimensionName,
    Quantity: planned.record.quantity,
    ...('licenseArn' in id ? { CustomerAWSAccountId: id.customerAwsAccountId, LicenseArn: id.licenseArn } : { CustomerIdentifier: id.customerIdentifier }),
  };
}

export function recordKey(r: UsageRecord): string {
  return [r.Timestamp?.getTime(), r.Dimension, r.CustomerAWSAccountId ?? '', r.LicenseArn ?? '', r.CustomerIdentifier ?? ''].join('\u0000');
}

/** Errors after which the Marketplace certainly processed nothing of the call. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
function certainlyUnprocessed(error: unknown): boolean {
  const e = error as { name?: string; code?: string };
  return e.name === 'ThrottlingException' || (e.code !== undefined && CONNECT_FAILURES.has(e.code));
}

function errorText(error: unknown): string {
  const e = error as Error;
  return `${e.name ?? 'Error'}: ${(e.message ?? String(error)).split('\n')[0]}`;
}

export class MarketplaceSender {
  readonly stats: SendStats = { calls: 0, retries: 0 };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: SenderOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  private request(records: readonly PlannedRecord[]): BatchMeterUsageRequest {
    return {
      UsageRecords: records.map(usageRecord),
      ...(this.options.mode === 'customer-identifier' ? { ProductCode: this.options.productCode } : {}),
    };
  }

  private delay(attempt: number): number {
    const cap = Math.min(this.options.maxDelayMs ?? 20_000, (this.options.baseDelayMs ?? 200) * 2 ** (attempt - 1));
    return Math.floor(this.random() * cap);
  }

  /** Sends every record; resolves with an outcome per record (same order), never rejects. */
  async send(records: readonly PlannedRecord[], afterCall?: () => Promise<void>): Promise<SendOutcome[]> {
    const outcomes = new Map<PlannedRecord, SendOutcome>();
    for (let i = 0; i < records.length; i += MAX_RECORDS_PER_CALL) {
      await this.sendCall(records.slice(i, i + MAX_RECORDS_PER_CALL), outcomes, true);
      if (afterCall !== undefined) await afterCall();
    }
    return records.map((r) => outcomes.get(r) ?? { state: 'unanswered', error: 'no result for this record', maybeProcessed: true });
  }

  private async sendCall(records: readonly PlannedRecord[], outcomes: Map<PlannedRecord, SendOutcome>, maySplit: boolean): Promise<void> {
    let pending = [...records];
    let lastError = 'UnprocessedRecords after every retry';
    let maybeProcessed = false;
    const attempts = this.options.maxAttempts ?? 6;
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        this.stats.retries++;
        await this.sleep(this.delay(attempt - 1));
      }
      this.stats.calls++;
      let result;
      try {
        result = await this.options.api.batchMeterUsage(this.request(pending));
      } catch (error) {
        if (retryable(error)) {
          lastError = errorText(error);
          if (!certainlyUnprocessed(error)) maybeProcessed = true;
          continue;
        }
        const customers = new Set(pending.map((r) => r.customerId));
        if (maySplit && customers.size > 1) {
          for (const customerId of customers) {
            await this.sendCall(
              pending.filter((r) => r.customerId === customerId),
              outcomes,
              false,
            );
          }
        } else {
          for (const r of pending) outcomes.set(r, { state: 'refused', error: errorText(error) });
        }
        return;
      }
      const byKey = new Map(pending.map((r) => [recordKey(usageRecord(r)), r]));
      for (const answer of result.Results ?? []) {
        const planned = answer.UsageRecord !== undefined ? byKey.get(recordKey(answer.UsageRecord)) : undefined;
        if (planned === undefined) continue;
        const state =
          answer.Status === 'Success'
            ? 'success'
            : answer.Status === 'CustomerNotSubscribed'
              ? 'customer-not-subscribed'
              : answer.Status === 'DuplicateRecord'
                ? 'duplicate-record'
                : undefined;
        if (state === undefined) continue;
        outcomes.set(planned, { state, ...(answer.MeteringRecordId !== undefined ? { meteringRecordId: answer.MeteringRecordId } : {}) });
      }
      const unprocessed = new Set((result.UnprocessedRecords ?? []).map(recordKey));
      pending = pending.filter((r) => !outcomes.has(r) && unprocessed.has(recordKey(usageRecord(r))));
      for (const r of records)
        if (!outcomes.has(r) && !pending.includes(r) && !unprocessed.has(recordKey(usageRecord(r))))
          outcomes.set(r, { state: 'unanswered', error: 'the answer named no result for this record', maybeProcessed: true });
      lastError = 'UnprocessedRecords after every retry';
    }
    for (const r of pending) if (!outcomes.has(r)) outcomes.set(r, { state: 'unanswered', error: lastError, maybeProcessed });
  }
}
