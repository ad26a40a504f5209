/** The opening summary of the next month: its content, and that no run in that month or later writes one. */
import { parseCustomerUsageSummary } from '../contracts/customer-usage';
import { monthAfter, openingCustomerUsageSummary } from './opening-summary';

const customers = [
  { id: 'acme', plan: 'pro', quota: 2_000 },
  { id: 'newco', plan: 'basic', quota: 500 },
];
const opening = (month: string, now: string) =>
  openingCustomerUsageSummary({ environment: 'test', month, customers, thresholds: [80, 100], now: new Date(now) });

test("every registry customer at zero with its plan's quota, not reported, as of the run, marked opening", () => {
  const summary = opening('2026-11', '2026-11-30T23:17:00.000Z');
  expect(summary).toEqual({
    format: 1,
    environment: 'test',
    month: '2026-12',
    status: 'month-to-date',
    asOf: '2026-11-30T23:17:00.000Z',
    opening: true,
    quotaThresholds: [80, 100],
    customers: {
      acme: expect.objectContaining({ customerId: 'acme', plan: 'pro', requests: 0, bytesOut: 0, quota: 2_000, remaining: 2_000, estimatedCharges: null }),
      newco: expect.objectContaining({ customerId: 'newco', plan: 'basic', requests: 0, quota: 500, remaining: 500, thresholdsReached: [] }),
    },
    planQuotas: { pro: 2_000, basic: 500 },
  });
  // What the job writes is what GET /usage reads.
  expect(parseCustomerUsageSummary(JSON.stringify(summary), 'opening', 'test')).toEqual(summary);
  expect(() => parseCustomerUsageSummary(JSON.stringify({ ...summary, opening: false }), 'opening', 'test')).toThrow('opening has an opening that is not true');
});

test.each([
  ['a run early in the month', '2026-11-01T00:17:00.000Z', '2026-12'],
  ['the last run of the month', '2026-11-30T23:59:59.999Z', '2026-12'],
  ['December opens January of the next year', '2026-12-15T10:17:00.000Z', '2027-01'],
] as const)('%s writes one', (_what, now, next) => {
  const month = now.slice(0, 7);
  expect(opening(month, now)?.month).toBe(next);
});

test.each([
  ['at 00:00 on the 1st of the next month', '2026-12-01T00:00:00.000Z'],
  ['on the 3rd of the next month (whose own summary exists by then)', '2026-12-03T05:17:00.000Z'],
  ['months later', '2027-03-01T00:00:00.000Z'],
] as const)('a run of 2026-11 %s writes none', (_what, now) => {
  expect(opening('2026-11', now)).toBeUndefined();
});

test('a month that is not YYYY-MM: one line naming it', () => {
  expect(() => monthAfter('2026-13')).toThrow('opening summary: month must look like 2026-11, got "2026-13"');
});
