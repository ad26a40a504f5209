import { describeLedgerStoreContract } from './ledger-store-contract';
import { CrashError, MemoryLedgerStore } from './memory-ledger-store';

describeLedgerStoreContract('in-memory store', () => new MemoryLedgerStore());

it('an injected write failure writes nothing and counts no write', async () => {
  const store = new MemoryLedgerStore();
  store.failWrites = 1;
  await expect(store.write('alpha', '2026-11', { a: 1 }, undefined)).rejects.toThrow('write failed (injected)');
  await expect(store.read('alpha', '2026-11')).resolves.toBeUndefined();
  expect(store.writes).toBe(0);
  expect(store.bytesWritten).toBe(0);
});

it('a crash on the n-th matching write stores nothing from then on, until revived', async () => {
  const store = new MemoryLedgerStore();
  store.crashOnWrite(2, '/shard-');
  await store.write('alpha', '2026-11', { head: 1 }, undefined);
  await store.write('alpha', '2026-11', { a: 1 }, undefined, 'shard-000');
  await expect(store.write('alpha', '2026-11', { b: 1 }, undefined, 'shard-001')).rejects.toThrow(CrashError);
  await expect(store.write('alpha', '2026-11', { c: 1 }, undefined, 'shard-002')).rejects.toThrow(CrashError);
  expect(store.locations()).toEqual(['memory://test/alpha/2026-11.json', 'memory://test/alpha/2026-11/shard-000.json']);
  store.crashOnWrite(0);
  await store.write('alpha', '2026-11', { c: 1 }, undefined, 'shard-002');
  expect(store.sizeBytes('alpha', '2026-11')).toBe('{"head":1}{"a":1}{"c":1}'.length);
  expect(store.bytesWritten).toBe('{"head":1}{"a":1}{"c":1}'.length);
});
