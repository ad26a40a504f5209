import { LedgerConflictError } from './sink';
import { DEFAULT_SHARDS, ShardedLedger, shardName, shardOf, type ShardedLedgerSpec } from './sharded-ledger';
import { MemoryLedgerStore } from './testing/memory-ledger-store';

interface Head {
  note?: string;
}
type Customer = { total: number };

const spec = (store: MemoryLedgerStore, over: Partial<ShardedLedgerSpec<Head>> = {}): ShardedLedgerSpec<Head> => ({
  store,
  sink: 'alpha',
  environment: 'dev',
  month: '2026-11',
  format: 'alpha-ledger/1',
  emptyHead: () => ({}),
  ...over,
});
const read = (store: MemoryLedgerStore, over: Partial<ShardedLedgerSpec<Head>> = {}) => ShardedLedger.read<Head, Customer>(spec(store, over));
/** Customer ids that land in distinct shards of `shards`. */
function idsInDistinctShards(count: number, shards = DEFAULT_SHARDS): string[] {
  const seen = new Map<number, string>();
  for (let i = 0; seen.size < count; i++) if (!seen.has(shardOf(`c${i}`, shards))) seen.set(shardOf(`c${i}`, shards), `c${i}`);
  return [...seen.values()];
}

it('reads an empty month, then creates the head before the shards and reads back the same customers', async () => {
  const store = new MemoryLedgerStore();
  const ledger = await read(store);
  expect(ledger.stored).toBe(false);
  const ids = idsInDistinctShards(3);
  ids.forEach((id, i) => {
    ledger.customers[id] = { total: i + 1 };
    ledger.touch(id);
  });
  const order: string[] = [];
  const write = store.write.bind(store);
  store.write = (sink, month, body, expected, part) => {
    order.push(part ?? 'head');
    return write(sink, month, body, expected, part);
  };
  await ledger.write();
  expect(order[0]).toBe('head');
  expect(order).toHaveLength(4);
  expect(store.locations()).toEqual(
    ['memory://test/alpha/2026-11.json', ...ids.map((id) => `memory://test/alpha/2026-11/${shardName(shardOf(id, DEFAULT_SHARDS))}.json`)].sort(),
  );
  const again = await read(store);
  expect(again.stored).toBe(true);
  expect(again.customers).toEqual(ledger.customers);
  expect(again.shards).toBe(DEFAULT_SHARDS);
});

it('rewrites only the shards that changed, and the head only when it changed', async () => {
  const store = new MemoryLedgerStore();
  const [a, b] = idsInDistinctShards(2);
  const ledger = await read(store);
  ledger.customers[a] = { total: 1 };
  ledger.customers[b] = { total: 1 };
  ledger.touch(a);
  ledger.touch(b);
  await ledger.write();
  const before = store.writes;
  ledger.customers[a].total = 2;
  ledger.touch(a);
  await ledger.write();
  expect(store.writes - before).toBe(1);
  ledger.head.note = 'reconciled';
  ledger.touchHead();
  await ledger.write();
  expect(store.writes - before).toBe(2);
  expect((await ShardedLedger.readHead(spec(store)))?.note).toBe('reconciled');
  expect((await read(store)).customers).toEqual({ [a]: { total: 2 }, [b]: { total: 1 } });
});

it('keeps the shard count the month was written with', async () => {
  const store = new MemoryLedgerStore();
  const ledger = await read(store, { shards: 4 });
  ledger.customers.acme = { total: 1 };
  ledger.touch('acme');
  await ledger.write();
  const again = await read(store, { shards: 64 });
  expect(again.shards).toBe(4);
  expect(again.customers).toEqual({ acme: { total: 1 } });
});

it('a second run that read before the first wrote conflicts on the shard both changed, and writes nothing there', async () => {
  const store = new MemoryLedgerStore();
  const first = await read(store);
  first.customers.acme = { total: 1 };
  first.touch('acme');
  await first.write();
  const one = await read(store);
  const two = await read(store);
  one.customers.acme.total = 5;
  one.touch('acme');
  await one.write();
  two.customers.acme.total = 7;
  two.touch('acme');
  await expect(two.write()).rejects.toBeInstanceOf(LedgerConflictError);
  expect((await read(store)).customers.acme.total).toBe(5);
});

