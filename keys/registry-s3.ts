/**
 * The registry's AWS backend: one S3 object in a versioned bucket. Writes are conditional: `If-Match`
 * with the ETag read (or `If-None-Match: *` for the first write), so a registry changed underneath
 * fails with 412 and nothing is written; bucket versioning keeps every revision as history.
 * S3 conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * (412 Precondition Failed on a mismatch; 409 ConditionalRequestConflict on a concurrent write:
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-put-object-request/if-match.html).
 * moto implements both headers on PutObject since getmoto/moto#8109 and #8869.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RegistryConflictError, type RegistryStore } from './registry';

interface HttpError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

export class S3RegistryStore implements RegistryStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {
    this.location = `s3://${bucket}/${key}`;
  }

  async read(): Promise<{ text: string; etag: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      if (out.ETag === undefined) throw new Error(`${this.location}: S3 returned no ETag`);
      return { text, etag: out.ETag };
    } catch (error) {
      const e = error as HttpError;
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  async write(text: string, etag: string | undefined): Promise<string> {
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: text,
          ContentType: 'application/json',
          ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
        }),
      );
      if (out.ETag === undefined) throw new Error(`${this.location}: S3 returned no ETag`);
      return out.ETag;
    } catch (error) {
      const e = error as HttpError;
      const status = e.$metadata?.httpStatusCode;
      if (status === 412 || status === 409 || e.name === 'PreconditionFailed') throw new RegistryConflictError(this.location);
      throw error;
    }
  }
}
