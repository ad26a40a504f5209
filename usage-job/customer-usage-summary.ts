/**
 * The customer usage summary a run writes (contracts/customer-usage.ts, docs/customer-usage.md):
 * per customer the month-to-date figures of the run's MonthUsage, its quota and what is left of
 * it, the thresholds reached and the estimated charges at its plan's prices (contracts/prices.ts),
 * and the quota of every plan its registry's customers are on.
 * The same MonthUsage feeds the usage report (/_usage.json, the CLI's JSON), so GET /usage and
 * /_usage.json agree figure for figure.
 */
import type { CustomerUsage, CustomerUsageSummary } from '../contracts/customer-usage';
import { chargesFor, type PriceList } from '../contracts/prices';
import type { BilledCustomer } from './customers';
import { monthStatus } from './month-status';
import type { MonthUsage } from './month-figures';

export function customerUsageSummary(options: {
  readonly environment: string;
  readonly usage: MonthUsage;
  readonly customers: readonly Pick<BilledCustomer, 'id' | 'plan' | 'quota'>[];
  readonly thresholds: readonly number[];
  readonly prices: PriceList;
  readonly now: Date;
  readonly lateWindowHours: number;
}): CustomerUsageSummary {
  const plans = new Map(options.customers.map((c) => [c.id, c.plan]));
  const entries = options.usage.keys.map((k): [string, CustomerUsage] => {
    const plan = plans.get(k.id);
    if (plan === undefined) throw new Error(`customer usage summary: customer "${k.id}" of the usage has no registry record`);
    const price = options.prices.plans[plan];
    return [
      k.id,
      {
        customerId: k.id,
        plan,
        requests: k.requests,
        bytesOut: k.bytesOut,
        rejected: k.rejected,
        errors: k.errors,
        quota: k.quota,
        remaining: Math.max(0, k.quota - k.requests),
        quotaUsedPercent: k.quotaUsedPercent,
        thresholdsReached: options.thresholds.filter((t) => k.quotaUsedPercent >= t),
        estimatedCharges: price === undefined ? null : { currency: options.prices.currency, ...chargesFor(price, k) },
      },
    ];
  });
  return {
    format: 1,
    environment: options.environment,
    month: options.usage.month,
    status: monthStatus(options.usage.month, options.now, options.lateWindowHours),
    asOf: options.now.toISOString(),
    quotaThresholds: options.thresholds,
    customers: Object.fromEntries(entries),
    planQuotas: Object.fromEntries(options.customers.map((c) => [c.plan, c.quota])),
  };
}
