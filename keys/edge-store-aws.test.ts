/**
 * The AWS edge key store against the KeyValueStore stand-in over HTTP on 127.0.0.1, through the
 * real SDK with SigV4A signing (the stand-in refuses requests without the SigV4A header shape):
 * listing pages, batching within 50 keys a call, idempotent re-application, ETag conflicts
 * retried with a fresh ETag, and a store over 5 MB refused before anything is written.
 */
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { AwsEdgeKeyStore, EdgeStoreError, KVS_LIMITS, planBatches, POINT_READ_LIMIT } from './edge-store-aws';
import { startKvsStandIn, type KvsStandIn } from './testing/kvs-server';

let standIn: KvsStandIn;
beforeEach(async () => {
  standIn = await startKvsStandIn();
});
afterEach(() => standIn.close());

// The SDK prefixes the endpoint's host with the account id (123456789012.localhost): resolve every such name to loopback.
const loopback: LookupFunction = (_host, options, callback) => {
  if (typeof options === 'object' && options.all === true)
    (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

function store(extra: { maxAttempts?: number } = {}): AwsEdgeKeyStore {
  return new AwsEdgeKeyStore({
    kvsArn: standIn.arn,
    client: {
      endpoint: standIn.endpoint,
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
      requestHandler: { httpAgent: new Agent({ lookup: loopback } as ConstructorParameters<typeof Agent>[0]) },
    },
    sleep: () => Promise.resolve(),
    ...extra,
  });
}

const fp = (i: number) => i.toString(16).padStart(16, '0');

test('writes 120 keys in batches of at most 50, signed with SigV4A, and lists them back across pages', async () => {
  const s = store();
  const put = Array.from({ length: 120 }, (_, i) => ({ fingerprint: fp(i), value: i % 2 === 0 ? 'active' : 'until:4102444800' }));
  await s.apply({ put, delete: [] });
  expect(standIn.counts.update).toBe(3);
  expect(standIn.counts.unsigned).toBe(0);
  const listed = await s.list();
  expect(listed.size).toBe(120);
  expect(listed.get(fp(3))).toBe('until:4102444800');
  // One page for the empty store before writing, three of 50, 50 and 20 after.
  expect(standIn.counts.list).toBe(1 + 3);
});

test('is idempotent: re-applying the same changes writes nothing; deletes of missing keys are skipped', async () => {
  const s = store();
  await s.apply({ put: [{ fingerprint: fp(1), value: 'active' }], delete: [] });
  const before = standIn.counts.update;
  await s.apply({ put: [{ fingerprint: fp(1), value: 'active' }], delete: [fp(99)] });
  expect(standIn.counts.update).toBe(before);
  await s.apply({ put: [], delete: [fp(1)] });
  expect(standIn.entries.size).toBe(0);
});

test('retries a stale ETag with a fresh one, and gives up in one line when the store keeps changing', async () => {
  const s = store({ maxAttempts: 3 });
  standIn.interleaveWrites(2);
  await s.apply({ put: [{ fingerprint: fp(7), value: 'active' }], delete: [] });
  expect(standIn.counts.conflicts).toBe(2);
  expect(standIn.entries.get(fp(7))).toBe('active');
  standIn.interleaveWrites(5);
  await expect(s.apply({ put: [{ fingerprint: fp(8), value: 'active' }], delete: [] })).rejects.toThrow(
    /^the edge key store kept changing underneath \(ETag conflict\) after 3 attempt\(s\).*re-run the command/,
  );
  expect(standIn.entries.has(fp(8))).toBe(false);
});

test('after a conflict, starts over from a fresh read: an entry another writer removed is put back', async () => {
  const s = store();
  await s.apply({ put: [{ fingerprint: fp(1), value: 'active' }], delete: [] });
  // The first round sees fp(1) already there and writes only fp(2); another writer deletes fp(1) first.
  standIn.interleaveWrites(1, (entries) => entries.delete(fp(1)));
  await s.apply({
    put: [
      { fingerprint: fp(1), value: 'active' },
      { fingerprint: fp(2), value: 'active' },
    ],
    delete: [],
  });
  expect(standIn.counts.conflicts).toBe(1);
  expect(Object.fromEntries(standIn.entries)).toEqual({ [fp(1)]: 'active', [fp(2)]: 'active' });
});

test('refuses a store over 5 MB before writing anything', async () => {
  const s = store();
  const big = 'x'.repeat(1000);
  const put = Array.from({ length: Math.ceil(KVS_LIMITS.storeBytes / 1016) + 1 }, (_, i) => ({ fingerprint: fp(i), value: big }));
  await expect(s.apply({ put, delete: [] })).rejects.toThrow(EdgeStoreError);
  await expect(s.apply({ put, delete: [] })).rejects.toThrow(/over CloudFront's 5000000-byte KeyValueStore limit: nothing was written/);
  expect(standIn.counts.update).toBe(0);
});

test('plans UpdateKeys calls of at most 50 entries, puts and deletes together', () => {
  const put = Array.from({ length: 101 }, (_, i) => ({ fingerprint: fp(i), value: 'active' }));
  const batches = planBatches({ put, delete: [fp(500)] });
  expect(batches.map((b) => b.put.length + b.delete.length)).toEqual([50, 50, 2]);
});

describe('a few changes read only their own keys, whatever the store holds', () => {
  beforeEach(() => {
    for (let i = 0; i < 10_000; i++) standIn.entries.set(fp(1_000_000 + i), 'active');
  });

  test('one create or revoke in a store of 10,000 keys: one GetKey per changed key, no listing', async () => {
    const s = store();
    await s.apply({ put: [{ fingerprint: fp(1), value: 'active' }], delete: [] });
    await s.apply({ put: [], delete: [fp(1_000_000), fp(2)] });
    expect(standIn.counts).toMatchObject({ list: 0, get: 3, update: 2 });
    expect(standIn.entries.has(fp(1))).toBe(true);
    expect(standIn.entries.has(fp(1_000_000))).toBe(false);
  });

  test(`more than ${POINT_READ_LIMIT} changed keys list the store instead`, async () => {
    const s = store();
    const put = Array.from({ length: POINT_READ_LIMIT + 1 }, (_, i) => ({ fingerprint: fp(i), value: 'active' }));
    await s.apply({ put, delete: [] });
    expect(standIn.counts.get).toBe(0);
    expect(standIn.counts.list).toBe(Math.ceil(10_000 / 50));
  });

  test('the 5 MB check counts the size the store reports plus the change, before writing anything', async () => {
    const big = 'x'.repeat(1000);
    // Just under 5 MB before (10,000 small entries and 1,016-byte ones), over it with 50 more.
    for (let i = 0; standIn.entries.size < 10_000 + Math.floor((KVS_LIMITS.storeBytes - 240_000) / 1016); i++) standIn.entries.set(fp(2_000_000 + i), big);
    const before = [...standIn.entries].reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(before).toBeLessThan(KVS_LIMITS.storeBytes);
    const s = store();
    const put = Array.from({ length: POINT_READ_LIMIT }, (_, i) => ({ fingerprint: fp(i), value: big }));
    await expect(s.apply({ put, delete: [] })).rejects.toThrow(/over CloudFront's 5000000-byte KeyValueStore limit: nothing was written/);
    expect(standIn.counts).toMatchObject({ list: 0, update: 0 });
  });
});