it('after a failed write the shard stays changed, and the next write stores it', async () => {
  const store = new MemoryLedgerStore();
  const ledger = await read(store);
  ledger.customers.acme = { total: 1 };
  ledger.touch('acme');
  await ledger.write();
  ledger.customers.acme.total = 2;
  ledger.touch('acme');
  store.failWrites = 1;
  await expect(ledger.write()).rejects.toThrow('write failed (injected)');
  expect(ledger.dirtyShards).toBe(1);
  await ledger.write();
  expect((await read(store)).customers.acme.total).toBe(2);
});

it('refuses a ledger of another format, environment or month, and a customer in the wrong shard, in one line naming the document', async () => {
  const store = new MemoryLedgerStore();
  await store.write('alpha', '2026-11', { format: 'alpha-ledger/0', environment: 'dev', month: '2026-11', shards: 4, head: {} }, undefined);
  await expect(read(store)).rejects.toThrow(
    'memory://test/alpha/2026-11.json is ledger format "alpha-ledger/0", this version reads alpha-ledger/1: run the version that wrote it (usage.yml runs the deployed commit), and never move a ledger aside',
  );
  await expect(read(store, { format: 'alpha-ledger/0', environment: 'prod' })).rejects.toThrow(
    'memory://test/alpha/2026-11.json is the ledger of dev 2026-11, not of prod 2026-11',
  );
  const other = new MemoryLedgerStore();
  await other.write('alpha', '2026-11', { format: 'alpha-ledger/1', environment: 'dev', month: '2026-11', shards: 4, head: {} }, undefined);
  const wrong = (shardOf('acme', 4) + 1) % 4;
  await other.write(
    'alpha',
    '2026-11',
    { format: 'alpha-ledger/1', environment: 'dev', month: '2026-11', shard: wrong, customers: { acme: { total: 1 } } },
    undefined,
    shardName(wrong),
  );
  await expect(read(other)).rejects.toThrow(`holds customer acme, which belongs in ${shardName(shardOf('acme', 4))}`);
});

it('after the head exists, a checkpoint writes the changed shards first and the head last', async () => {
  const store = new MemoryLedgerStore();
  const ledger = await read(store);
  ledger.customers.acme = { total: 1 };
  ledger.touch('acme');
  await ledger.write();
  const order: string[] = [];
  const write = store.write.bind(store);
  store.write = (sink, month, body, expected, part) => {
    order.push(part ?? 'head');
    return write(sink, month, body, expected, part);
  };
  ledger.customers.acme.total = 2;
  ledger.touch('acme');
  ledger.head.note = 'changed';
  ledger.touchHead();
  await ledger.write();
  expect(order).toEqual([shardName(shardOf('acme', DEFAULT_SHARDS)), 'head']);
});

it('a kill after the head was created and before its first shard leaves an empty month with its head', async () => {
  const store = new MemoryLedgerStore();
  const ledger = await read(store);
  ledger.customers.acme = { total: 1 };
  ledger.touch('acme');
  store.crashOnWrite(1, '/shard-');
  await expect(ledger.write()).rejects.toThrow('simulated crash');
  store.crashOnWrite(0);
  const again = await read(store);
  expect(again.stored).toBe(true);
  expect(again.customers).toEqual({});
});

it('refuses shards whose head is gone, naming the shard and what to restore', async () => {
  const store = new MemoryLedgerStore();
  await store.write('alpha', '2026-11', { format: 'alpha-ledger/1', environment: 'dev', month: '2026-11', shard: 9, customers: {} }, undefined, shardName(9));
  await expect(read(store)).rejects.toThrow(
    "memory://test/alpha/2026-11/shard-009.json exists but its ledger head memory://test/alpha/2026-11.json does not: restore the head from the object's version history",
  );
});
