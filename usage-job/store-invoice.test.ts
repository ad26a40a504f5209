import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { invoiceObjectKey } from '../contracts/invoices';
import { resourceNames } from '../contracts/resource-names';
import { platformConfig } from '../config/environments';
import { main, type InvoiceBucket } from './store-invoice';

/** Records the puts; refuses a key that exists, as S3 does for If-None-Match: *. */
function fakeBucket(): InvoiceBucket & { puts: PutObjectCommand['input'][] } {
  const puts: PutObjectCommand['input'][] = [];
  return {
    puts,
    send: async (command: PutObjectCommand) => {
      if (puts.some((p) => p.Key === command.input.Key))
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed' });
      puts.push(command.input);
      return {};
    },
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-invoice-'));
  writeFileSync(join(dir, 'invoice.csv'), 'month,status\r\n2026-11,final\r\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = (attempt: string) => [
  '--env',
  'prod',
  '--month',
  '2026-11',
  '--file',
  join(dir, 'invoice.csv'),
  '--run-id',
  '4242',
  '--run-attempt',
  attempt,
  '--commit',
  'abc123',
];

async function run(bucket: InvoiceBucket, argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
    bucket,
  );
  return { code, out, err };
}

test('writes the invoice lines to the usage bucket, named by the run, only as a new object', async () => {
  const bucket = fakeBucket();
  const result = await run(bucket, args('1'));
  expect(result).toEqual({ code: 0, out: 's3://ubb-prod-usage-222222222222/invoices/prod/2026-11/run-4242-attempt-1.csv\n', err: '' });
  expect(bucket.puts).toEqual([
    {
      Bucket: resourceNames(platformConfig.environments.find((e) => e.name === 'prod')!).usageBucket,
      Key: 'invoices/prod/2026-11/run-4242-attempt-1.csv',
      Body: 'month,status\r\n2026-11,final\r\n',
      ContentType: 'text/csv; charset=utf-8',
      IfNoneMatch: '*',
      Metadata: { 'run-id': '4242', 'run-attempt': '1', commit: 'abc123' },
    },
  ]);
});

test('never replaces an invoice of record', async () => {
  const bucket = fakeBucket();
  expect((await run(bucket, args('1'))).code).toBe(0);
  const again = await run(bucket, args('1'));
  expect(again.code).toBe(1);
  expect(again.err).toContain('already exists; an invoice of record is never replaced');
  expect((await run(bucket, args('2'))).code).toBe(0);
});

test('refuses bad arguments without writing', async () => {
  const bucket = fakeBucket();
  expect((await run(bucket, ['--env', 'local', ...args('1').slice(2)])).code).toBe(2);
  expect(
    (
      await run(
        bucket,
        args('1').map((a) => (a === '2026-11' ? '2026-13' : a)),
      )
    ).code,
  ).toBe(1);
  expect(bucket.puts).toEqual([]);
  expect(() => invoiceObjectKey('prod', '2026-11', '42; rm', '1')).toThrow(/must be numbers/);
});
