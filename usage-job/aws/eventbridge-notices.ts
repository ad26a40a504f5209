/**
 * Quota notices to EventBridge (the account's default event bus of the environment's region) and
 * their ledger in the usage bucket.
 *
 * PutEvents (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): at most
 * 10 entries per call; EventBridge gives each accepted entry its own event id, and a call can succeed
 * with some entries failed (each with ErrorCode/ErrorMessage, in request order). A failed entry is
 * reported as failed here and stays unrecorded, so the next run resends it; a call that throws after
 * retries (./retry.ts) has an unknown outcome and is treated the same way.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandInput, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { QUOTA_NOTICE_DETAIL_TYPE, quotaNoticeSource } from '../../contracts/quota-notice';
import { ledgerEntry, type NoticeLedger, type NoticeSender, type QuotaNotice, type SendResult } from '../quota-notices';
import { DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './retry';

export const MAX_PUT_EVENTS_ENTRIES = 10;

export interface EventBridgeApi {
  putEvents(input: PutEventsCommandInput): Promise<Pick<PutEventsCommandOutput, 'Entries' | 'FailedEntryCount'>>;
}

export function eventBridgeApi(client: EventBridgeClient): EventBridgeApi {
  return { putEvents: (input) => client.send(new PutEventsCommand(input)) };
}

export class EventBridgeNoticeSender implements NoticeSender {
  readonly batchSize = MAX_PUT_EVENTS_ENTRIES;
  private readonly source: string;
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly api: EventBridgeApi,
    options: { readonly prefix: string; readonly backoff?: BackoffOptions },
  ) {
    this.source = quotaNoticeSource(options.prefix);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async send(batch: readonly QuotaNotice[]): Promise<SendResult> {
    if (batch.length === 0) return { accepted: [], failed: [] };
    if (batch.length > MAX_PUT_EVENTS_ENTRIES) throw new Error(`PutEvents takes at most ${MAX_PUT_EVENTS_ENTRIES} entries, got ${batch.length}`);
    const out = await withBackoff(
      'EventBridge PutEvents',
      () =>
        this.api.putEvents({
          Entries: batch.map((n) => ({
            Source: this.source,
            DetailType: QUOTA_NOTICE_DETAIL_TYPE,
            Detail: JSON.stringify(n.detail),
            Time: new Date(n.detail.detectedAt),
          })),
        }),
      this.backoff,
    );
    const entries = out.Entries ?? [];
    const accepted: QuotaNotice[] = [];
    const failed: { notice: QuotaNotice; reason: string }[] = [];
    batch.forEach((notice, i) => {
      const entry = entries[i];
      if (entry?.EventId !== undefined && entry.ErrorCode === undefined) accepted.push(notice);
      else failed.push({ notice, reason: entry === undefined ? 'no result entry' : `${entry.ErrorCode ?? 'error'}: ${entry.ErrorMessage ?? ''}`.trim() });
    });
    return { accepted, failed };
  }
}

/** The ledger in the usage bucket: notices/<environment>/<month>/<keyId>/<threshold>.json, one object per notice sent. */
export class S3NoticeLedger implements NoticeLedger {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly environment: string,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.location = `s3://${bucket}/notices/${environment}/`;
  }

  async recorded(month: string): Promise<ReadonlySet<string>> {
    const prefix = `notices/${this.environment}/${month}/`;
    const entries = new Set<string>();
    let token: string | undefined;
    do {
      const page = await withBackoff(
        `S3 ListObjectsV2 s3://${this.bucket}/${prefix}`,
        () => this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
        this.backoff,
      );
      for (const object of page.Contents ?? []) {
        const m = /^(.+)\.json$/.exec((object.Key ?? '').slice(prefix.length));
        if (m) entries.add(m[1]);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return entries;
  }

  async record(month: string, notices: readonly QuotaNotice[], sentAt: Date): Promise<void> {
    for (const n of notices) {
      const key = `notices/${this.environment}/${month}/${ledgerEntry(n)}.json`;
      const body = JSON.stringify({ noticeId: n.detail.noticeId, sentAt: sentAt.toISOString() });
      await withBackoff(
        `S3 PutObject s3://${this.bucket}/${key}`,
        () => this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' })),
        this.backoff,
      );
    }
  }
}
