/**
 * The Marketplace sink on its sharded ledger: a kill while a checkpoint is being stored (some
 * shards written, others not) followed by a rerun bills every (customer, dimension, hour) once;
 * a run rewrites only the shards of customers whose records changed; the single-document format 1
 * is refused in one line.
 */
import { createMarketplaceSink } from './marketplace-sink';
import { readMarketplaceRecords, type StoredCustomer } from './ledger';
import { FakeMarketplace } from './testing/fake-marketplace';
import type { BatchMeterUsageRequest, MeteringApi } from './metering-api';
import { CrashError, MemoryLedgerStore } from '../testing/memory-ledger-store';
import { DEFAULT_SHARDS, shardOf } from '../sharded-ledger';
import { CONFIG, account, figures, licensed, license, runInput } from './testing/scenario';
import type { CustomerHourFigures } from '../sink';

const GB = 1_000_000_000;
const customers = Array.from({ length: 20 }, (_, i) => licensed(`c${i}`, i));
const shardsOf = (ids: readonly string[]) => new Set(ids.map((id) => shardOf(id, DEFAULT_SHARDS))).size;

function setup() {
  const fake = new FakeMarketplace({ now: new Date('2026-11-03T12:10:00Z') });
  customers.forEach((c, i) => fake.subscribeLicense(account(i), license(i)));
  /** Every record that reached the fake, as `customer dimension hour` → quantities sent. */
  const arrivals = new Map<string, number[]>();
  const api: MeteringApi = {
    batchMeterUsage: async (request: BatchMeterUsageRequest) => {
      for (const r of request.UsageRecords ?? []) {
        const key = `${r.LicenseArn} ${r.Dimension} ${r.Timestamp?.toISOString()}`;
        arrivals.set(key, [...(arrivals.get(key) ?? []), r.Quantity ?? 0]);
      }
      return fake.batchMeterUsage(request);
    },
  };
  const ledger = new MemoryLedgerStore();
  const sink = createMarketplaceSink({ config: CONFIG, ledger, api, sleep: async () => {} });
  const run = (at: string, hours: readonly CustomerHourFigures[]) => {
    fake.now = new Date(at);
    return sink.export(runInput(at, hours, customers));
  };
  return { fake, ledger, sink, run, arrivals };
}

const hoursOf = (hour: string, k: number) => customers.map((c, i) => figures(c.id, hour, 10 + i + k, (1 + i) * GB));

function expectBilledOnce(t: ReturnType<typeof setup>, hours: readonly CustomerHourFigures[]): void {
  // Each (customer, dimension, hour) accepted once; any second arrival is the identical record.
  expect([...t.arrivals.values()].filter((q) => new Set(q).size > 1)).toEqual([]);
  expect(t.fake.calls.filter((c) => c.outcome !== 'ok')).toEqual([]);
  expect(t.fake.accepted.size).toBe(t.arrivals.size);
  customers.forEach((c, i) => {
    const own = hours.filter((f) => f.customerId === c.id);
    expect(t.fake.totals().get(`${account(i)} ${license(i)} requests`)).toBe(own.reduce((s, f) => s + f.requests, 0));
    expect(t.fake.totals().get(`${account(i)} ${license(i)} gb_out`)).toBe(Math.floor(own.reduce((s, f) => s + f.bytesOut, 0) / GB));
  });
}

