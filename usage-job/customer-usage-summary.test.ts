/**
 * The customer usage summary of a run: the same figures as the usage report (/_usage.json), the
 * quota left, the thresholds reached and the estimate at the plan's tiered prices with its tiers.
 */
import type { PriceList } from '../contracts/prices';
import { customerUsageSummary } from './customer-usage-summary';
import { usageReport } from './usage-report';
import type { MonthUsage } from './month-figures';

const usage: MonthUsage = {
  month: '2026-11',
  keys: [
    { id: 'acme', name: 'Acme', requests: 1_500, rejected: 2, errors: 1, bytesOut: 2_500_000_000, bytesIn: 9, quota: 2_000, quotaUsedPercent: 75 },
    { id: 'globex', name: 'Globex', requests: 2_100, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 2_000, quotaUsedPercent: 105 },
  ],
  unattributed: { requests: 4 },
  totalRequests: 3_608,
};
const customers = [
  { id: 'acme', plan: 'pro', quota: 2_000 },
  { id: 'globex', plan: 'legacy', quota: 2_000 },
  // Revoked, no traffic this month: no entry, but its plan's quota is still one of record.
  { id: 'initech', plan: 'enterprise', quota: 50_000 },
];
const prices: PriceList = {
  currency: 'EUR',
  plans: {
    pro: {
      requests: {
        mode: 'graduated',
        unitSize: 1000,
        includedUnits: 200,
        tiers: [
          { upTo: 1000, unitPrice: 2 },
          { upTo: null, unitPrice: 1, flatFee: 5 },
        ],
      },
      gbOut: {
        mode: 'volume',
        unitSize: 1,
        tiers: [
          { upTo: 1, unitPrice: 0.5 },
          { upTo: null, unitPrice: 0.25 },
        ],
      },
    },
  },
};
const build = (now = '2026-11-20T10:00:00Z') =>
  customerUsageSummary({ environment: 'dev', usage, customers, thresholds: [80, 100], prices, now: new Date(now), lateWindowHours: 48 });

test('figures, quota and thresholds equal the usage report of the same run; remaining never below 0', () => {
  const summary = build();
  const report = usageReport(usage, { thresholds: [80, 100] });
  for (const k of report.keys) {
    const entry = summary.customers[k.id];
    expect({ requests: entry.requests, bytesOut: entry.bytesOut, quota: entry.quota, thresholdsReached: entry.thresholdsReached }).toEqual({
      requests: k.requests,
      bytesOut: k.bytesOut,
      quota: k.quota,
      thresholdsReached: k.thresholdsReached,
    });
  }
  expect(summary.customers.acme.remaining).toBe(500);
  expect(summary.customers.globex).toMatchObject({ remaining: 0, thresholdsReached: [80, 100] });
});

test('estimated charges carry the tiers: graduated requests after included units, volume GB', () => {
  const charges = build().customers.acme.estimatedCharges!;
  expect(charges.currency).toBe('EUR');
  // 1,500 requests - 200 included = 1,300: 1,000 at 2 per 1,000, 300 at 1 per 1,000 plus a flat 5.
  expect(charges.requests).toMatchObject({ quantity: 1500, includedQuantity: 200, billableQuantity: 1300, amount: 7.3 });
  expect(charges.requests.tiers.map((t) => [t.tier, t.quantity, t.amount])).toEqual([
    [1, 1000, 2],
    [2, 300, 5.3],
  ]);
  // 2.5 GB selects the second volume tier for all of it.
  expect(charges.gbOut.tiers.map((t) => [t.tier, t.quantity, t.amount])).toEqual([[2, 2.5, 0.63]]);
  expect(charges.total).toBe(7.93);
});

test('a plan without a price has no estimate (null), never a made-up one', () => {
  expect(build().customers.globex.estimatedCharges).toBeNull();
});

test('asOf is the run time; status turns final after the month and its late window', () => {
  expect(build()).toMatchObject({ month: '2026-11', asOf: '2026-11-20T10:00:00.000Z', status: 'month-to-date', environment: 'dev' });
  expect(build('2026-12-03T00:00:00Z').status).toBe('final');
  expect(build('2026-12-02T23:00:00Z').status).toBe('month-to-date');
});

test("holds the quota of every plan of the registry's customers, for the next month's answers before its first run", () => {
  expect(build().planQuotas).toEqual({ pro: 2_000, legacy: 2_000, enterprise: 50_000 });
});

test('holds no fingerprint or key: customer ids and figures only', () => {
  expect(Object.keys(build().customers)).toEqual(['acme', 'globex']);
  expect(JSON.stringify(build())).not.toMatch(/[0-9a-f]{16}/);
});
