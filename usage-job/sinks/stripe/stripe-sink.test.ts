/**
 * The Stripe sink against the Stripe fake (testing/stripe-fake.ts) through an in-memory ledger:
 * restatements, the fault matrix of issue 19 (a crash between send and ledger write, Stripe down
 * for 30 hours, logs 20 hours late, a month closed then restated, 429 storms) and bad input.
 */
import { addHours, hourRange } from '../../../sql/hours';
import type { CustomerHourFigures } from '../sink';
import { DEFAULT_SHARDS, shardOf } from '../sharded-ledger';
import { carriedTotals, readStripeLedger, type StripeLedger, type StripeLedgerHead } from './ledger';
import { reconcileStripe } from './reconcile';
import { CrashError } from './testing/memory-ledger-store';
import { at, customer, hourS, stripeScenario, TEST_CONFIG, type StripeScenario } from './testing/scenario';

const REQ = TEST_CONFIG.requestsEventName;
const BYTES = TEST_CONFIG.bytesEventName;
const CUSTOMERS = [customer('acme'), customer('globex'), customer('initech')];

const fig = (customerId: string, hour: string, requests: number, bytesOut = requests * 1000): CustomerHourFigures => ({ customerId, hour, requests, bytesOut });

/** Figures for every customer in each hour, distinct per customer and hour. */
function figures(hours: readonly string[], scale = 1): CustomerHourFigures[] {
  return hours.flatMap((hour, h) => CUSTOMERS.map((c, i) => fig(c.id, hour, (h + 1) * 10 * scale + i)));
}

/** Stripe holds exactly `expected` per customer, meter and hour (nothing double counted, nothing lost). */
function expectStripeHolds(s: StripeScenario, expected: readonly CustomerHourFigures[]): void {
  for (const f of expected) {
    expect({ f, requests: s.fake.total(`cus_${f.customerId}`, REQ, hourS(f.hour)) }).toEqual({ f, requests: f.requests });
    expect({ f, bytes: s.fake.total(`cus_${f.customerId}`, BYTES, hourS(f.hour)) }).toEqual({ f, bytes: f.bytesOut });
  }
  for (const c of CUSTOMERS) {
    const own = expected.filter((f) => f.customerId === c.id);
    expect(s.fake.grandTotal(`cus_${c.id}`, REQ)).toBe(own.reduce((n, f) => n + f.requests, 0));
    expect(s.fake.grandTotal(`cus_${c.id}`, BYTES)).toBe(own.reduce((n, f) => n + f.bytesOut, 0));
  }
}

/** Shard writes before the second checkpoint of a run whose customers are `ids` (the first stores the intents). */
const secondCheckpoint = (ids: readonly string[]): number => new Set(ids.map((id) => shardOf(id, DEFAULT_SHARDS))).size + 1;

/** The stored ledger: its customers and its head's month-wide fields. */
async function ledgerOf(s: StripeScenario, month = '2026-11'): Promise<StripeLedger & StripeLedgerHead> {
  const ledger = await readStripeLedger(s.store, 'stripe', 'dev', month);
  expect(ledger.stored).toBe(true);
  return { month, customers: ledger.customers, ...ledger.head };
}

let s: StripeScenario;
afterEach(async () => s?.close());

