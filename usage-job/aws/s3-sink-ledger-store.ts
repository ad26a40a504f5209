/**
 * SinkLedgerStore in the usage bucket (usage-job/sinks/sink.ts): one object per environment, sink
 * and month, `sinks/<environment>/<sink>/<month>.json`, and its parts
 * `sinks/<environment>/<sink>/<month>/<part>.json`. A part never written reads as absent: S3
 * answers 404 NoSuchKey (not 403) because the usage-job role may list the bucket. The revision is the object's ETag; a write
 * is a conditional PutObject, `If-Match: <ETag read>` or `If-None-Match: *` for the first one, so
 * a ledger changed (or created) since it was read is never overwritten: S3 answers 412
 * Precondition Failed, or 409 ConditionalRequestConflict for a concurrent write, and stores
 * nothing (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html;
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-put-object-request/if-match.html).
 * Both are a LedgerConflictError here, and so is 404 NoSuchKey on an `If-Match` write (the ledger
 * was deleted since it was read; what moto 5.2.5 answers, moto/s3/responses.py put_object).
 * A conditional write with If-Match needs s3:GetObject besides s3:PutObject (same user guide page);
 * the usage-job role has both on the usage bucket (stacks/bootstrap/deploy-roles.ts).
 * A write retried after a 5xx whose first attempt did land reports a conflict: the sink rereads
 * and finds its own ledger, so nothing is sent twice.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ledgerKey, parseLedger } from '../sinks/ledger-key';
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../sinks/sink';
import { awsErrorCode, DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './retry';

export const SINK_LEDGER_PREFIX = 'sinks/';

export function sinkLedgerObjectKey(environment: string, sink: string, month: string, part?: string): string {
  return `${SINK_LEDGER_PREFIX}${environment}/${ledgerKey(sink, month, part)}`;
}

const httpStatus = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export class S3SinkLedgerStore implements SinkLedgerStore {
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly environment: string,
    options: { readonly backoff?: BackoffOptions } = {},
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  location(sink: string, month: string, part?: string): string {
    return `s3://${this.bucket}/${sinkLedgerObjectKey(this.environment, sink, month, part)}`;
  }

  async read<T>(sink: string, month: string, part?: string): Promise<LedgerDocument<T> | undefined> {
    const key = sinkLedgerObjectKey(this.environment, sink, month, part);
    const where = this.location(sink, month, part);
    let object;
    try {
      object = await withBackoff(`S3 GetObject ${where}`, () => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchKey') return undefined;
      throw error;
    }
    if (object.ETag === undefined) throw new Error(`${where}: S3 returned no ETag`);
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    return { body: parseLedger<T>(text, where), revision: object.ETag };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined, part?: string): Promise<string> {
    const key = sinkLedgerObjectKey(this.environment, sink, month, part);
    const where = this.location(sink, month, part);
    const text = `${JSON.stringify(body)}\n`; // now: the caller may change body once this returns its promise
    const condition = expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected };
    try {
      const out = await withBackoff(
        `S3 PutObject ${where}`,
        () => this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: 'application/json', ...condition })),
        this.backoff,
      );
      if (out.ETag === undefined) throw new Error(`${where}: S3 returned no ETag`);
      return out.ETag;
    } catch (error) {
      const status = httpStatus(error);
      const code = awsErrorCode(error);
      if (
        status === 412 ||
        status === 409 ||
        code === 'PreconditionFailed' ||
        code === 'ConditionalRequestConflict' ||
        (expected !== undefined && code === 'NoSuchKey')
      ) {
        throw new LedgerConflictError(`sink ledger ${where} changed since it was read (S3 ${code ?? status}); nothing was written, rerun the sink`);
      }
      throw error;
    }
  }
}
