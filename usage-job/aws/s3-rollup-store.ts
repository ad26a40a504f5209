/**
 * The usage job's state in S3 (the environment's usage bucket) and the log listing it compares
 * against. RollupStore and LogLister are defined in ../rollup-store.ts.
 *
 * Layout in the usage bucket:
 *   rollups/hourly/YYYY-MM-DD/HH.json   one object per partition hour
 *   rollups/manifest.json               the log listing each stored hour was computed from
 *
 * A usage bucket holds the state of one distribution's logs (the deployment file's log bucket,
 * account and distribution): the store is constructed with that source, and a run refuses a
 * manifest that names another one.
 *
 * Atomicity: S3 never exposes a partially written object; a PUT replaces the object as a whole
 * ("Amazon S3 never adds partial objects; if you receive a success response, Amazon S3 added the
 * entire object", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), and reads
 * after a successful PUT see it (strong read-after-write consistency,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel). The job
 * writes the manifest after the rollups (incremental-run.ts), so a crash between them makes the
 * next run recompute those hours.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPrefix } from '../../sql/log-columns';
import { hourStart } from '../../sql/hours';
import {
  asStoredManifest,
  asStoredRollup,
  isUsageRow,
  type HourRollup,
  type LogLister,
  type LogObjectVersion,
  type RollupManifest,
  type RollupStore,
  type StoredManifest,
  type StoredRollup,
} from '../rollup-store';
import type { S3StateSource } from '../state-source';
import type { HourId } from '../types';
import { mapLimit } from '../concurrency';
import { awsErrorCode, DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './retry';

export const ROLLUP_PREFIX = 'rollups/hourly/';
export const MANIFEST_KEY = 'rollups/manifest.json';

export class RollupStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollupStoreError';
  }
}

export function rollupKey(hour: HourId): string {
  hourStart(hour); // throws on anything but 'YYYY-MM-DDTHH'
  return `${ROLLUP_PREFIX}${hour.slice(0, 10)}/${hour.slice(11, 13)}.json`;
}

export class S3RollupStore implements RollupStore {
  private readonly backoff: BackoffOptions;
  readonly location: string;
  readonly otherSourceAdvice: string;

  /** `bucket`: the usage bucket; `source`: the logs its state belongs to (from the deployment file). */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly source: S3StateSource,
    options: { backoff?: BackoffOptions } = {},
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.location = `s3://${bucket}/rollups/`;
    this.otherSourceAdvice =
      "a usage bucket holds the state of one distribution's logs: check the deployment file's logBucket, accountId and distributionId, " +
      `or move ${this.location} aside (its rollups are the figures past invoices were made from) to start over`;
  }

  private where(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** The object's text, or null when it does not exist. */
  private async getText(key: string): Promise<string | null> {
    try {
      const object = await withBackoff(
        `S3 GetObject ${this.where(key)}`,
        () => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
        this.backoff,
      );
      return (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchKey') return null;
      throw error;
    }
  }

  private async getJson(key: string): Promise<unknown> {
    const text = await this.getText(key);
    if (text === null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new RollupStoreError(`${this.where(key)} is not valid JSON (${(error as Error).message}); delete it and rerun to recompute`);
    }
  }

  private async putJson(key: string, value: unknown): Promise<void> {
    const body = JSON.stringify(value);
    await withBackoff(
      `S3 PutObject ${this.where(key)}`,
      () => this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' })),
      this.backoff,
    );
  }

  async getHour(hour: HourId): Promise<StoredRollup | null> {
    const key = rollupKey(hour);
    const value = await this.getJson(key);
    if (value === null) return null;
    const rollup = asStoredRollup(value, hour);
    if (rollup === undefined) throw new RollupStoreError(`${this.where(key)} is not a rollup of hour ${hour}; delete it and rerun to recompute that hour`);
    return rollup;
  }

  async putHour(rollup: HourRollup): Promise<void> {
    if (!rollup.rows.every((r) => isUsageRow(r, rollup.hour))) {
      throw new RollupStoreError(`refusing to store rollup of hour ${rollup.hour}: a row is not a usage row of that hour`);
    }
    await this.putJson(rollupKey(rollup.hour), rollup);
  }

  async readManifest(): Promise<StoredManifest | null> {
    const value = await this.getJson(MANIFEST_KEY);
    if (value === null) return null;
    const manifest = asStoredManifest(value);
    if (manifest === undefined) {
      throw new RollupStoreError(
        `${this.where(MANIFEST_KEY)} is not a usage-job manifest (version 1 or 2); delete it and rerun (the late window is recomputed)`,
      );
    }
    return manifest;
  }

  async writeManifest(manifest: RollupManifest): Promise<void> {
    await this.putJson(MANIFEST_KEY, manifest);
  }
}

/**
 * Lists the CloudFront log objects of partition hours: ListObjectsV2 under each hour's
 * prefix (sql/log-columns.ts hourPrefix), every page (at most 1,000 keys per page, continued with
 * ContinuationToken, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
 * An object's version is its ETag, which changes when its content does. Listing scans no bytes.
 */
export class S3LogLister implements LogLister {
  private readonly backoff: BackoffOptions;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly location: { readonly bucket: string; readonly accountId: string; readonly distributionId: string },
    /** pageSize: MaxKeys per ListObjectsV2 call (S3's default and maximum is 1,000). */
    options: { backoff?: BackoffOptions; concurrency?: number; pageSize?: number } = {},
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.concurrency = options.concurrency ?? 16;
    this.pageSize = options.pageSize;
  }

  async listHours(hours: readonly HourId[]): Promise<ReadonlyMap<HourId, readonly LogObjectVersion[]>> {
    const listed = await mapLimit(hours, this.concurrency, (hour) => this.listHour(hour));
    return new Map(hours.map((hour, i) => [hour, listed[i]]));
  }

  private async listHour(hour: HourId): Promise<LogObjectVersion[]> {
    const { bucket, accountId, distributionId } = this.location;
    const prefix = hourPrefix(accountId, distributionId, hourStart(hour));
    const objects: LogObjectVersion[] = [];
    let token: string | undefined;
    do {
      const page = await withBackoff(
        `S3 ListObjectsV2 s3://${bucket}/${prefix}`,
        () =>
          this.s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(this.pageSize !== undefined ? { MaxKeys: this.pageSize } : {}),
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        this.backoff,
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.endsWith('/')) continue; // folder markers hold no logs
        objects.push({ key: object.Key, version: object.ETag ?? '', size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