describe('exports and restatements', () => {
  test('each hour is sent once; a rerun with the same figures sends nothing', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const hours = hourRange('2026-11-03T00', '2026-11-03T05');
    const first = await s.run(at('2026-11-03T06:10:00Z'), figures(hours));
    expect(first).toMatchObject({ sink: 'stripe', outcome: 'ok', sent: hours.length * 3 * 2, unchanged: 0, problems: [], oldestUnreportedHour: null });
    const again = await s.run(at('2026-11-03T07:10:00Z'), figures(hours));
    expect(again).toMatchObject({ outcome: 'ok', sent: 0, unchanged: hours.length * 3 });
    expect(s.fake.stats.calls).toBe(hours.length * 3 * 2);
    expectStripeHolds(s, figures(hours));
    // every event carries the usage hour's start as its timestamp
    expect(new Set(s.fake.recorded.map((e) => e.timestamp))).toEqual(new Set(hours.map(hourS)));
  });

  test('logs arriving 20 hours after an hour was exported: a delta event with its own identifier; a decrease is a negative delta', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const hour = '2026-11-03T04';
    await s.run(at('2026-11-03T05:10:00Z'), [fig('acme', hour, 100)]);
    const late = await s.run(at('2026-11-04T01:10:00Z'), [fig('acme', hour, 130)]);
    expect(late).toMatchObject({ outcome: 'ok', sent: 2 });
    const acmeEvents = s.fake.recorded.filter((e) => e.eventName === REQ);
    expect(acmeEvents.map((e) => e.value)).toEqual([100, 30]);
    expect(new Set(acmeEvents.map((e) => e.identifier)).size).toBe(2);
    expect(acmeEvents.every((e) => e.timestamp === hourS(hour))).toBe(true);
    await s.run(at('2026-11-04T02:10:00Z'), [fig('acme', hour, 120)]);
    expect(s.fake.total('cus_acme', REQ, hourS(hour))).toBe(120);
    // the hour disappears from the figures: its usage is zero now
    await s.run(at('2026-11-04T03:10:00Z'), []);
    expect(s.fake.total('cus_acme', REQ, hourS(hour))).toBe(0);
    expect(s.fake.total('cus_acme', BYTES, hourS(hour))).toBe(0);
  });

  test('a dry run sends nothing and writes no ledger', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const messages: string[] = [];
    const report = await s.run(at('2026-11-03T06:10:00Z'), figures(['2026-11-03T05']), { dryRun: true, progress: (m) => messages.push(m) });
    expect(report.sent).toBe(0);
    expect(s.fake.stats.calls).toBe(0);
    expect(s.store.writes).toBe(0);
    expect(messages.join('\n')).toContain('would send 6 meter events');
  });
});

