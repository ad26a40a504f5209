/**
 * Month-to-date figures (docs/contracts.md, usage CLI) from hourly rollup rows: summed per
 * customer over its keys, with the attribution rules of customers.ts.
 */
import { fingerprintIndex, rowFigures, type BilledCustomer } from './customers';
import type { HourlyUsageRow } from './types';
import type { KeyMonthUsage, MonthUsage } from './month-figures';

interface Sums {
  requests: number;
  rejected: number;
  errors: number;
  bytesOut: number;
  bytesIn: number;
  rows: number;
}

/**
 * Sums the rows whose `month` (the month of the records' `date`) is `month`. Rows of a known
 * fingerprint go to its customer; every other row (unknown or missing fingerprint), whatever the
 * status, counts as unattributed. Every customer that is not revoked appears, with zeros when it
 * had no traffic; a revoked customer appears in months it had rows.
 */
export function monthUsage(month: string, rows: readonly HourlyUsageRow[], customers: readonly BilledCustomer[]): MonthUsage {
  const index = fingerprintIndex(customers);
  const sums = new Map<string, Sums>(customers.map((c) => [c.id, { requests: 0, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, rows: 0 }]));
  let unattributed = 0;
  let total = 0;
  for (const row of rows) {
    if (row.month !== month) continue;
    total += row.total;
    const owner = row.apikeyFp === null ? undefined : index.get(row.apikeyFp);
    if (owner === undefined) {
      unattributed += row.total;
      continue;
    }
    const s = sums.get(owner.customer.id)!;
    const f = rowFigures(row, owner.key);
    s.requests += f.requests;
    s.rejected += f.rejected;
    s.errors += f.errors;
    s.bytesOut += f.bytesOut;
    s.bytesIn += f.bytesIn;
    s.rows += 1;
  }
  const keyUsage: KeyMonthUsage[] = customers
    .filter((c) => !c.revoked || sums.get(c.id)!.rows > 0)
    .map((c) => {
      const s = sums.get(c.id)!;
      return {
        id: c.id,
        name: c.name,
        requests: s.requests,
        rejected: s.rejected,
        errors: s.errors,
        bytesOut: s.bytesOut,
        bytesIn: s.bytesIn,
        quota: c.quota,
        quotaUsedPercent: (100 * s.requests) / c.quota,
      };
    });
  return { month, keys: keyUsage, unattributed: { requests: unattributed }, totalRequests: total };
}
