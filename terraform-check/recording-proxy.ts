/**
 * A recording HTTP proxy in front of moto (and the API Gateway GetUsage stand-in) for the usage
 * job's run. The job runs as a child process exactly as the schedule runs it, so its calls are
 * recorded on the wire, as AWS would receive them, rather than by reaching into the SDK inside that
 * process. Each signed request is named by its SigV4 signing service (credential scope of the
 * Authorization header) and its operation: X-Amz-Target for the JSON protocols, Action for the
 * Query protocol, the HTTP verb and path shape for S3 and API Gateway (REST). A request whose
 * operation it cannot name is recorded as "unknown ..." so the call map refuses it by name.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedCall } from '../permissions/recorded-call';

/** SigV4 signing name -> the SDK service id the call map uses. */
const SERVICE_IDS: Readonly<Record<string, string>> = {
  s3: 'S3',
  athena: 'Athena',
  glue: 'Glue',
  monitoring: 'CloudWatch',
  events: 'EventBridge',
  apigateway: 'API Gateway',
  logs: 'CloudWatch Logs',
  sts: 'STS',
};

/**
 * S3 sub-resources (the query key that names what a request acts on) -> the API operation per HTTP
 * verb, for buckets and for objects (S3 API reference, each operation's "Request Syntax",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html).
 * Each operation has its own IAM action (permissions/call-map.ts), so a sub-resource request must
 * never be named as the plain GetObject, PutObject or bucket request it looks like.
 */
const BUCKET_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  lifecycle: { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' },
  encryption: { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' },
  publicAccessBlock: { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' },
  ownershipControls: { GET: 'GetBucketOwnershipControls', PUT: 'PutBucketOwnershipControls', DELETE: 'DeleteBucketOwnershipControls' },
  logging: { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' },
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  cors: { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' },
  website: { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' },
  replication: { GET: 'GetBucketReplication' },
  'object-lock': { GET: 'GetObjectLockConfiguration' },
  accelerate: { GET: 'GetBucketAccelerateConfiguration' },
  requestPayment: { GET: 'GetBucketRequestPayment' },
  notification: { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' },
  location: { GET: 'GetBucketLocation' },
  uploads: { GET: 'ListMultipartUploads' },
  versions: { GET: 'ListObjectVersions' },
  delete: { POST: 'DeleteObjects' },
};
const OBJECT_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tagging: { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' },
  acl: { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' },
  retention: { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' },
  'legal-hold': { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' },
  attributes: { GET: 'GetObjectAttributes' },
  restore: { POST: 'RestoreObject' },
  uploads: { POST: 'CreateMultipartUpload' },
};
/** Query keys that are parameters of a plain request, not sub-resources. */
const S3_PARAMETERS = new Set([
  'versionId',
  'partNumber',
  'uploadId',
  'list-type',
  'prefix',
  'delimiter',
  'continuation-token',
  'max-keys',
  'start-after',
  'fetch-owner',
  'encoding-type',
  'marker',
  'x-id',
]);

/** Names an S3 request; exported for the unit test. A query key that is neither a sub-resource nor a parameter names it "unknown". */
export function s3Operation(method: string, path: string, query: URLSearchParams, headers: Readonly<Record<string, string | undefined>> = {}): string {
  // "/bucket", "/bucket/" (the SDK's path-style bucket requests) or "/bucket/key".
  const object = path.replace(/^\/[^/]*\/?/, '') !== '';
  const keys = [...query.keys()].filter((k) => !k.startsWith('response-'));
  const unknown = `unknown ${method} ${object ? '/<bucket>/<key>' : '/<bucket>'}?${keys.join('&')}`;
  const table = object ? OBJECT_SUBRESOURCES : BUCKET_SUBRESOURCES;
  const subresources = keys.filter((k) => k in table);
  if (subresources.length > 1 || keys.some((k) => !(k in table) && !S3_PARAMETERS.has(k))) return unknown;
  if (subresources.length === 1) return table[subresources[0]][method] ?? unknown;
  const has = (k: string) => query.has(k);
  const copy = headers['x-amz-copy-source'] !== undefined;
  if (!object) {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    return unknown;
  }
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET' && has('uploadId')) return 'ListParts';
  if (method === 'GET') return 'GetObject';
  if (method === 'PUT' && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject';
  if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'DELETE') return 'DeleteObject';
  return unknown;
}

function apiGatewayOperation(method: string, path: string): string {
  if (method === 'GET' && /^\/usageplans$/.test(path)) return 'GetUsagePlans';
  if (method === 'GET' && /^\/usageplans\/[^/]+$/.test(path)) return 'GetUsagePlan';
  if (method === 'GET' && /^\/usageplans\/[^/]+\/usage$/.test(path)) return 'GetUsage';
  if (method === 'GET' && /^\/usageplans\/[^/]+\/keys$/.test(path)) return 'GetUsagePlanKeys';
  if (method === 'GET' && /^\/apikeys(\/[^/]+)?$/.test(path)) return path === '/apikeys' ? 'GetApiKeys' : 'GetApiKey';
  return `unknown ${method} ${path}`;
}

/** Names one request; exported for the unit test. */
export function nameRequest(method: string, url: string, headers: Readonly<Record<string, string | undefined>>, body: string): RecordedCall {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
  const region = scope?.[1] ?? '';
  const signingName = scope?.[2] ?? 'unsigned';
  const service = SERVICE_IDS[signingName] ?? `unknown service ${signingName}`;
  const parsed = new URL(url, 'http://localhost');
  const path = decodeURIComponent(parsed.pathname);
  const target = headers['x-amz-target'];
  let operation: string;
  if (target !== undefined) operation = target.split('.').pop() ?? target;
  else if (service === 'S3') operation = s3Operation(method, path, parsed.searchParams, headers);
  else if (service === 'API Gateway') operation = apiGatewayOperation(method, path);
  else operation = new URLSearchParams(body).get('Action') ?? `unknown ${method} ${path}`;
  const kept: Record<string, string> = {};
  for (const name of ['if-none-match', 'x-amz-copy-source']) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  // Object bodies (Parquet, CSV, JSON files) are data, not parameters.
  const parameters = service === 'S3' ? '' : body;
  return { service, operation, httpMethod: method, url: parsed.pathname + parsed.search, body: parameters, region, headers: kept };
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
      calls.push(nameRequest(req.method ?? 'GET', req.url ?? '/', headers, body.toString('utf8')));
      const forward = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
