/** The S3 sink ledger store against moto in server mode (real SDK, real HTTP, moto's conditional PutObject). */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { useMotoServer } from '../../test-support/moto-server';
import { describeLedgerStoreContract } from '../sinks/testing/ledger-store-contract';
import { LedgerConflictError } from '../sinks/sink';
import { s3Client } from './clients';
import { S3SinkLedgerStore, sinkLedgerObjectKey } from './s3-sink-ledger-store';

const moto = useMotoServer();
const BUCKET = 'ubb-test-usage-000000000000';
let s3: S3Client;
let environments = 0;

beforeAll(async () => {
  s3 = s3Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

// A fresh environment per test: its ledgers are a prefix of their own in the one bucket.
describeLedgerStoreContract('S3 store', () => new S3SinkLedgerStore(s3, BUCKET, `env${++environments}`));

describe('S3 store in the usage bucket', () => {
  it('keeps the ledger at sinks/<environment>/<sink>/<month>.json, as JSON', async () => {
    const store = new S3SinkLedgerStore(s3, BUCKET, 'prod');
    await store.write('alpha', '2026-11', { sent: 3 }, undefined);
    expect(sinkLedgerObjectKey('prod', 'alpha', '2026-11')).toBe('sinks/prod/alpha/2026-11.json');
    expect(store.location('alpha', '2026-11')).toBe(`s3://${BUCKET}/sinks/prod/alpha/2026-11.json`);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sinks/prod/alpha/2026-11.json' }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({ sent: 3 });
  });

  it('refuses a write from a read of a ledger deleted since, and creates nothing', async () => {
    const store = new S3SinkLedgerStore(s3, BUCKET, 'dev');
    const revision = await store.write('alpha', '2026-11', { sent: 1 }, undefined);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: sinkLedgerObjectKey('dev', 'alpha', '2026-11') }));
    await expect(store.write('alpha', '2026-11', { sent: 2 }, revision)).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(store.read('alpha', '2026-11')).resolves.toBeUndefined();
  });
});
