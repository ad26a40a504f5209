import { createMarketplaceSink, type MarketplaceSinkOptions } from './marketplace-sink';
import { readMarketplaceRecords } from './ledger';
import { FakeMarketplace } from './testing/fake-marketplace';
import { MemoryLedgerStore } from '../testing/memory-ledger-store';
import { CONFIG, account, figures, licensed, license, restate, runInput } from './testing/scenario';
import { LedgerConflictError, type CustomerHourFigures } from '../sink';

const GB = 1_000_000_000;

function setup(now: string, options: Partial<MarketplaceSinkOptions> = {}) {
  const fake = new FakeMarketplace({ now: new Date(now) });
  const ledger = new MemoryLedgerStore();
  const sleeps: number[] = [];
  const sink = createMarketplaceSink({
    config: CONFIG,
    ledger,
    api: fake,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  const run = async (at: string, hours: readonly CustomerHourFigures[], customers = [licensed('acme', 1)], dryRun = false) => {
    fake.now = new Date(at);
    return sink.export(runInput(at, hours, customers, dryRun));
  };
  const read = () => readMarketplaceRecords(ledger, 'marketplace', 'dev', '2026-11');
  return { fake, ledger, sink, run, read, sleeps };
}

const acceptedAt = (fake: FakeMarketplace) =>
  [...fake.accepted.values()]
    .map((r) => [new Date(r.timestamp).toISOString().slice(0, 13), r.dimension, r.quantity])
    .sort((a, b) => String(a).localeCompare(String(b)));

describe('Marketplace sink', () => {
  it('sends one record per customer, dimension and hour, timestamped at the hour, once the hour is ready', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const hours = [figures('acme', '2026-11-03T09', 40, 2 * GB), figures('acme', '2026-11-03T10', 7, GB / 2), figures('acme', '2026-11-03T11', 5)];
    const report = await t.run('2026-11-03T12:10:00Z', hours);
    // 11 is not ready (2 hours after its start); 09 and 10 are; bytes: 2 GB at 09, 0.5 GB at 10 stays as a remainder (not a unit yet, so not unreported).
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-03T09', 'gb_out', 2],
      ['2026-11-03T09', 'requests', 40],
      ['2026-11-03T10', 'requests', 7],
    ]);
    expect(report).toMatchObject({ sink: 'marketplace', outcome: 'ok', sent: 3, problems: [], oldestUnreportedHour: '2026-11-03T11' });
    const again = await t.run('2026-11-03T12:20:00Z', hours);
    // 09 and 10 were reported whole (10's half GB is not a unit yet); 11 waits.
    expect(again).toMatchObject({ sent: 0, unchanged: 2 });
    expect(t.fake.calls).toHaveLength(1);
  });

  it('carries the bytes remainder forward so nothing is lost or billed twice', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const hours = [0.6, 0.6, 0.6, 0.6, 0.6].map((gb, i) => figures('acme', `2026-11-03T0${i}`, 1, gb * GB));
    for (let h = 2; h <= 7; h++) await t.run(`2026-11-03T0${h}:10:00Z`, hours.slice(0, h - 1));
    expect(acceptedAt(t.fake).filter(([, d]) => d === 'gb_out')).toEqual([
      ['2026-11-03T01', 'gb_out', 1],
      ['2026-11-03T03', 'gb_out', 1],
      ['2026-11-03T04', 'gb_out', 1],
    ]);
    const entry = (await t.read()).entries['acme bytesOut'];
    expect(entry?.records['2026-11-03T01']).toEqual({ quantity: 1, state: 'success', meteringRecordId: expect.any(String) });
  });

  it('never puts more than 25 records in a call (the fake refuses 26)', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    const customers = Array.from({ length: 30 }, (_, i) => licensed(`c${i}`, i));
    customers.forEach((c, i) => t.fake.subscribeLicense(account(i), license(i)));
    const hours = customers.map((c) => figures(c.id, '2026-11-03T09', 3, GB));
    const report = await t.run('2026-11-03T12:10:00Z', hours, customers);
    expect(report).toMatchObject({ outcome: 'ok', sent: 60 });
    expect(t.fake.calls.map((c) => c.records)).toEqual([25, 25, 10]);
  });

  it('adds late logs (20 hours after the hour was exported) to the next open hour and says so in the ledger', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    let hours = [figures('acme', '2026-11-03T09', 100)];
    await t.run('2026-11-03T12:10:00Z', hours);
    hours = restate(hours, figures('acme', '2026-11-03T09', 130));
    hours = [...hours, figures('acme', '2026-11-04T03', 10)];
    const report = await t.run('2026-11-04T06:10:00Z', hours);
    expect(acceptedAt(t.fake).filter(([, d]) => d === 'requests')).toEqual([
      ['2026-11-03T09', 'requests', 100],
      ['2026-11-04T02', 'requests', 30],
      ['2026-11-04T03', 'requests', 10],
    ]);
    expect(report.problems).toEqual([]);
    const records = (await t.read()).entries['acme requests']?.records;
    // 04T01 is open too, but closes before the next hourly run could resend a record after a crash.
    expect(records?.['2026-11-04T02']).toMatchObject({ quantity: 30, lateUnits: 30, lateFrom: ['2026-11-03T09'] });
    expect([...t.fake.totals().values()]).toEqual([140]);
  });

  it('gives late units to an open hour before a recorded one only as far as that leaves no later hour billed ahead of its usage', async () => {
    const t = setup('2026-11-03T11:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    // 08: no request and 0.9 GB, so no record of either; 09: 1 request and 1.5 GB through it, a record of each.
    let hours = [figures('acme', '2026-11-03T08', 0, 0.9 * GB), figures('acme', '2026-11-03T09', 1, 0.6 * GB)];
    await t.run('2026-11-03T11:10:00Z', hours);
    // Late logs of 07 (no longer open) while 08 still is: 3 requests and 0.2 GB, so 1.7 GB in all, still 1 unit.
    hours = [...hours, figures('acme', '2026-11-03T07', 3, 0.2 * GB)];
    const report = await t.run('2026-11-03T12:10:00Z', hours);
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-03T08', 'requests', 3], // through 09: 4 sent, 4 owed
      ['2026-11-03T09', 'gb_out', 1], // a unit at 08 would make 2 through 09, where 1 is owed
      ['2026-11-03T09', 'requests', 1],
    ]);
    expect(report.problems).toEqual([]);
  });

  it('folds the hours of a 30-hour outage whose window closed into the oldest open hour', async () => {
    const t = setup('2026-11-02T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const hours = Array.from({ length: 30 }, (_, i) => {
      const at = new Date(Date.parse('2026-11-02T12:00:00Z') + i * 3_600_000).toISOString().slice(0, 13);
      return figures('acme', at, 10);
    });
    t.fake.setDown(true);
    const down = await t.run('2026-11-02T16:10:00Z', hours.slice(0, 3), undefined);
    expect(down.outcome).toBe('failed');
    expect(t.fake.accepted.size).toBe(0);
    t.fake.setDown(false);
    // 30 hours later (connections were refused, so nothing was recorded): every closed hour folds into the
    // oldest open one that stays open for the next hourly run.
    const report = await t.run('2026-11-03T18:10:00Z', hours);
    expect(report.problems).toEqual([]);
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-03T14', 'requests', 270],
      ['2026-11-03T15', 'requests', 10],
      ['2026-11-03T16', 'requests', 10],
    ]);
  });

  it('after a crash between the send and the ledger write, resends the same records: Success again, nothing twice', async () => {
    let crash = true;
    const t = setup('2026-11-03T12:10:00Z', {
      beforeAnswersWritten: async () => {
        if (crash) throw new Error('killed');
      },
    });
    t.fake.subscribeLicense(account(1), license(1));
    const hours = [figures('acme', '2026-11-03T09', 40, 3 * GB)];
    await expect(t.run('2026-11-03T12:10:00Z', hours)).rejects.toThrow('killed');
    expect((await t.read()).entries['acme requests']?.records['2026-11-03T09']?.state).toBe('intent');
    crash = false;
    const report = await t.run('2026-11-03T13:10:00Z', [...hours, figures('acme', '2026-11-03T10', 5)]);
    expect(report).toMatchObject({ outcome: 'ok', problems: [] });
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-03T09', 'gb_out', 3],
      ['2026-11-03T09', 'requests', 40],
      ['2026-11-03T10', 'requests', 5],
    ]);
    expect(t.fake.calls.map((c) => c.outcome)).toEqual(['ok', 'ok']);
    expect((await t.read()).entries['acme requests']?.records['2026-11-03T09']).toMatchObject({ state: 'success', meteringRecordId: 'mr-1' });
  });

  it('names a customer not subscribed and still exports every other customer', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const customers = [licensed('acme', 1), licensed('globex', 2), { ...licensed('stripe-only', 3), billing: { stripeCustomerId: 'cus_1' } }];
    const hours = [figures('acme', '2026-11-03T09', 4), figures('globex', '2026-11-03T09', 6), figures('stripe-only', '2026-11-03T09', 9)];
    const report = await t.run('2026-11-03T12:10:00Z', hours, customers);
    expect(report.outcome).toBe('partial');
    expect(report.problems).toEqual([
      expect.objectContaining({ customerId: 'globex', hour: '2026-11-03T09', message: expect.stringMatching(/CustomerNotSubscribed/) }),
    ]);
    expect(acceptedAt(t.fake)).toEqual([['2026-11-03T09', 'requests', 4]]);
    // Subscribed later: its units carry to its next open hour.
    t.fake.subscribeLicense(account(2), license(2));
    await t.run('2026-11-03T13:10:00Z', hours, customers);
    expect(t.fake.totals().get(`${account(2)} ${license(2)} requests`)).toBe(6);
  });

  it('one channel per customer: a Stripe customer is not its own and no problem; no billing id, or both, is a problem', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const customers = [
      licensed('acme', 1),
      { ...licensed('stripe-only', 3), billing: { stripeCustomerId: 'cus_1' } },
      { ...licensed('none', 4), billing: {} },
      { ...licensed('both', 5), billing: { ...licensed('both', 5).billing, stripeCustomerId: 'cus_5' } },
    ];
    const hours = ['acme', 'stripe-only', 'none', 'both'].map((id) => figures(id, '2026-11-03T09', 4));
    const report = await t.run('2026-11-03T12:10:00Z', hours, customers);
    expect(report.problems).toEqual([
      { customerId: 'both', message: expect.stringContaining('has both a stripeCustomerId and AWS Marketplace ids') },
      { customerId: 'none', message: expect.stringContaining('has no billing id in the key registry') },
    ]);
    expect(acceptedAt(t.fake)).toEqual([['2026-11-03T09', 'requests', 4]]);
    expect(t.fake.calls.map((c) => c.records)).toEqual([1]);
  });

  it('retries throttling and UnprocessedRecords with capped exponential backoff and jitter', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    t.fake.throttleNext(3);
    t.fake.unprocessNext(1);
    const report = await t.run('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)]);
    expect(report).toMatchObject({ outcome: 'ok', sent: 1 });
    expect(t.fake.calls.map((c) => c.outcome)).toEqual(['ThrottlingException', 'ThrottlingException', 'ThrottlingException', 'unprocessed', 'ok']);
    // random() = 0.5 of a cap that doubles from 200 ms
    expect(t.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('leaves a record it never got an answer for as an intent and resends it next run', async () => {
    const t = setup('2026-11-03T12:10:00Z', { maxAttempts: 2 });
    t.fake.subscribeLicense(account(1), license(1));
    t.fake.throttleNext(2);
    const first = await t.run('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)]);
    expect(first.problems.map((p) => p.message)).toEqual([expect.stringMatching(/was not processed \(ThrottlingException.*planned again next run/)]);
    expect((await t.read()).entries['acme requests']?.records).toEqual({});
    await t.run('2026-11-03T13:10:00Z', [figures('acme', '2026-11-03T09', 9)]);
    // Nothing was recorded, so 09 was still free: all 9 went there.
    expect(acceptedAt(t.fake)).toEqual([['2026-11-03T09', 'requests', 9]]);
  });

  it('keeps an intent whose call may have been processed (a timeout), resends it unchanged, and counts it once its hour closes', async () => {
    const fake = new FakeMarketplace({ now: new Date('2026-11-03T12:10:00Z') });
    fake.subscribeLicense(account(1), license(1));
    let timeouts = 0;
    const api = {
      batchMeterUsage: async (request: Parameters<FakeMarketplace['batchMeterUsage']>[0]) => {
        if (timeouts-- > 0) {
          await fake.batchMeterUsage(request); // recorded, but the answer is lost
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
        }
        return fake.batchMeterUsage(request);
      },
    };
    const ledger = new MemoryLedgerStore();
    const sink = createMarketplaceSink({ config: CONFIG, ledger, api, maxAttempts: 2, sleep: async () => {} });
    timeouts = 2;
    const first = await sink.export(runInput('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)], [licensed('acme', 1)]));
    expect(first.problems.map((p) => p.message)).toEqual([expect.stringMatching(/no answer .*TimeoutError.*resent unchanged/)]);
    fake.now = new Date('2026-11-03T13:10:00Z');
    const second = await sink.export(runInput('2026-11-03T13:10:00Z', [figures('acme', '2026-11-03T09', 9)], [licensed('acme', 1)]));
    expect(second.problems).toEqual([]);
    expect(acceptedAt(fake)).toEqual([
      ['2026-11-03T09', 'requests', 4],
      ['2026-11-03T10', 'requests', 5],
    ]);
    expect(fake.calls.map((c) => c.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  it("names units that arrive after the month's last hour closed, which the Marketplace can no longer take", async () => {
    const t = setup('2026-11-30T23:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    let hours = [figures('acme', '2026-11-30T21', 10)];
    await t.run('2026-11-30T23:10:00Z', hours);
    hours = restate(hours, figures('acme', '2026-11-30T21', 12));
    // 03:10 on the 1st: 23:00 of the 30th is the oldest hour open for new records, and takes the 2 late units.
    await t.run('2026-12-01T03:10:00Z', hours);
    hours = restate(hours, figures('acme', '2026-11-30T21', 15));
    const late = await t.run('2026-12-01T09:10:00Z', hours);
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-30T21', 'requests', 10],
      ['2026-11-30T23', 'requests', 2],
    ]);
    expect(late).toMatchObject({ outcome: 'partial', oldestUnreportedHour: '2026-11-30T21' });
    expect(late.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^requests: 3 units of 2026-11 arrived after the month's last hour closed/)]);
  });

  it('caps a record at the largest Quantity the API takes and carries the rest to the next open hour', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    await t.run('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T08', 3_000_000_000)]);
    expect(acceptedAt(t.fake)).toEqual([
      ['2026-11-03T08', 'requests', 2_147_483_647],
      ['2026-11-03T09', 'requests', 852_516_353],
    ]);
  });

  it("keeps each record's buyer ids: a license changed mid-month applies to new records, a resent intent keeps the old ones", async () => {
    const t = setup('2026-11-03T12:10:00Z', { maxAttempts: 1 });
    t.fake.subscribeLicense(account(1), license(1));
    t.fake.subscribeLicense(account(1), license(7));
    const hours = [figures('acme', '2026-11-03T09', 4)];
    const timeout = { batchMeterUsage: async () => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) };
    const lost = createMarketplaceSink({ config: CONFIG, ledger: t.ledger, api: timeout, maxAttempts: 1, sleep: async () => {} });
    await lost.export(runInput('2026-11-03T12:10:00Z', hours, [licensed('acme', 1)]));
    const relicensed = { ...licensed('acme', 1), billing: { marketplaceCustomerAwsAccountId: account(1), marketplaceLicenseArn: license(7) } };
    await t.run('2026-11-03T13:10:00Z', [...hours, figures('acme', '2026-11-03T10', 6)], [relicensed]);
    expect([...t.fake.accepted.values()].map((r) => [r.customer, new Date(r.timestamp).toISOString().slice(0, 13), r.quantity])).toEqual([
      [`${account(1)} ${license(1)}`, '2026-11-03T09', 4],
      [`${account(1)} ${license(7)}`, '2026-11-03T10', 6],
    ]);
    const entry = (await t.read()).entries['acme requests'];
    expect(entry?.identity).toEqual({ customerAwsAccountId: account(1), licenseArn: license(1) });
    expect(entry?.records['2026-11-03T10']?.identity).toEqual({ customerAwsAccountId: account(1), licenseArn: license(7) });
  });

  it('sends nothing when another run wrote the ledger first', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    t.fake.subscribeLicense(account(1), license(1));
    const racing = Object.assign(Object.create(t.ledger) as MemoryLedgerStore, {
      write: async () => {
        throw new LedgerConflictError('memory://marketplace/2026-11.json is not at revision undefined');
      },
    });
    const sink = createMarketplaceSink({ config: CONFIG, ledger: racing, api: t.fake });
    await expect(sink.export(runInput('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)], [licensed('acme', 1)]))).rejects.toThrow(
      /^marketplace ledger memory:\/\/test\/marketplace\/2026-11.json changed underneath this run \(another run\?\); nothing more was sent/,
    );
    expect(t.fake.calls).toEqual([]);
  });

  it('sends nothing and writes no ledger in a dry run', async () => {
    const t = setup('2026-11-03T12:10:00Z');
    const report = await t.run('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)], undefined, true);
    expect(report).toMatchObject({ sent: 0, oldestUnreportedHour: '2026-11-03T09' });
    expect(t.fake.calls).toEqual([]);
    expect(t.ledger.writes).toBe(0);
  });

  it('meters listings integrated before Concurrent Agreements by CustomerIdentifier with the request ProductCode', async () => {
    const t = setup('2026-11-03T12:10:00Z', { config: { ...CONFIG, identity: 'customer-identifier' } });
    t.fake.subscribeCustomer('cust-abc');
    const customers = [{ ...licensed('acme', 1), billing: { marketplaceCustomerIdentifier: 'cust-abc' } }, licensed('globex', 2)];
    const report = await t.run('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4), figures('globex', '2026-11-03T09', 1)], customers);
    expect(acceptedAt(t.fake)).toEqual([['2026-11-03T09', 'requests', 4]]);
    expect(report.problems).toEqual([
      expect.objectContaining({ customerId: 'globex', message: expect.stringMatching(/has no marketplaceCustomerIdentifier/) }),
    ]);
  });

  it('refuses a bad config with one line', () => {
    expect(() =>
      createMarketplaceSink({
        config: { ...CONFIG, dimensions: { ...CONFIG.dimensions, bytesOut: { name: 'gb_out', bytesPerUnit: 0.5 } } },
        ledger: new MemoryLedgerStore(),
      }),
    ).toThrow('marketplace sink: dimensions.bytesOut.bytesPerUnit must be a whole number of at least 1, got 0.5');
    expect(() => createMarketplaceSink({ config: { ...CONFIG, readyAfterHours: 5 }, ledger: new MemoryLedgerStore() })).toThrow(/no hour is ever open/);
  });
});
