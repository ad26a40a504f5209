/**
 * GET /usage's S3 source against moto in server mode (real SDK, real HTTP): the conditional read
 * (If-None-Match, answered 304 when unchanged) keeps the cached copy; a rewritten object is read
 * again; a missing month is undefined.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { customerUsageObjectKey } from '../../contracts/customer-usage';
import { useMotoServer } from '../../test-support/moto-server';
import { customer, ENVIRONMENT, key, KEY_A, registry, summary, usage } from './testing/usage-fixtures';
import { s3UsageSource } from './usage-source';

const moto = useMotoServer();
const BUCKET = 'ubb-test-usage-000000000000';
let s3: S3Client;
const statuses: number[] = [];

beforeAll(async () => {
  s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: moto.clientConfig().credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

const put = (k: string, body: unknown) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: JSON.stringify(body) }));

test('reads the registry and the month, revalidates unchanged copies, sees rewrites', async () => {
  await put('registry.json', registry(customer('acme', [key(KEY_A)])));
  await put(customerUsageObjectKey('2026-11'), summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10)));
  const counting = {
    send: async (command: Parameters<S3Client['send']>[0]) => {
      try {
        const out = await s3.send(command as never);
        statuses.push(200);
        return out;
      } catch (error) {
        statuses.push((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0);
        throw error;
      }
    },
  };
  const source = s3UsageSource(counting as never, { environment: ENVIRONMENT, registry: { bucket: BUCKET, key: 'registry.json' }, summaryBucket: BUCKET });
  expect(Object.keys((await source.registry()).customers)).toEqual(['acme']);
  expect((await source.summary('2026-11'))?.customers.acme.requests).toBe(5);
  // Unchanged: moto answers the conditional GET with 304 and the cached copies are used.
  expect((await source.summary('2026-11'))?.customers.acme.requests).toBe(5);
  expect(Object.keys((await source.registry()).customers)).toEqual(['acme']);
  await put(customerUsageObjectKey('2026-11'), summary('2026-11', '2026-11-20T11:00:00Z', usage('acme', 8, 10)));
  expect((await source.summary('2026-11'))?.customers.acme.requests).toBe(8);
  await expect(source.summary('2026-12')).resolves.toBeUndefined();
  expect(statuses).toEqual([200, 200, 304, 304, 200, 404]);
});
