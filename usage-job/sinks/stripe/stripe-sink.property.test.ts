/**
 * Property: over generated hourly figures with restatements (up and down), crashes between sends
 * and ledger writes, 429 storms, outages and gaps of up to 30 hours between runs (past Stripe's
 * identifier window), one clean run afterwards leaves each customer's total in the Stripe fake
 * equal to the latest figures for every hour: no double count, no loss.
 */
import fc from 'fast-check';
import { addHours, hourStart } from '../../../sql/hours';
import type { CustomerHourFigures } from '../sink';
import { CrashError } from './testing/memory-ledger-store';
import { customer, hourS, stripeScenario, TEST_CONFIG } from './testing/scenario';

const CUSTOMERS = [customer('acme'), customer('globex'), customer('initech')];
const HOURS = Array.from({ length: 6 }, (_, i) => addHours('2026-11-03T00', i));

const step = fc.record({
  advanceHours: fc.integer({ min: 1, max: 30 }),
  updates: fc.array(fc.record({ c: fc.nat(2), h: fc.nat(5), requests: fc.nat(1000), bytes: fc.nat(5000) }), { maxLength: 6 }),
  crashOnWrite: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  storm: fc.nat(6),
  outage: fc.boolean(),
  duplicate: fc.constantFrom('ignore' as const, 'reject' as const),
});

test('Stripe holds the latest figures of every hour after crashes, storms, outages and restatements', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 1, maxLength: 8 }),
      fc.constantFrom('ignore' as const, 'reject' as const),
      async (steps, duplicateIdentifier) => {
        const s = await stripeScenario({ customers: CUSTOMERS, fake: { duplicateIdentifier }, sink: { concurrency: 4, checkpointEvery: 2 } });
        try {
          const figures = new Map<string, CustomerHourFigures>();
          let now = hourStart('2026-11-03T06').getTime() + 10 * 60_000;
          for (const st of steps) {
            for (const u of st.updates) {
              const id = CUSTOMERS[u.c].id;
              figures.set(`${id}/${HOURS[u.h]}`, { customerId: id, hour: HOURS[u.h], requests: u.requests, bytesOut: u.bytes });
            }
            if (st.crashOnWrite !== undefined) s.store.crashOnWrite(st.crashOnWrite);
            s.fake.failNext(st.storm, 429);
            s.fake.setDown(st.outage);
            await s.run(new Date(now), [...figures.values()]).catch((error: unknown) => {
              if (!(error instanceof CrashError)) throw error;
            });
            s.store.crashOnWrite(0);
            s.fake.clearFailures();
            s.fake.setDown(false);
            now += st.advanceHours * 3_600_000;
          }
          const final = await s.run(new Date(now), [...figures.values()]);
          expect(final.problems).toEqual([]);
          expect(final.oldestUnreportedHour).toBeNull();
          for (const c of CUSTOMERS) {
            for (const hour of HOURS) {
              const f = figures.get(`${c.id}/${hour}`);
              expect([c.id, hour, s.fake.total(`cus_${c.id}`, TEST_CONFIG.requestsEventName, hourS(hour))]).toEqual([c.id, hour, f?.requests ?? 0]);
              expect([c.id, hour, s.fake.total(`cus_${c.id}`, TEST_CONFIG.bytesEventName, hourS(hour))]).toEqual([c.id, hour, f?.bytesOut ?? 0]);
            }
          }
        } finally {
          await s.close();
        }
      },
    ),
    { numRuns: Number(process.env.STRIPE_PROPERTY_RUNS ?? 40) },
  );
});
