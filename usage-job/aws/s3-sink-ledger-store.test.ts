/**
 * The S3 answers moto does not produce: 409 ConditionalRequestConflict (a concurrent conditional
 * write, S3 user guide "conditional writes") is a conflict like 412; other errors stay errors.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { LedgerConflictError } from '../sinks/sink';
import { S3SinkLedgerStore } from './s3-sink-ledger-store';

const failingWith = (error: Error): S3Client => ({ send: async () => Promise.reject(error) }) as unknown as S3Client;
const awsError = (name: string, status: number) => Object.assign(new Error(`${name} says no`), { name, $metadata: { httpStatusCode: status } });
const once = { backoff: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined } };

it.each([
  ['409 ConditionalRequestConflict', awsError('ConditionalRequestConflict', 409)],
  ['412 PreconditionFailed', awsError('PreconditionFailed', 412)],
])('turns %s into a LedgerConflictError naming the ledger', async (_name, error) => {
  const store = new S3SinkLedgerStore(failingWith(error), 'usage', 'prod', once);
  const write = store.write('stripe', '2026-11', {}, '"etag"');
  await expect(write).rejects.toBeInstanceOf(LedgerConflictError);
  await expect(write).rejects.toThrow('sink ledger s3://usage/sinks/prod/stripe/2026-11.json changed since it was read');
});

it('leaves access denied an error of its own, not a conflict', async () => {
  const store = new S3SinkLedgerStore(failingWith(awsError('AccessDenied', 403)), 'usage', 'prod', once);
  const write = store.write('stripe', '2026-11', {}, undefined);
  await expect(write).rejects.toThrow('AccessDenied says no');
  await expect(write).rejects.not.toBeInstanceOf(LedgerConflictError);
});

it('a missing object on a first write (no If-Match) is not a conflict', async () => {
  const store = new S3SinkLedgerStore(failingWith(awsError('NoSuchKey', 404)), 'usage', 'prod', once);
  await expect(store.write('stripe', '2026-11', {}, undefined)).rejects.not.toBeInstanceOf(LedgerConflictError);
});
