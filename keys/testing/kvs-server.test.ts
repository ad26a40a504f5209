/**
 * The KeyValueStore stand-in itself, driven by the real SDK client: it refuses an unsigned request,
 * a stale If-Match (ConflictException) and a batch over 50 keys (ServiceQuotaExceededException), and
 * answers DescribeKeyValueStore with the ETag and size the client reads.
 */
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  ServiceQuotaExceededException,
  UpdateKeysCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { startKvsStandIn, type KvsStandIn } from './kvs-server';

let standIn: KvsStandIn;
let client: CloudFrontKeyValueStoreClient;
const loopback: LookupFunction = (_host, options, callback) => {
  if (typeof options === 'object' && options.all === true)
    (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

beforeAll(async () => {
  standIn = await startKvsStandIn();
  client = new CloudFrontKeyValueStoreClient({
    region: 'us-east-1',
    endpoint: standIn.endpoint,
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
    requestHandler: { httpAgent: new Agent({ lookup: loopback } as ConstructorParameters<typeof Agent>[0]) },
  });
});
afterAll(() => standIn.close());

test('refuses a request without a SigV4A signature', async () => {
  const res = await fetch(`http://127.0.0.1:${standIn.port}/key-value-stores/${encodeURIComponent(standIn.arn)}`, {
    headers: { host: `123456789012.localhost:${standIn.port}` },
  });
  expect(res.status).toBe(403);
  expect(res.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
});

test('describes the store with an ETag that every write changes, and refuses a stale one', async () => {
  const first = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: standIn.arn }));
  expect(first).toMatchObject({ ItemCount: 0, TotalSizeInBytes: 0, KvsARN: standIn.arn });
  const written = await client.send(new UpdateKeysCommand({ KvsARN: standIn.arn, IfMatch: first.ETag, Puts: [{ Key: 'abc', Value: 'active' }] }));
  expect(written).toMatchObject({ ItemCount: 1, TotalSizeInBytes: 'abc'.length + 'active'.length });
  expect(written.ETag).not.toBe(first.ETag);
  await expect(client.send(new UpdateKeysCommand({ KvsARN: standIn.arn, IfMatch: first.ETag, Deletes: [{ Key: 'abc' }] }))).rejects.toBeInstanceOf(
    ConflictException,
  );
  expect(standIn.entries.get('abc')).toBe('active');
});

test('refuses more than 50 keys in one UpdateKeys call, writing none of them', async () => {
  const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: standIn.arn }));
  const puts = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'active' }));
  await expect(client.send(new UpdateKeysCommand({ KvsARN: standIn.arn, IfMatch: ETag, Puts: puts }))).rejects.toBeInstanceOf(ServiceQuotaExceededException);
  expect(standIn.entries.has('k0')).toBe(false);
});
