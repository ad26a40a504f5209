/**
 * The edge key store in AWS: a CloudFront KeyValueStore, written through its data-plane API
 * (@aws-sdk/client-cloudfront-keyvaluestore). Facts this rests on (docs/aws-facts.md):
 * - writes carry the store's current ETag (`IfMatch`, from DescribeKeyValueStore or the previous
 *   write); UpdateKeys puts and deletes many keys "in a single, all-or-nothing operation"
 *   (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_UpdateKeys.html). A stale
 *   ETag is a ConflictException (HTTP 409, the SDK's error model): we start the round again from a
 *   fresh ETag and listing.
 * - 50 keys per UpdateKeys call: not in the API reference; reported by the Terraform provider's
 *   users and maintainers (https://github.com/hashicorp/terraform-provider-aws/issues/46220, "50 keys
 *   is reached first than the 3MB"; https://github.com/hashicorp/terraform-provider-aws/pull/42795
 *   for #42789). We send at most 50 entries (puts and deletes together) and at most 3 MB a call.
 * - a store holds at most 5 MB, a key at most 512 and a value at most 1024 characters (keys/limits.ts,
 *   KVS_LIMITS, with sources). How AWS adds up a store's size is not published: we count the UTF-8
 *   bytes of every key and value and refuse at 5,000,000 (the smaller reading of "5 MB") before
 *   writing anything.
 * - the API is signed with SigV4A (the endpoint rules name `sigv4a` with region set `*`). The SDK
 *   picks the CRT signer when @aws-sdk/signature-v4-crt is loaded, else the pure-JS signer that
 *   importing @aws-sdk/signature-v4a registers (SignatureV4MultiRegion.sigv4aDependency in
 *   @aws-sdk/signature-v4-multi-region). We load the pure-JS one: no native module to build.
 */
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  ResourceNotFoundException,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { EdgeChanges, EdgeEntry, EdgeKeyStore } from './edge-store';
import { KVS_LIMITS } from './limits';

export { KVS_LIMITS };

export class EdgeStoreError extends Error {}

export interface AwsEdgeStoreOptions {
  /** arn:aws:cloudfront::<account>:key-value-store/<id> (the billing stack's output). */
  readonly kvsArn: string;
  /** Client settings: region, credentials; endpoint and requestHandler for a stand-in. */
  readonly client?: CloudFrontKeyValueStoreClientConfig;
  /** Attempts of a whole apply on ETag conflicts, and of one call on throttling, before giving up. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** ListKeys returns 10 entries a page unless asked for up to 50 (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_ListKeys.html). */
const LIST_PAGE_SIZE = 50;

/**
 * Up to this many changed keys, the current values are read one GetKey each instead of listing the
 * store (10,000 keys are 200 ListKeys pages): a create, rotate or revoke costs a few calls
 * whatever the store's size. GetKey answers ResourceNotFoundException for a missing key
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_GetKey.html).
 */
export const POINT_READ_LIMIT = 50;

const RETRYABLE = new Set(['ThrottlingException', 'TooManyRequestsException', 'InternalServerException']);

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');
const entryBytes = (key: string, value: string) => byteLength(key) + byteLength(value);

/** Splits the changes into UpdateKeys calls within the per-call limits. */
export function planBatches(changes: EdgeChanges): EdgeChanges[] {
  const batches: { put: EdgeEntry[]; delete: string[]; bytes: number }[] = [];
  let current = { put: [] as EdgeEntry[], delete: [] as string[], bytes: 0 };
  const add = (bytes: number, push: () => void) => {
    const count = current.put.length + current.delete.length;
    if (count >= KVS_LIMITS.keysPerUpdate || current.bytes + bytes > KVS_LIMITS.bytesPerUpdate) {
      batches.push(current);
      current = { put: [], delete: [], bytes: 0 };
    }
    push();
    current.bytes += bytes;
  };
  // JSON framing per entry is a few dozen bytes; 64 keeps the estimate above the real payload.
  for (const entry of changes.put) add(entryBytes(entry.fingerprint, entry.value) + 64, () => current.put.push(entry));
  for (const fp of changes.delete) add(byteLength(fp) + 64, () => current.delete.push(fp));
  if (current.put.length + current.delete.length > 0) batches.push(current);
  return batches.map((b) => ({ put: b.put, delete: b.delete }));
}

/** Refuses, in one line, an entry or a resulting store over AWS's limits. */
export function checkLimits(totalBytesAfter: number, changes: EdgeChanges): void {
  for (const { fingerprint, value } of changes.put) {
    if (byteLength(fingerprint) > KVS_LIMITS.keyBytes) throw new EdgeStoreError(`edge store key ${fingerprint} is over ${KVS_LIMITS.keyBytes} bytes`);
    if (byteLength(value) > KVS_LIMITS.valueBytes) throw new EdgeStoreError(`edge store value for ${fingerprint} is over ${KVS_LIMITS.valueBytes} bytes`);
  }
  if (totalBytesAfter > KVS_LIMITS.storeBytes) {
    throw new EdgeStoreError(
      `the edge key store would hold ${totalBytesAfter} bytes, over CloudFront's ${KVS_LIMITS.storeBytes}-byte KeyValueStore limit: nothing was written; run \`keys sync --fix\` to delete expired entries, then retry`,
    );
  }
}

/** The bytes a store holds, counted as checkLimits counts them. */
export function storeBytes(entries: ReadonlyMap<string, string>): number {
  let total = 0;
  for (const [key, value] of entries) total += entryBytes(key, value);
  return total;
}

export class AwsEdgeKeyStore implements EdgeKeyStore {
  /** AWS publishes no propagation time for KeyValueStore writes (docs/keys.md, "How soon the edge sees a change"). */
  readonly propagation =
    'CloudFront copies the store to its edge locations after the write; AWS publishes no figure for how long that takes, so an edge location may admit the key for a while longer; such requests still need API Gateway, from which the key was deleted';
  private readonly client: CloudFrontKeyValueStoreClient;
  private readonly kvsArn: string;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Calls made, by operation (for benchmarks and tests). */
  readonly calls = { describe: 0, list: 0, get: 0, update: 0, retries: 0 };

