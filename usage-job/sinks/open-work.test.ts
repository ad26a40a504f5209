/**
 * Open work of earlier months stays in the reports (and so in SinkHoursBehind, SinkProblems and
 * UsageJobSinksPartial) until a run of that month reports it done or acknowledges it.
 */
import { monthStatus } from '../month-status';
import { hoursBehind } from './run-sinks';
import { earlierMonths, SINK_STATUS_LEDGER, withOpenWork } from './open-work';
import type { SinkReport } from './sink';
import { MemoryLedgerStore } from './testing/memory-ledger-store';

const OK = (sink: string): SinkReport => ({ sink, outcome: 'ok', sent: 3, unchanged: 0, problems: [], oldestUnreportedHour: null });
const PENDING: SinkReport = {
  sink: 'stripe',
  outcome: 'partial',
  sent: 0,
  unchanged: 10,
  problems: [{ customerId: 'acme', message: 'customer acme has no Stripe customer id: set it and run again' }],
  oldestUnreportedHour: '2026-10-30T05',
};
const quiet = () => undefined;
/** The usage job's default late window: a month is final from 48 hours after its end. */
const LATE_WINDOW_HOURS = 48;
const run = (month: string, now: string, fields: Partial<{ dryRun: boolean; acknowledge: boolean }> = {}) => ({
  environment: 'test',
  month,
  now: new Date(now),
  monthStatus: monthStatus(month, new Date(now), LATE_WINDOW_HOURS),
  isFinal: (m: string) => monthStatus(m, new Date(now), LATE_WINDOW_HOURS) === 'final',
  dryRun: false,
  acknowledge: false,
  ...fields,
});

test('the two months before a month, across a year', () => {
  expect(earlierMonths('2027-01')).toEqual(['2026-12', '2026-11']);
  expect(earlierMonths('2026-11')).toEqual(['2026-10', '2026-09']);
});

test("a partial October left on the 3rd keeps December's run partial and behind since its hour", async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING, OK('marketplace')], quiet);
  const now = new Date('2026-12-05T08:10:00Z');
  const [stripe, marketplace] = await withOpenWork(store, run('2026-12', now.toISOString()), [OK('stripe'), OK('marketplace')], quiet);
  expect(stripe!.outcome).toBe('partial');
  expect(stripe!.oldestUnreportedHour).toBe('2026-10-30T05');
  expect(hoursBehind(stripe!, now)).toBe(36 * 24 + 3);
  expect(stripe!.problems).toEqual([
    {
      message: expect.stringMatching(
        /^2026-10 is still open for sink stripe: its last run reported partial, behind since 2026-10-30T05, 1 problem \(first: customer acme has no Stripe customer id.*run the usage job for 2026-10 again/,
      ),
    },
  ]);
  expect(marketplace).toEqual(OK('marketplace'));
});

test('a later run of that month that reports ok clears it', async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING], quiet);
  await withOpenWork(store, run('2026-10', '2026-11-05T09:00:00Z'), [OK('stripe')], quiet);
  const [stripe] = await withOpenWork(store, run('2026-11', '2026-11-05T10:10:00Z'), [OK('stripe')], quiet);
  expect(stripe).toEqual(OK('stripe'));
});

test("an older run of a month never overwrites a newer run's status", async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-05T09:00:00Z'), [OK('stripe')], quiet);
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING], quiet);
  const [stripe] = await withOpenWork(store, run('2026-11', '2026-11-05T10:10:00Z'), [OK('stripe')], quiet);
  expect(stripe!.outcome).toBe('ok');
});

test('--acknowledge-open-work on a run of that month clears it; a later unacknowledged run with the same trouble opens it again', async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING], quiet);
  await withOpenWork(store, run('2026-10', '2026-11-06T09:00:00Z', { acknowledge: true }), [PENDING], quiet);
  expect((await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z'), [OK('stripe')], quiet))[0]!.outcome).toBe('ok');
  await withOpenWork(store, run('2026-10', '2026-11-07T09:00:00Z'), [PENDING], quiet);
  expect((await withOpenWork(store, run('2026-11', '2026-11-07T10:10:00Z'), [OK('stripe')], quiet))[0]!.outcome).toBe('partial');
});