describe('fault matrix', () => {
  test.each(['ignore', 'reject'] as const)(
    'a crash between the send and the ledger write, rerun an hour later: nothing counted twice (duplicate identifiers answered %s)',
    async (duplicateIdentifier) => {
      s = await stripeScenario({ customers: CUSTOMERS, fake: { duplicateIdentifier } });
      const hours = hourRange('2026-11-03T00', '2026-11-03T03');
      s.store.crashOnWrite(secondCheckpoint(CUSTOMERS.map((c) => c.id)), '/shard-'); // the first checkpoint stores the intents; the kill comes at the second (after the sends)
      await expect(s.run(at('2026-11-03T04:10:00Z'), figures(hours))).rejects.toThrow(CrashError);
      s.store.crashOnWrite(0);
      expect(s.fake.stats.recorded).toBe(hours.length * 3 * 2);
      const pending = Object.values((await ledgerOf(s)).customers).flatMap((c) => [...c.meters.requests.pending, ...c.meters.bytesOut.pending]);
      expect(pending).toHaveLength(hours.length * 3 * 2);

      const rerun = await s.run(at('2026-11-03T05:10:00Z'), figures(hours));
      expect(rerun).toMatchObject({ outcome: 'ok', problems: [] });
      expect(s.fake.stats.duplicates).toBe(hours.length * 3 * 2);
      expectStripeHolds(s, figures(hours));
    },
  );

  test('a kill in the middle of a checkpoint (some shards written, the rest not), rerun an hour later: nothing counted twice or lost', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const ids = CUSTOMERS.map((c) => c.id);
    expect(new Set(ids.map((id) => shardOf(id, DEFAULT_SHARDS))).size).toBe(ids.length); // else the checkpoint has one shard only
    const hours = hourRange('2026-11-03T00', '2026-11-03T03');
    s.store.crashOnWrite(secondCheckpoint(ids) + 1, '/shard-');
    await expect(s.run(at('2026-11-03T04:10:00Z'), figures(hours))).rejects.toThrow(CrashError);
    s.store.crashOnWrite(0);
    const pendingPerCustomer = Object.values((await ledgerOf(s)).customers).map((c) => c.meters.requests.pending.length + c.meters.bytesOut.pending.length);
    expect(pendingPerCustomer.sort()).toEqual([0, hours.length * 2, hours.length * 2]);
    const rerun = await s.run(at('2026-11-03T05:10:00Z'), figures(hours));
    expect(rerun).toMatchObject({ outcome: 'ok', problems: [] });
    expect(s.fake.stats.duplicates).toBe(hours.length * 2 * 2);
    expectStripeHolds(s, figures(hours));
  });

  test('a crash, then the next run 30 hours later (Stripe has forgotten the identifiers): settled from event summaries, not resent', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const hours = hourRange('2026-11-03T00', '2026-11-03T03');
    s.store.crashOnWrite(secondCheckpoint(CUSTOMERS.map((c) => c.id)), '/shard-');
    await expect(s.run(at('2026-11-03T04:10:00Z'), figures(hours))).rejects.toThrow(CrashError);
    s.store.crashOnWrite(0);
    const recordedBefore = s.fake.stats.recorded;
    const later = await s.run(at('2026-11-04T10:10:00Z'), figures(hours));
    expect(later).toMatchObject({ outcome: 'ok', sent: 0, problems: [] });
    expect(s.fake.stats.recorded).toBe(recordedBefore);
    // one per unconfirmed event, then the day's reconciliation: one per customer-meter
    expect(s.fake.stats.summaryCalls).toBe(hours.length * 3 * 2 + 3 * 2);
    expectStripeHolds(s, figures(hours));
  });

  test("past the window, when Stripe holds neither the ledger's total nor it plus the event, an operator is asked and nothing is sent", async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const hour = '2026-11-03T03';
    s.store.crashOnWrite(secondCheckpoint(['acme']), '/shard-');
    await expect(s.run(at('2026-11-03T04:10:00Z'), [fig('acme', hour, 5)])).rejects.toThrow(CrashError);
    s.store.crashOnWrite(0);
    const stray = new URLSearchParams({
      event_name: REQ,
      'payload[stripe_customer_id]': 'cus_acme',
      'payload[value]': '2',
      identifier: 'someone-else',
      timestamp: String(hourS(hour)),
    });
    await fetch(`${s.fake.url}/v1/billing/meter_events`, { method: 'POST', headers: { authorization: `Bearer ${s.fake.apiKey}` }, body: stray });
    const calls = s.fake.stats.calls;
    const later = await s.run(at('2026-11-04T10:10:00Z'), [fig('acme', hour, 5)]);
    expect(later.outcome).toBe('partial');
    expect(later.problems).toEqual([
      {
        customerId: 'acme',
        hour,
        message: expect.stringMatching(/Stripe holds 7 for that hour, the ledger expects 0 without it or 5 with it; an operator must reconcile/),
      },
    ]);
    expect(s.fake.stats.calls).toBe(calls);
    expect(later.oldestUnreportedHour).toBe(hour);
  });

  test('without meter ids an unconfirmed event past the window is named for an operator, never resent', async () => {
    s = await stripeScenario({ customers: CUSTOMERS, config: { requestsMeterId: undefined, bytesMeterId: undefined } });
    s.store.crashOnWrite(secondCheckpoint(['acme']), '/shard-');
    await expect(s.run(at('2026-11-03T04:10:00Z'), [fig('acme', '2026-11-03T03', 5)])).rejects.toThrow(CrashError);
    s.store.crashOnWrite(0);
    const later = await s.run(at('2026-11-04T10:10:00Z'), [fig('acme', '2026-11-03T03', 5)]);
    expect(later.outcome).toBe('partial');
    expect(later.problems[0]).toMatchObject({ customerId: 'acme', hour: '2026-11-03T03' });
    expect(later.problems[0].message).toMatch(/never confirmed.*not resent.*meter ids/);
    expect(later.oldestUnreportedHour).toBe('2026-11-03T03');
    expect(s.fake.grandTotal('cus_acme', REQ)).toBe(5);
  });

  test('Stripe down for 30 hours, hourly runs: each run says failed and how far behind; on recovery everything is caught up once, timestamps valid', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    const start = '2026-11-10T00';
    await s.run(at('2026-11-10T01:05:00Z'), figures([start]));
    s.fake.setDown(true);
    let hours = [start];
    for (let i = 1; i <= 30; i++) {
      hours = hourRange(start, addHours(start, i));
      const report = await s.run(at(`${addHours(start, i + 1)}:05:00Z`), figures(hours));
      expect(report.outcome).toBe('failed');
      expect(report.sent).toBe(0);
      expect(report.oldestUnreportedHour).toBe(addHours(start, 1));
      expect(report.problems.map((p) => p.message).join('\n')).toMatch(/Stripe unavailable|could not read Stripe's event summaries/);
    }
    s.fake.setDown(false);
    const recovered = await s.run(at(`${addHours(start, 32)}:05:00Z`), figures(hours));
    expect(recovered).toMatchObject({ outcome: 'ok', problems: [], oldestUnreportedHour: null });
    expect(s.fake.stats.rejected).toBe(0); // no timestamp outside Stripe's window
    expectStripeHolds(s, figures(hours));
  });

  test('a month closed and then restated: the correction is carried into the open period and the ledger says so', async () => {
    s = await stripeScenario({ customers: CUSTOMERS }); // invoiceGraceHours 24
    const hour = '2026-11-30T22';
    await s.run(at('2026-11-30T23:10:00Z'), [fig('acme', hour, 100)]);
    // within the grace period (before 12-01T23:00, one hour of margin): still the November hour
    await s.run(at('2026-12-01T20:00:00Z'), [fig('acme', hour, 110)]);
    expect(s.fake.total('cus_acme', REQ, hourS(hour))).toBe(110);
    // after it: carried, timestamped in December
    const now = at('2026-12-02T06:00:00Z');
    const report = await s.run(now, [fig('acme', hour, 125)]);
    expect(report).toMatchObject({ outcome: 'ok', sent: 2 });
    expect(s.fake.total('cus_acme', REQ, hourS(hour))).toBe(110);
    expect(s.fake.total('cus_acme', REQ, hourS('2026-12-02T06'))).toBe(15);
    expect(s.fake.grandTotal('cus_acme', REQ)).toBe(125);
    const ledger = await ledgerOf(s);
    expect(carriedTotals(ledger.customers)).toEqual({ acme: { requests: 15, bytesOut: 15_000 } });
    expect(ledger.carried).toEqual(carriedTotals(ledger.customers));
    expect(report.carried).toBeUndefined(); // November's run: nothing was carried into November

    // a kill or a racing run left the head's totals behind the shards: the next run of November puts them right
    const head = (await s.store.read<{ head: { carried?: unknown } }>('stripe', '2026-11'))!;
    await s.store.write('stripe', '2026-11', { ...head.body, head: { ...head.body.head, carried: {} } }, head.revision);
    await s.run(at('2026-12-02T07:00:00Z'), [fig('acme', hour, 125)]);
    expect((await ledgerOf(s)).carried).toEqual({ acme: { requests: 15, bytesOut: 15_000 } });

    // December's run reports what November carried into December's period (its invoice lines say so)
    const december = await s.run(at('2026-12-02T07:10:00Z'), [fig('acme', '2026-12-02T06', 3)], { month: '2026-12' });
    expect(december).toMatchObject({ outcome: 'ok', sent: 2 });
    expect(december.carried).toEqual([
      { customerId: 'acme', fromMonth: '2026-11', meter: 'requests', quantity: 15 },
      { customerId: 'acme', fromMonth: '2026-11', meter: 'bytesOut', quantity: 15_000 },
    ]);
  });

  test('a 429 storm and 5xx answers are retried with backoff; never two calls at once for one customer and meter', async () => {
    s = await stripeScenario({ customers: CUSTOMERS, fake: { holdMs: 2 }, sink: { concurrency: 6 } });
    const hours = hourRange('2026-11-03T00', '2026-11-03T07');
    s.fake.failNext(25, 429, { 'retry-after': '0' });
    s.fake.failNext(5, 503);
    const report = await s.run(at('2026-11-03T08:10:00Z'), figures(hours));
    expect(report).toMatchObject({ outcome: 'ok', sent: hours.length * 6 });
    expect(s.fake.stats.injected).toBe(30);
    expect(s.fake.stats.concurrencyRefused).toBe(0);
    expectStripeHolds(s, figures(hours));
  });

  test('Stripe-Should-Retry: false stops retries; the event stays pending and goes out on the next run', async () => {
    s = await stripeScenario({ customers: [CUSTOMERS[0]], sink: { concurrency: 1 } });
    s.fake.failNext(1, 500, { 'stripe-should-retry': 'false' });
    const report = await s.run(at('2026-11-03T08:10:00Z'), [fig('acme', '2026-11-03T07', 9)]);
    expect(report.outcome).toBe('failed');
    expect(s.fake.stats.calls).toBe(1);
    expect((await s.run(at('2026-11-03T09:10:00Z'), [fig('acme', '2026-11-03T07', 9)])).outcome).toBe('ok');
    expect(s.fake.grandTotal('cus_acme', REQ)).toBe(9);
  });
});