  constructor(options: AwsEdgeStoreOptions) {
    this.kvsArn = options.kvsArn;
    this.client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', ...options.client });
    this.maxAttempts = options.maxAttempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async list(): Promise<ReadonlyMap<string, string>> {
    const entries = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      this.calls.list++;
      const page = await this.withRetry(() => this.client.send(new ListKeysCommand({ KvsARN: this.kvsArn, NextToken: nextToken, MaxResults: LIST_PAGE_SIZE })));
      for (const item of page.Items ?? []) entries.set(item.Key ?? '', item.Value ?? '');
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return entries;
  }

  /**
   * Takes the ETag first, then lists, then writes only what differs, in batches each carrying the
   * ETag the previous write returned. If anyone else writes in between, UpdateKeys answers
   * ConflictException and the whole round starts again from a fresh ETag and listing (batches
   * already written are then no-ops), with jittered backoff.
   */
  async apply(changes: EdgeChanges): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyOnce(changes);
        return;
      } catch (error) {
        if (!(error instanceof ConflictException) || attempt >= this.maxAttempts) throw this.explain(error, attempt);
        this.calls.retries++;
        await this.backoff(attempt);
      }
    }
  }

  private async applyOnce(changes: EdgeChanges): Promise<void> {
    const described = await this.describe();
    let etag = described.etag;
    const touched = [...new Set([...changes.put.map((e) => e.fingerprint), ...changes.delete])];
    const listed = touched.length > POINT_READ_LIMIT ? await this.list() : undefined;
    const current = listed ?? (await this.getMany(touched));
    // Only what differs: an equal put or a delete of a missing key is already done.
    const put = changes.put.filter((e) => current.get(e.fingerprint) !== e.value);
    const putKeys = new Set(put.map((e) => e.fingerprint));
    const del = [...new Set(changes.delete)].filter((fp) => current.has(fp) && !putKeys.has(fp));
    const after = new Map(current);
    for (const fp of del) after.delete(fp);
    for (const e of put) after.set(e.fingerprint, e.value);
    // Listed: the store itself; read key by key: the size AWS reports, plus what the change adds.
    const totalAfter = listed !== undefined ? storeBytes(after) : described.totalBytes - storeBytes(current) + storeBytes(after);
    checkLimits(totalAfter, { put, delete: del });
    for (const batch of planBatches({ put, delete: del })) {
      this.calls.update++;
      const out = await this.withRetry(() =>
        this.client.send(
          new UpdateKeysCommand({
            KvsARN: this.kvsArn,
            IfMatch: etag,
            Puts: batch.put.length > 0 ? batch.put.map((e) => ({ Key: e.fingerprint, Value: e.value })) : undefined,
            Deletes: batch.delete.length > 0 ? batch.delete.map((fp) => ({ Key: fp })) : undefined,
          }),
        ),
      );
      if (out.ETag === undefined) throw new EdgeStoreError('UpdateKeys returned no ETag');
      etag = out.ETag;
    }
  }

  private async describe(): Promise<{ etag: string; totalBytes: number }> {
    this.calls.describe++;
    const described = await this.withRetry(() => this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.kvsArn })));
    if (described.ETag === undefined) throw new EdgeStoreError(`DescribeKeyValueStore for ${this.kvsArn} returned no ETag`);
    return { etag: described.ETag, totalBytes: described.TotalSizeInBytes ?? 0 };
  }

  /** The current values of some keys, one GetKey each; a missing key is absent from the map. */
  private async getMany(fingerprints: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const fp of fingerprints) {
      this.calls.get++;
      try {
        const out = await this.withRetry(() => this.client.send(new GetKeyCommand({ KvsARN: this.kvsArn, Key: fp })));
        if (out.Value !== undefined) found.set(fp, out.Value);
      } catch (error) {
        if (error instanceof EdgeStoreError && error.cause instanceof ResourceNotFoundException) continue;
        if (error instanceof ResourceNotFoundException) continue;
        throw error;
      }
    }
    return found;
  }

  /** Retries throttling and server errors; a conflict goes up to apply(), which starts over. */
  private async withRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (error instanceof ConflictException) throw error;
        if (!this.retryable(error) || attempt >= this.maxAttempts) throw this.explain(error, attempt);
        this.calls.retries++;
        await this.backoff(attempt);
      }
    }
  }

  private retryable(error: unknown): boolean {
    return error instanceof Error && RETRYABLE.has(error.name);
  }

  /** Full jitter: a random wait up to min(5 s, 100 ms * 2^attempt). */
  private backoff(attempt: number): Promise<void> {
    return this.sleep(Math.floor(this.random() * Math.min(5000, 100 * 2 ** attempt)));
  }

  private explain(error: unknown, attempts: number): Error {
    if (!(error instanceof Error) || error instanceof EdgeStoreError) return error as Error;
    const what =
      error.name === 'ConflictException' ? 'the edge key store kept changing underneath (ETag conflict)' : `edge key store call failed (${error.name})`;
    return new EdgeStoreError(`${what} after ${attempts} attempt(s): ${error.message}; re-run the command (it is idempotent)`, { cause: error });
  }
}