describe('Marketplace sink, sharded ledger', () => {
  it('killed while storing the intents (some shards written, none sent): the rerun resends the stored ones and plans the rest, each record once', async () => {
    const t = setup();
    const first = hoursOf('2026-11-03T09', 0);
    t.ledger.crashOnWrite(4, '/shard-');
    await expect(t.run('2026-11-03T12:10:00Z', first)).rejects.toThrow(CrashError);
    expect(t.fake.calls).toEqual([]);
    const stored = await readMarketplaceRecords(t.ledger, 'marketplace', 'dev', '2026-11');
    const withIntents = new Set(Object.values(stored.entries).map((e) => e.customerId));
    expect(shardsOf([...withIntents])).toBe(3);
    expect(withIntents.size).toBeLessThan(customers.length);
    t.ledger.crashOnWrite(0);
    const hours = [...first, ...hoursOf('2026-11-03T10', 1)];
    const report = await t.run('2026-11-03T13:10:00Z', hours);
    expect(report).toMatchObject({ outcome: 'ok', problems: [] });
    expect([...t.arrivals.values()].every((q) => q.length === 1)).toBe(true);
    expectBilledOnce(t, hours);
  });

  it('killed while storing the answers (some shards written, others still at their intents): the rerun resends those intents identically, each record accepted once', async () => {
    const t = setup();
    const first = hoursOf('2026-11-03T09', 0);
    const intentShards = shardsOf(customers.map((c) => c.id));
    t.ledger.crashOnWrite(intentShards + 3, '/shard-');
    await expect(t.run('2026-11-03T12:10:00Z', first)).rejects.toThrow(CrashError);
    expect(t.fake.accepted.size).toBe(2 * customers.length);
    const states = Object.values((await readMarketplaceRecords(t.ledger, 'marketplace', 'dev', '2026-11')).entries).map(
      (e) => e.records['2026-11-03T09']?.state,
    );
    expect(new Set(states)).toEqual(new Set(['success', 'intent']));
    t.ledger.crashOnWrite(0);
    const hours = [...first, ...hoursOf('2026-11-03T10', 1)];
    const report = await t.run('2026-11-03T13:10:00Z', hours);
    expect(report).toMatchObject({ outcome: 'ok', problems: [] });
    expect([...t.arrivals.values()].some((q) => q.length === 2)).toBe(true);
    expectBilledOnce(t, hours);
    const after = await readMarketplaceRecords(t.ledger, 'marketplace', 'dev', '2026-11');
    expect(
      Object.values(after.entries)
        .flatMap((e) => Object.values(e.records))
        .filter((r) => r.state !== 'success'),
    ).toEqual([]);
  });

  it('rewrites only the shards of customers whose records changed', async () => {
    const t = setup();
    const first = hoursOf('2026-11-03T09', 0);
    await t.run('2026-11-03T12:10:00Z', first);
    const writes = t.ledger.writes;
    // One customer has usage in hour 10: its shard is written twice (intents, answers), nothing else.
    await t.run('2026-11-03T13:10:00Z', [...first, figures('c3', '2026-11-03T10', 5)]);
    expect(t.ledger.writes - writes).toBe(2);
    expect((await readMarketplaceRecords(t.ledger, 'marketplace', 'dev', '2026-11')).entries['c3 requests']?.records['2026-11-03T10']).toMatchObject({
      quantity: 5,
      state: 'success',
    });
  });

  describe('sealing closed days', () => {
    const first = [...hoursOf('2026-11-03T09', 0), ...hoursOf('2026-11-03T10', 1)];
    const sealedParts = (t: ReturnType<typeof setup>) => t.ledger.locations().filter((l) => l.includes('/sealed-'));
    const read = (t: ReturnType<typeof setup>) => readMarketplaceRecords(t.ledger, 'marketplace', 'dev', '2026-11');

    it("writes a closed day's records once to its sealed parts and keeps only states and quantities in the shards; every field still reads back", async () => {
      const t = setup();
      await t.run('2026-11-03T13:10:00Z', first);
      const before = await read(t);
      expect(sealedParts(t)).toEqual([]);
      // 04T12:10: every hour of the 3rd is past the 6-hour window.
      await t.run('2026-11-04T12:10:00Z', first);
      expect(sealedParts(t)).toHaveLength(shardsOf(customers.map((c) => c.id)));
      expect(sealedParts(t).every((l) => /\/sealed-03-shard-\d{3}\.json$/.test(l))).toBe(true);
      const head = await t.ledger.read<{ head: { sealedDays?: number } }>('marketplace', '2026-11');
      expect(head?.body.head.sealedDays).toBe(3);
      const shard = await t.ledger.read<{ customers: Record<string, StoredCustomer> }>(
        'marketplace',
        '2026-11',
        `shard-${String(shardOf('c0', DEFAULT_SHARDS)).padStart(3, '0')}`,
      );
      expect(shard?.body.customers.c0?.requests).toMatchObject({
        states: expect.stringMatching(/SS$/),
        quantities: [10, 11],
        detailFrom: 72,
        meteringRecordIds: [],
      });
      expect(await read(t)).toEqual(before);
      expect(Object.values(before.entries).every((e) => Object.values(e.records).every((r) => r.meteringRecordId !== undefined))).toBe(true);
    });

    it('killed while writing the sealed parts: the rerun writes the same parts again and goes on', async () => {
      const t = setup();
      await t.run('2026-11-03T13:10:00Z', first);
      const before = await read(t);
      t.ledger.crashOnWrite(3, '/sealed-');
      await expect(t.run('2026-11-04T12:10:00Z', first)).rejects.toThrow(CrashError);
      expect(sealedParts(t)).toHaveLength(2);
      t.ledger.crashOnWrite(0);
      await expect(t.run('2026-11-04T13:10:00Z', first)).resolves.toMatchObject({ outcome: 'ok', problems: [] });
      expect(sealedParts(t)).toHaveLength(shardsOf(customers.map((c) => c.id)));
      expect(await read(t)).toEqual(before);
      expectBilledOnce(t, first);
    });

    it('killed while the shards drop the sealed details (some written, the head not yet): reads whole, and the rerun drops the rest and moves the head on', async () => {
      const t = setup();
      await t.run('2026-11-03T13:10:00Z', first);
      const before = await read(t);
      t.ledger.crashOnWrite(3, '/shard-');
      await expect(t.run('2026-11-04T12:10:00Z', first)).rejects.toThrow(CrashError);
      expect((await t.ledger.read<{ head: { sealedDays?: number } }>('marketplace', '2026-11'))?.body.head.sealedDays).toBe(2);
      expect(await read(t)).toEqual(before);
      t.ledger.crashOnWrite(0);
      const writes = t.ledger.writes;
      await t.run('2026-11-04T13:10:00Z', first);
      expect(t.ledger.writes - writes).toBe(shardsOf(customers.map((c) => c.id)) - 2 + 1);
      expect((await t.ledger.read<{ head: { sealedDays?: number } }>('marketplace', '2026-11'))?.body.head.sealedDays).toBe(3);
      expect(await read(t)).toEqual(before);
    });

    it('stops the run when a sealed part already holds other records', async () => {
      const t = setup();
      await t.run('2026-11-03T13:10:00Z', first);
      const part = `sealed-03-shard-${String(shardOf('c0', DEFAULT_SHARDS)).padStart(3, '0')}`;
      await t.ledger.write('marketplace', '2026-11', { format: 'marketplace-ledger/2', customers: {} }, undefined, part);
      await expect(t.run('2026-11-04T12:10:00Z', first)).rejects.toThrow(
        /^marketplace ledger memory:\/\/test\/marketplace\/2026-11.json changed underneath this run \(another run\?\); nothing more was sent: .*sealed-03-shard-\d{3}.json already holds other records of that day/,
      );
    });
  });

  it('writes no ledger for a month with nothing to send', async () => {
    const t = setup();
    const stripeOnly = [{ ...licensed('initech', 1), billing: { stripeCustomerId: 'cus_1' } }];
    await t.sink.export(runInput('2026-11-04T12:10:00Z', [figures('initech', '2026-11-03T09', 4)], stripeOnly));
    expect(t.ledger.locations()).toEqual([]);
  });

  it('refuses a ledger of the single-document format 1 in one line', async () => {
    const t = setup();
    await t.ledger.write('marketplace', '2026-11', { format: 1, environment: 'dev', month: '2026-11', entries: {} }, undefined);
    await expect(t.run('2026-11-03T12:10:00Z', hoursOf('2026-11-03T09', 0))).rejects.toThrow(
      /^memory:\/\/test\/marketplace\/2026-11.json is ledger format 1, this version reads marketplace-ledger\/2: run the version that wrote it/,
    );
    expect(t.fake.calls).toEqual([]);
  });
});
