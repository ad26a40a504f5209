/**
 * An HTTP stand-in for the CloudFront KeyValueStore data-plane API, for the operations the edge
 * key store uses: DescribeKeyValueStore (GET /key-value-stores/{KvsARN}), ListKeys
 * (GET /key-value-stores/{KvsARN}/keys?NextToken&MaxResults) and UpdateKeys
 * (POST /key-value-stores/{KvsARN}/keys with If-Match), in the REST-JSON wire format the SDK's
 * serializers send and expect (@aws-sdk/client-cloudfront-keyvaluestore: ETag in a header, errors
 * as x-amzn-ErrorType with a JSON Message, ConflictException 409, ValidationException 400,
 * ServiceQuotaExceededException 402, ResourceNotFoundException 404). moto has no such API.
 * What it assumes, beyond the API reference:
 * - every write is visible at once; AWS propagates a change to the edge locations within seconds,
 *   a time this stand-in does not model (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions.html);
 * - a stale If-Match is a ConflictException and changes nothing; UpdateKeys is all-or-nothing;
 * - at most 50 entries per UpdateKeys (reported, not in the API reference) and 3 MB of payload,
 *   else ServiceQuotaExceededException; a key over 512 or a value over 1024 bytes is a
 *   ValidationException; a store over 5,000,000 bytes (key plus value UTF-8 bytes, our reading of
 *   "5 MB") is a ServiceQuotaExceededException;
 * - ListKeys pages hold 10 items unless MaxResults asks for 1 to 50, as AWS documents
 *   (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_ListKeys.html);
 * - the request must be SigV4A-signed (Authorization `AWS4-ECDSA-P256-SHA256 ...` for the
 *   `cloudfront-keyvaluestore` service and `X-Amz-Region-Set: *`); the signature itself is not
 *   verified, and the host must start with the store's account id, as the SDK's endpoint rules
 *   build it (`{account}.cloudfront-kvs.global.api.aws`).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STAND_IN_LIMITS = {
  keysPerUpdate: 50,
  bytesPerUpdate: 3 * 1024 * 1024,
  storeBytes: 5_000_000,
  keyBytes: 512,
  valueBytes: 1024,
  defaultPageSize: 10,
  maxPageSize: 50,
};

export interface KvsStandIn {
  /** http://localhost:<port>: the SDK puts the account id in front of it. */
  readonly endpoint: string;
  readonly port: number;
  readonly arn: string;
  /** The store's entries, live. */
  readonly entries: Map<string, string>;
  /** Requests by operation, and the ones refused with a ConflictException. */
  readonly counts: { describe: number; list: number; get: number; update: number; conflicts: number; unsigned: number };
  /**
   * Makes the next `n` UpdateKeys calls fail as if another writer had changed the store first
   * (`change`, if given, is that writer's change to the entries).
   */
  interleaveWrites(n: number, change?: (entries: Map<string, string>) => void): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function storeSize(entries: ReadonlyMap<string, string>): number {
  let total = 0;
  for (const [k, v] of entries) total += bytes(k) + bytes(v);
  return total;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startKvsStandIn(arn = 'arn:aws:cloudfront::123456789012:key-value-store/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'): Promise<KvsStandIn> {
  const account = /^arn:aws:cloudfront::(\d{12}):key-value-store\/[\w-]+$/.exec(arn)?.[1];
  if (account === undefined) throw new Error(`not a KeyValueStore ARN: ${arn}`);
  const entries = new Map<string, string>();
  const counts = { describe: 0, list: 0, get: 0, update: 0, conflicts: 0, unsigned: 0 };
  const created = Math.floor(Date.now() / 1000);
  let version = 0;
  let interleave = 0;
  let interleaved: ((entries: Map<string, string>) => void) | undefined;
  const etag = () => `KV${createHash('sha256').update(`${arn}:${version}`).digest('hex').slice(0, 12).toUpperCase()}`;

  const checkSigned = (req: IncomingMessage) => {
    const auth = req.headers.authorization ?? '';
    const signed =
      /^AWS4-ECDSA-P256-SHA256 Credential=[^/]+\/\d{8}\/cloudfront-keyvaluestore\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]+$/.test(
        auth,
      ) && req.headers['x-amz-region-set'] === '*';
    if (!signed) {
      counts.unsigned++;
      throw new ApiError(403, 'AccessDeniedException', 'request is not SigV4A-signed for cloudfront-keyvaluestore with region set *');
    }
    if (!(req.headers.host ?? '').startsWith(`${account}.`))
      throw new ApiError(404, 'ResourceNotFoundException', `host ${req.headers.host} is not account ${account}'s endpoint`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkSigned(req);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = /^\/key-value-stores\/([^/]+)(\/keys)?(?:\/([^/]+))?$/.exec(url.pathname);
    if (match === null) throw new ApiError(404, 'ResourceNotFoundException', `no operation at ${req.method} ${url.pathname}`);
    if (decodeURIComponent(match[1]) !== arn) throw new ApiError(404, 'ResourceNotFoundException', `no key value store ${decodeURIComponent(match[1])}`);
    const send = (body: object, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && match[2] === undefined) {
      counts.describe++;
      send(
        { ItemCount: entries.size, TotalSizeInBytes: storeSize(entries), KvsARN: arn, Created: created, LastModified: created, Status: 'READY' },
        { ETag: etag() },
      );
      return;
    }
    if (req.method === 'GET' && match[3] !== undefined) {
      // GetKey: the pair and the store's totals; a missing key is ResourceNotFoundException.
      counts.get++;
      const key = decodeURIComponent(match[3]);
      const value = entries.get(key);
      if (value === undefined) throw new ApiError(404, 'ResourceNotFoundException', `no key ${key}`);
      send({ Key: key, Value: value, ItemCount: entries.size, TotalSizeInBytes: storeSize(entries) });
      return;
    }
    if (req.method === 'GET') {
      counts.list++;
      const start = Number(url.searchParams.get('NextToken') ?? '0');
      const max = Math.min(STAND_IN_LIMITS.maxPageSize, Number(url.searchParams.get('MaxResults') ?? STAND_IN_LIMITS.defaultPageSize));
      const keys = [...entries.keys()].sort();
      const page = keys.slice(start, start + max);
      send({ Items: page.map((k) => ({ Key: k, Value: entries.get(k) })), NextToken: start + max < keys.length ? String(start + max) : undefined });
      return;
    }
    if (req.method === 'POST') {
      counts.update++;
      const raw = await readBody(req);
      if (interleave > 0) {
        interleave--;
        interleaved?.(entries);
        version++;
      }
      if (req.headers['if-match'] !== etag()) {
        counts.conflicts++;
        throw new ApiError(409, 'ConflictException', `If-Match ${String(req.headers['if-match'])} is not the store's ETag`);
      }
      if (bytes(raw) > STAND_IN_LIMITS.bytesPerUpdate) throw new ApiError(402, 'ServiceQuotaExceededException', 'UpdateKeys payload over 3 MB');
      const body = JSON.parse(raw || '{}') as { Puts?: { Key: string; Value: string }[]; Deletes?: { Key: string }[] };
      const puts = body.Puts ?? [];
      const deletes = body.Deletes ?? [];
      if (puts.length + deletes.length > STAND_IN_LIMITS.keysPerUpdate) {
        throw new ApiError(402, 'ServiceQuotaExceededException', `UpdateKeys takes at most ${STAND_IN_LIMITS.keysPerUpdate} keys`);
      }
      for (const p of puts) {
        if (bytes(p.Key) > STAND_IN_LIMITS.keyBytes || bytes(p.Key) === 0) throw new ApiError(400, 'ValidationException', `key length out of range: ${p.Key}`);
        if (bytes(p.Value) > STAND_IN_LIMITS.valueBytes) throw new ApiError(400, 'ValidationException', `value over ${STAND_IN_LIMITS.valueBytes} bytes`);
      }
      const after = new Map(entries);
      for (const d of deletes) after.delete(d.Key);
      for (const p of puts) after.set(p.Key, p.Value);
      if (storeSize(after) > STAND_IN_LIMITS.storeBytes) throw new ApiError(402, 'ServiceQuotaExceededException', 'key value store over 5 MB');
      entries.clear();
      for (const [k, v] of after) entries.set(k, v);
      version++;
      send({ ItemCount: entries.size, TotalSizeInBytes: storeSize(entries) }, { ETag: etag() });
      return;
    }
    throw new ApiError(404, 'ResourceNotFoundException', `no operation ${req.method}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const e = error instanceof ApiError ? error : new ApiError(500, 'InternalServerException', String(error));
      res.writeHead(e.status, { 'content-type': 'application/json', 'x-amzn-ErrorType': e.type });
      res.end(JSON.stringify({ Message: e.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://localhost:${port}`,
    port,
    arn,
    entries,
    counts,
    interleaveWrites: (n, change) => {
      interleave = n;
      interleaved = change;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
