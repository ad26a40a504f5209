/**
 * Property: over generated hourly figures anywhere in the month (its first and last hours
 * included) with restatements (up and down) of recent and old hours, crashes between sends and
 * ledger writes, 429 storms, outages and gaps of up to 30 hours between runs (past Stripe's
 * identifier window), one clean run afterwards leaves each customer's total in the Stripe fake
 * equal to the latest figures for every hour: no double count, no loss. Runs stay before the
 * month's invoice may be final, so no event is carried to the run's time (stripe-sink.test.ts
 * covers carried corrections).
 */
import fc from 'fast-check';
import { addHours, hourIdOf, hourRange, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import type { CustomerHourFigures } from '../sink';
import { CrashError } from './testing/memory-ledger-store';
import { customer, hourS, stripeScenario, TEST_CONFIG } from './testing/scenario';

const CUSTOMERS = [customer('acme'), customer('globex'), customer('initech')];
const MONTH = '2026-11';
const { first: FIRST, next: NEXT } = monthBounds(MONTH);
const HOURS = hourRange(FIRST, addHours(NEXT, -1));
const HOUR_MS = 3_600_000;
/** The latest run time: 10 hours into the next month, well before the invoice grace (24 h) ends. */
const LAST_RUN_MS = hourStart(NEXT).getTime() + 10 * HOUR_MS;

/** How far before its run's hour an update lies: mostly the latest hours, else any hour back to the month's first. */
const age = fc.oneof(fc.nat(2), fc.nat(HOURS.length - 1));

const step = fc.record({
  advanceHours: fc.integer({ min: 1, max: 30 }),
  updates: fc.array(fc.record({ c: fc.nat(2), age, requests: fc.nat(1000), bytes: fc.nat(5000) }), { maxLength: 6 }),
  crashOnWrite: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  storm: fc.nat(6),
  outage: fc.boolean(),
  duplicate: fc.constantFrom('ignore' as const, 'reject' as const),
});

/** The first run's hour of the month: anywhere, or in the month's last day so later runs cross its end. */
const firstRunHour = fc.oneof(fc.integer({ min: 0, max: HOURS.length - 1 }), fc.integer({ min: HOURS.length - 24, max: HOURS.length - 1 }));

/** The hour `ageHours` before the run's hour, never before the month's first hour nor after its last. */
function updatedHour(runMs: number, ageHours: number): HourId {
  const runHour = hourIdOf(new Date(Math.min(runMs, hourStart(NEXT).getTime() - 1)));
  const back = Math.min(ageHours, (hourStart(runHour).getTime() - hourStart(FIRST).getTime()) / HOUR_MS);
  return addHours(runHour, -back);
}

test('Stripe holds the latest figures of every hour after crashes, storms, outages and restatements', async () => {
  await fc.assert(
    fc.asyncProperty(
      firstRunHour,
      fc.array(step, { minLength: 1, maxLength: 8 }),
      fc.constantFrom('ignore' as const, 'reject' as const),
      async (startHour, steps, duplicateIdentifier) => {
        const s = await stripeScenario({ customers: CUSTOMERS, fake: { duplicateIdentifier }, sink: { concurrency: 4, checkpointEvery: 2 } });
        try {
          const figures = new Map<string, CustomerHourFigures>();
          let now = hourStart(HOURS[startHour]).getTime() + 10 * 60_000;
          for (const st of steps) {
            for (const u of st.updates) {
              const id = CUSTOMERS[u.c].id;
              const hour = updatedHour(now, u.age);
              figures.set(`${id}/${hour}`, { customerId: id, hour, requests: u.requests, bytesOut: u.bytes });
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
            now = Math.min(now + st.advanceHours * HOUR_MS, LAST_RUN_MS);
          }
          const final = await s.run(new Date(now), [...figures.values()]);
          expect(final.problems).toEqual([]);
          expect(final.oldestUnreportedHour).toBeNull();
          const wrong: unknown[] = [];
          for (const c of CUSTOMERS) {
            for (const hour of HOURS) {
              const f = figures.get(`${c.id}/${hour}`);
              const held = [TEST_CONFIG.requestsEventName, TEST_CONFIG.bytesEventName].map((name) => s.fake.total(`cus_${c.id}`, name, hourS(hour)));
              if (held[0] !== (f?.requests ?? 0) || held[1] !== (f?.bytesOut ?? 0)) wrong.push({ customer: c.id, hour, held, latest: f });
            }
          }
          expect(wrong).toEqual([]);
        } finally {
          await s.close();
        }
      },
    ),
    { numRuns: Number(process.env.STRIPE_PROPERTY_RUNS ?? 40) },
  );
});
