/**
 * Checkpoints rewrite only the ledger shards under way: customers are sent in shard order, so a
 * checkpoint during the sends finds one or two shards changed, not every shard of the month.
 */
import { DEFAULT_SHARDS, shardOf } from '../sharded-ledger';
import { at, customer, stripeScenario, type StripeScenario } from './testing/scenario';

let s: StripeScenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** `perShard` customer ids in each of `shards` distinct shards, sorted by id (so id order interleaves the shards). */
function customersInShards(shards: number, perShard: number): string[] {
  const byShard = new Map<number, string[]>();
  for (let i = 0; byShard.size < shards || [...byShard.values()].some((ids) => ids.length < perShard); i++) {
    const id = `c${String(i).padStart(3, '0')}`;
    const own = byShard.get(shardOf(id, DEFAULT_SHARDS));
    if (own === undefined) {
      if (byShard.size < shards) byShard.set(shardOf(id, DEFAULT_SHARDS), [id]);
    } else if (own.length < perShard) own.push(id);
  }
  return [...byShard.values()].flat().sort();
}

test('sending 16 customers of 4 shards, one call at a time, with a checkpoint every 4 customers writes each shard twice: the intents, then once when sent', async () => {
  const ids = customersInShards(4, 4);
  expect(new Set(ids.map((id) => shardOf(id, DEFAULT_SHARDS))).size).toBe(4);
  // in id order the shards interleave: a checkpoint every 4 customers would find several shards changed
  expect(new Set(ids.slice(0, 4).map((id) => shardOf(id, DEFAULT_SHARDS))).size).toBeGreaterThan(1);
  s = await stripeScenario({ customers: ids.map((id) => customer(id)), sink: { concurrency: 1, checkpointEvery: 8 } });
  const hour = '2026-11-03T04';
  const shardWrites: string[] = [];
  const write = s.store.write.bind(s.store);
  s.store.write = (sink, month, body, expected, part) => {
    if (part !== undefined) shardWrites.push(part);
    return write(sink, month, body, expected, part);
  };
  const report = await s.run(
    at('2026-11-03T05:10:00Z'),
    ids.map((customerId) => ({ customerId, hour, requests: 10, bytesOut: 1000 })),
  );
  expect(report).toMatchObject({ outcome: 'ok', sent: 32 });
  expect(shardWrites).toHaveLength(8);
  expect(new Set(shardWrites.slice(4)).size).toBe(4);
});
