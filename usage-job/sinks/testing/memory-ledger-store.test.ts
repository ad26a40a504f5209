import { describeLedgerStoreContract } from './ledger-store-contract';
import { MemoryLedgerStore } from './memory-ledger-store';

describeLedgerStoreContract('in-memory store', () => new MemoryLedgerStore());

it('an injected write failure writes nothing and counts no write', async () => {
  const store = new MemoryLedgerStore();
  store.failWrites = 1;
  await expect(store.write('alpha', '2026-11', { a: 1 }, undefined)).rejects.toThrow('write failed (injected)');
  await expect(store.read('alpha', '2026-11')).resolves.toBeUndefined();
  expect(store.writes).toBe(0);
});