test('a month three months back is no longer looked at', async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-09', '2026-10-03T23:10:00Z'), [PENDING], quiet);
  expect((await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z'), [OK('stripe')], quiet))[0]!.outcome).toBe('partial');
  // November's last run, on the 3rd of December, sees it final.
  await withOpenWork(store, run('2026-11', '2026-12-03T10:10:00Z'), [OK('stripe')], quiet);
  expect((await withOpenWork(store, run('2026-12', '2026-12-06T10:10:00Z'), [OK('stripe')], quiet))[0]!.outcome).toBe('ok');
});

test("problems without an unreported hour count as behind since the month's last hour", async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [{ ...PENDING, oldestUnreportedHour: null }], quiet);
  const [stripe] = await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z'), [OK('stripe')], quiet);
  expect(stripe!.oldestUnreportedHour).toBe('2026-10-31T23');
});

test("a month's status holds its own reports, not the open work folded into them", async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING], quiet);
  await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z'), [OK('stripe')], quiet);
  const status = await store.read<{ sinks: Record<string, { outcome: string }> }>(SINK_STATUS_LEDGER, '2026-11');
  expect(status?.body.sinks.stripe?.outcome).toBe('ok');
});

test('a dry run writes no status but still shows the open work', async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z', { dryRun: true }), [PENDING], quiet);
  expect(await store.read(SINK_STATUS_LEDGER, '2026-10')).toBeUndefined();
  await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [PENDING], quiet);
  expect((await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z', { dryRun: true }), [OK('stripe')], quiet))[0]!.outcome).toBe('partial');
});

test('a status that cannot be written or read is a problem of every sink, never a failed run', async () => {
  const store = new MemoryLedgerStore();
  store.failWrites = 1;
  const [written] = await withOpenWork(store, run('2026-10', '2026-11-03T23:10:00Z'), [OK('stripe')], quiet);
  expect(written!.outcome).toBe('partial');
  expect(written!.problems[0]!.message).toMatch(/^could not record the sinks' status of 2026-10: .*write failed/);
  await store.write(SINK_STATUS_LEDGER, '2026-10', { format: 'other' }, undefined);
  const [read] = await withOpenWork(store, run('2026-11', '2026-11-06T10:10:00Z'), [OK('stripe')], quiet);
  expect(read!.problems[0]!.message).toMatch(/^could not read the sinks' status of earlier months: .*2026-10\.json is not a sink status document/);
});

test('a month whose last run came before its late window closed stays open once it is final, though that run was ok', async () => {
  const store = new MemoryLedgerStore();
  await withOpenWork(store, run('2026-10', '2026-11-01T05:10:00Z'), [OK('stripe')], quiet);
  const early = await withOpenWork(store, run('2026-11', '2026-11-02T10:10:00Z'), [OK('stripe')], quiet);
  expect(early[0]!.outcome).toBe('ok');
  const [late] = await withOpenWork(store, run('2026-11', '2026-11-04T10:10:00Z'), [OK('stripe')], quiet);
  expect(late!.outcome).toBe('partial');
  expect(late!.oldestUnreportedHour).toBe('2026-10-31T23');
  expect(late!.problems[0]!.message).toMatch(/^2026-10 is still open for sink stripe: no run of it since its late window closed/);
  await withOpenWork(store, run('2026-10', '2026-11-04T11:00:00Z'), [OK('stripe')], quiet);
  expect((await withOpenWork(store, run('2026-11', '2026-11-04T11:10:00Z'), [OK('stripe')], quiet))[0]!.outcome).toBe('ok');
});
