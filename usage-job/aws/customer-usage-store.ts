/**
 * Writes the customer usage summary (contracts/customer-usage.ts) to the usage bucket,
 * customer-usage/<month>.json, where GET /usage reads it. A summary never replaces a newer one:
 * the current object is read, and the put is conditional on its ETag (If-Match, or If-None-Match
 * '*' when there is none), so two runs of the same month finishing out of order leave the later
 * asOf in place (S3 conditional writes: 412 Precondition Failed on a mismatch, 409 on a concurrent
 * conditional write, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html;
 * as keys/registry-s3.ts relies on them). A conflict is retried from the read.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { customerUsageObjectKey, parseCustomerUsageSummary, type CustomerUsageSummary } from '../../contracts/customer-usage';

type S3Send = Pick<S3Client, 'send'>;

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export type SummaryWrite = 'written' | 'newer-present';

export async function putCustomerUsageSummary(s3: S3Send, bucket: string, summary: CustomerUsageSummary, attempts = 3): Promise<SummaryWrite> {
  const key = customerUsageObjectKey(summary.month);
  const location = `s3://${bucket}/${key}`;
  for (let attempt = 1; ; attempt++) {
    let etag: string | undefined;
    try {
      const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      etag = current.ETag;
      const existing = parseCustomerUsageSummary((await current.Body?.transformToString()) ?? '', location, summary.environment);
      if (Date.parse(existing.asOf) >= Date.parse(summary.asOf)) return 'newer-present';
    } catch (error) {
      if (status(error) !== 404 && (error as Error).name !== 'NoSuchKey') throw error;
    }
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(summary),
          ContentType: 'application/json',
          ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
        }),
      );
      return 'written';
    } catch (error) {
      const code = status(error);
      if ((code === 412 || code === 409 || (error as Error).name === 'PreconditionFailed') && attempt < attempts) continue;
      throw new Error(`${location}: the customer usage summary was not written (${(error as Error).name}: ${(error as Error).message.split('\n')[0]})`, {
        cause: error,
      });
    }
  }
}