describe('bad input', () => {
  test('a customer without a Stripe id is named; every other customer is exported; fixed and re-run, nothing double counted', async () => {
    const customers = [customer('acme'), customer('globex', null), customer('initech')];
    s = await stripeScenario({ customers });
    const hours = figures(['2026-11-03T01']);
    const report = await s.run(at('2026-11-03T02:10:00Z'), hours);
    expect(report.outcome).toBe('partial');
    expect(report.problems).toEqual([{ customerId: 'globex', message: expect.stringContaining('has no billing id') }]);
    expect(report.oldestUnreportedHour).toBe('2026-11-03T01');
    expect(s.fake.grandTotal('cus_acme', REQ)).toBeGreaterThan(0);
    // the same sink and ledger, the registry fixed
    const rerun = await s.sink.export({
      environment: 'dev',
      month: '2026-11',
      now: at('2026-11-03T03:10:00Z'),
      monthStatus: 'month-to-date',
      hours,
      customers: CUSTOMERS,
      usage: { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
      dryRun: false,
    });
    expect(rerun).toMatchObject({ outcome: 'ok', sent: 2 });
    expectStripeHolds(s, hours);
  });

  test('one channel per customer: a Marketplace customer is neither sent, nor a problem, nor unreported; no billing id, or both, is a problem', async () => {
    const marketplace = {
      ...customer('mp', null),
      billing: { marketplaceCustomerAwsAccountId: '222233334444', marketplaceLicenseArn: 'arn:aws:license-manager::1:license:l-1' },
    };
    s = await stripeScenario({ customers: [customer('acme'), marketplace] });
    const hours = [fig('acme', '2026-11-03T01', 5), fig('mp', '2026-11-03T01', 7)];
    const report = await s.run(at('2026-11-03T02:10:00Z'), hours);
    expect(report).toMatchObject({ outcome: 'ok', problems: [], oldestUnreportedHour: null });
    expect(s.fake.grandTotal('cus_acme', REQ)).toBe(5);
    expect(s.fake.recorded.map((e) => e.stripeCustomerId)).not.toContain('cus_mp');
    expect(Object.keys((await ledgerOf(s)).customers)).toEqual(['acme']);

    const both = { ...customer('both'), billing: { ...marketplace.billing, stripeCustomerId: 'cus_both' } };
    await s.close();
    s = await stripeScenario({ customers: [customer('acme'), customer('none', null), both] });
    const second = await s.run(at('2026-11-03T02:10:00Z'), [fig('acme', '2026-11-03T01', 5), fig('none', '2026-11-03T01', 3), fig('both', '2026-11-03T01', 4)]);
    expect(second.outcome).toBe('partial');
    expect(second.problems).toEqual([
      { customerId: 'both', message: expect.stringContaining('has both a stripeCustomerId and AWS Marketplace ids') },
      { customerId: 'none', message: expect.stringContaining('has no billing id in the key registry') },
    ]);
    expect(second.oldestUnreportedHour).toBe('2026-11-03T01');
    expect(s.fake.grandTotal('cus_both', REQ)).toBe(0);
  });

  test('a customer moved to AWS Marketplace after Stripe got part of its month is a problem, not skipped', async () => {
    s = await stripeScenario({ customers: [customer('acme')] });
    await s.run(at('2026-11-03T02:10:00Z'), [fig('acme', '2026-11-03T01', 5)]);
    const moved = { ...customer('acme', null), billing: { marketplaceCustomerIdentifier: 'C1', marketplaceProductCode: 'p' } };
    const report = await s.sink.export({
      environment: 'dev',
      month: '2026-11',
      now: at('2026-11-03T03:10:00Z'),
      monthStatus: 'month-to-date',
      hours: [fig('acme', '2026-11-03T01', 5), fig('acme', '2026-11-03T02', 6)],
      customers: [moved],
      usage: { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
      dryRun: false,
    });
    expect(report.problems).toEqual([
      {
        customerId: 'acme',
        message: expect.stringContaining('is billed through AWS Marketplace now, but usage of 2026-11 was already sent to Stripe under cus_acme'),
      },
    ]);
    expect(s.fake.grandTotal('cus_acme', REQ)).toBe(5);
  });

  test('a Stripe 400 names that customer; the others are exported; the next run sends it under a new identifier', async () => {
    s = await stripeScenario({ customers: CUSTOMERS, sink: { concurrency: 1 } });
    s.fake.failNext(1, 400); // the first call: the requests of the customer in the lowest ledger shard (sends go in shard order)
    const first = [...CUSTOMERS].sort((a, b) => shardOf(a.id, DEFAULT_SHARDS) - shardOf(b.id, DEFAULT_SHARDS))[0].id;
    const hours = figures(['2026-11-03T01']);
    const report = await s.run(at('2026-11-03T02:10:00Z'), hours);
    expect(report.outcome).toBe('partial');
    expect(report.problems).toEqual([
      {
        customerId: first,
        hour: '2026-11-03T01',
        message: expect.stringMatching(new RegExp(`^Stripe refused requests of ${first} \\(cus_${first}\\) for 2026-11-03T01: HTTP 400`)),
      },
    ]);
    expect(report.sent).toBe(5);
    expect((await s.run(at('2026-11-03T03:10:00Z'), hours)).outcome).toBe('ok');
    expectStripeHolds(s, hours);
    expect(s.fake.recorded.find((e) => e.stripeCustomerId === `cus_${first}` && e.eventName === REQ)!.identifier).toMatch(/-r2-/);
  });

  test('a changed Stripe id after usage was sent is refused for an operator', async () => {
    s = await stripeScenario({ customers: [customer('acme')] });
    await s.run(at('2026-11-03T02:10:00Z'), [fig('acme', '2026-11-03T01', 3)]);
    const moved = await s.sink.export({
      environment: 'dev',
      month: '2026-11',
      now: at('2026-11-03T03:10:00Z'),
      monthStatus: 'month-to-date',
      hours: [fig('acme', '2026-11-03T01', 4)],
      customers: [customer('acme', 'cus_other')],
      usage: { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
      dryRun: false,
    });
    expect(moved.problems[0].message).toMatch(/stripeCustomerId changed from cus_acme to cus_other/);
    expect(s.fake.grandTotal('cus_other', REQ)).toBe(0);
  });

  test('a wrong API key: the run fails after one call, events stay pending, the key in no report, progress line or ledger', async () => {
    const key = 'sk_test_wrong_0123456789';
    const messages: string[] = [];
    s = await stripeScenario({ customers: CUSTOMERS, sink: { credentials: async () => ({ apiKey: key, apiBase: s.fake.url }) } });
    const report = await s.run(at('2026-11-03T02:10:00Z'), figures(['2026-11-03T01']), { progress: (m) => messages.push(m) });
    expect(report.outcome).toBe('failed');
    expect(report.problems).toEqual([
      { message: expect.stringMatching(/^Stripe unavailable: .*HTTP 401: api_key_invalid: Invalid API Key provided.*6 meter events stay pending/) },
    ]);
    expect(s.fake.recorded).toHaveLength(0);
    expect(JSON.stringify([report, messages, await ledgerOf(s)])).not.toContain(key);
  });

  test('figures that are not whole numbers fail the run in one line', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    await expect(s.run(at('2026-11-03T02:10:00Z'), [fig('acme', '2026-11-03T01', 1.5)])).rejects.toThrow(/not whole numbers/);
  });

  test('a bad config is refused when the sink is created', async () => {
    await expect(stripeScenario({ customers: CUSTOMERS, config: { invoiceGraceHours: 96 } })).rejects.toThrow(
      /invoiceGraceHours must be a whole number of hours from 0 to 72/,
    );
  });
});

describe('reconcile', () => {
  test('once a UTC day the sink compares Stripe with its ledger: a mistyped Stripe customer id (accepted, then dropped) is a problem per customer', async () => {
    const registry = [customer('acme'), customer('globex', 'cus_glbex'), customer('initech')];
    s = await stripeScenario({ customers: registry, fake: { customers: ['cus_acme', 'cus_globex', 'cus_initech'], processingDelayMs: 10 * 60_000 } });
    const day1 = hourRange('2026-11-03T00', '2026-11-03T02');
    const first = await s.run(at('2026-11-03T03:10:00Z'), figures(day1));
    // the first run reconciles, but every hour was sent in this very run: nothing is compared yet
    expect(first).toMatchObject({ outcome: 'ok', problems: [] });
    expect((await ledgerOf(s)).lastReconciledAt).toBe('2026-11-03T03:10:00.000Z');
    expect(s.fake.errorReports().filter((r) => r.code === 'meter_event_customer_not_found')).toHaveLength(day1.length * 2);
    const sameDay = await s.run(at('2026-11-03T04:10:00Z'), figures(day1));
    expect(sameDay).toMatchObject({ outcome: 'ok', sent: 0, problems: [] });
    const summaryCallsBefore = s.fake.stats.summaryCalls;

    const nextDay = await s.run(at('2026-11-04T00:10:00Z'), [...figures(day1), ...figures(['2026-11-03T23'])]);
    // one summaries call per customer-meter (a month so far is under 100 hours: one page)
    expect(s.fake.stats.summaryCalls - summaryCallsBefore).toBe(3 * 2);
    expect(nextDay.outcome).toBe('partial');
    expect(nextDay.oldestUnreportedHour).toBeNull(); // every event was acknowledged: not "behind"
    expect(nextDay.problems).toEqual([
      {
        customerId: 'globex',
        hour: '2026-11-03T00',
        message: expect.stringMatching(
          /^stripe reconcile: requests of globex \(cus_glbex\) for 2026-11-03T00: Stripe holds 0, we sent 11; .*\(and 5 more hours or meters like it\)$/,
        ),
      },
    ]);
    // the hour sent in this run is not compared yet; the rest of the day is not reconciled again
    expect(nextDay.problems[0].message).not.toContain('2026-11-03T23');
    expect(await s.run(at('2026-11-04T01:10:00Z'), [...figures(day1), ...figures(['2026-11-03T23'])])).toMatchObject({ outcome: 'ok', problems: [] });
    // unfixed, it is reported again each day, also once its hours are older than the 72-hour window
    const later = await s.run(at('2026-11-09T00:10:00Z'), [...figures(day1), ...figures(['2026-11-03T23'])]);
    expect(later.problems).toEqual([{ customerId: 'globex', hour: '2026-11-03T00', message: expect.stringContaining('Stripe holds 0, we sent 11') }]);
  });

  test("a month's first reconciliation reads the month so far (100 hours a page); later ones a window from 72 hours before the last", async () => {
    s = await stripeScenario({ customers: [CUSTOMERS[0]] });
    const hours = hourRange('2026-11-01T00', '2026-11-30T21').map((hour, i) => fig('acme', hour, i + 1));
    await s.run(at('2026-11-30T22:10:00Z'), hours);
    expect(s.fake.stats.summaryCalls).toBe(2 * Math.ceil(hours.length / 100)); // 718 hours: 8 pages per meter
    const before = s.fake.stats.summaryCalls;
    // every hour was sent in that first run, so none was compared: the next day reaches back to the first
    expect((await ledgerOf(s)).reconcileBackTo).toBe('2026-11-01T00');
    await s.run(at('2026-12-01T00:10:00Z'), hours);
    expect(s.fake.stats.summaryCalls - before).toBe(2 * Math.ceil(hours.length / 100));
    expect((await ledgerOf(s)).reconcileBackTo).toBeUndefined();
    const after = s.fake.stats.summaryCalls;
    const third = await s.run(at('2026-12-02T00:10:00Z'), hours);
    expect(third).toMatchObject({ outcome: 'ok', problems: [] });
    expect(s.fake.stats.summaryCalls - after).toBe(2); // 72 hours before the last one: one page per meter
  });

  test('no reconciliation in a dry run, nor while Stripe is unavailable', async () => {
    s = await stripeScenario({ customers: CUSTOMERS });
    await s.run(at('2026-11-03T03:10:00Z'), figures(['2026-11-03T01']), { dryRun: true });
    expect(s.fake.stats.summaryCalls).toBe(0);
    s.fake.setDown(true);
    expect((await s.run(at('2026-11-03T03:10:00Z'), figures(['2026-11-03T01']))).outcome).toBe('failed');
    expect(s.fake.stats.summaryCalls).toBe(0);
    expect((await ledgerOf(s)).lastReconciledAt).toBeUndefined();
  });

  test('Stripe equals the ledger after the export settles; an extra event in Stripe is a mismatch', async () => {
    s = await stripeScenario({ customers: CUSTOMERS, fake: { processingDelayMs: 10 * 60_000 } });
    const hours = figures(hourRange('2026-11-03T00', '2026-11-03T02'));
    await s.run(at('2026-11-03T03:10:00Z'), hours);
    const soon = await reconcileStripe(s.sink, { environment: 'dev', month: '2026-11', now: at('2026-11-03T03:20:00Z'), hours });
    expect(soon).toMatchObject({ compared: 0, unsettled: 6, mismatches: [] });
    s.fake.setNow(at('2026-11-03T05:00:00Z'));
    const settled = await reconcileStripe(s.sink, { environment: 'dev', month: '2026-11', now: at('2026-11-03T05:00:00Z'), hours });
    expect(settled).toMatchObject({ compared: 6, unsettled: 0, unreported: 0, mismatches: [], problems: [] });

    const stray = new URLSearchParams({
      event_name: REQ,
      'payload[stripe_customer_id]': 'cus_globex',
      'payload[value]': '7',
      identifier: 'stray-1',
      timestamp: String(hourS('2026-11-03T01')),
    });
    await fetch(`${s.fake.url}/v1/billing/meter_events`, { method: 'POST', headers: { authorization: `Bearer ${s.fake.apiKey}` }, body: stray });
    s.fake.setNow(at('2026-11-03T06:00:00Z'));
    const off = await reconcileStripe(s.sink, { environment: 'dev', month: '2026-11', now: at('2026-11-03T06:00:00Z'), hours });
    expect(off.mismatches).toEqual([{ customerId: 'globex', meter: 'requests', hour: '2026-11-03T01', stripe: 21 + 7, ledger: 21 }]);
  });
});
