/**
 * The customer usage summary written to S3 (moto in server mode, real SDK and HTTP, conditional
 * writes): a later run replaces the summary, an older run never replaces a newer one; the next
 * month's opening summary is written the same way. GET /usage's
 * reading side against moto: lambdas/handlers/usage-source.moto.test.ts.
 */
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { customerUsageObjectKey, type CustomerUsageSummary } from '../../contracts/customer-usage';
import { useMotoServer } from '../../test-support/moto-server';
import { s3Client } from './clients';
import { openingCustomerUsageSummary } from '../opening-summary';
import { putCustomerUsageSummary } from './customer-usage-store';

const moto = useMotoServer();
const BUCKET = 'ubb-test-usage-000000000000';
let s3: S3Client;

const summary = (asOf: string, requests: number): CustomerUsageSummary => ({
  format: 1,
  environment: 'test',
  month: '2026-11',
  status: 'month-to-date',
  asOf,
  quotaThresholds: [80, 100],
  customers: {
    acme: {
      customerId: 'acme',
      plan: 'basic',
      requests,
      bytesOut: 10,
      rejected: 0,
      errors: 0,
      quota: 100,
      remaining: 100 - requests,
      quotaUsedPercent: requests,
      thresholdsReached: [],
      estimatedCharges: null,
    },
  },
});

beforeAll(async () => {
  s3 = s3Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

test('the first write creates the object, a later run replaces it, an earlier one never does', async () => {
  await expect(putCustomerUsageSummary(s3, BUCKET, summary('2026-11-20T10:00:00.000Z', 5))).resolves.toBe('written');
  await expect(putCustomerUsageSummary(s3, BUCKET, summary('2026-11-20T11:00:00.000Z', 8))).resolves.toBe('written');
  await expect(putCustomerUsageSummary(s3, BUCKET, summary('2026-11-20T10:30:00.000Z', 6))).resolves.toBe('newer-present');
  const stored = JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: customerUsageObjectKey('2026-11') }))).Body!.transformToString(),
  ) as CustomerUsageSummary;
  expect(stored).toMatchObject({ asOf: '2026-11-20T11:00:00.000Z', customers: { acme: { requests: 8 } } });
});

test("a run of November writes December's opening summary; December's first run replaces it; a late November run never does", async () => {
  const customers = [{ id: 'acme', plan: 'basic', quota: 100 }];
  const opening = (now: string) => openingCustomerUsageSummary({ environment: 'test', month: '2026-11', customers, thresholds: [80, 100], now: new Date(now) });
  const read = async () =>
    JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: customerUsageObjectKey('2026-12') }))).Body!.transformToString(),
    ) as CustomerUsageSummary;

  await expect(putCustomerUsageSummary(s3, BUCKET, opening('2026-11-30T22:17:00.000Z')!)).resolves.toBe('written');
  await expect(putCustomerUsageSummary(s3, BUCKET, opening('2026-11-30T23:17:00.000Z')!)).resolves.toBe('written');
  expect(await read()).toMatchObject({ month: '2026-12', opening: true, asOf: '2026-11-30T23:17:00.000Z', customers: { acme: { requests: 0, quota: 100 } } });

  const december = { ...summary('2026-12-01T00:17:00.000Z', 3), month: '2026-12' };
  await expect(putCustomerUsageSummary(s3, BUCKET, december)).resolves.toBe('written');
  // A November run finishing late with an opening of an earlier time: the real summary stays.
  await expect(putCustomerUsageSummary(s3, BUCKET, opening('2026-11-30T23:59:00.000Z')!)).resolves.toBe('newer-present');
  expect(await read()).toMatchObject({ asOf: '2026-12-01T00:17:00.000Z', customers: { acme: { requests: 3 } } });
  expect((await read()).opening).toBeUndefined();
});
