/** Month-to-date figures (docs/contracts.md, usage CLI) from hourly rollup rows: sum per configured key. */
import type { ConfiguredKey } from './configured-keys';
import type { HourlyUsageRow } from './types';
import type { KeyMonthUsage, MonthUsage } from './usage-publisher';

/**
 * Sums the rows whose `month` (the month of the records' `date`) is `month`. Rows of known
 * fingerprints go to their key; every other row (unknown or missing fingerprint), whatever the
 * status, counts as unattributed. Every configured key appears, with zeros when it had no traffic.
 */
export function monthUsage(month: string, rows: readonly HourlyUsageRow[], keys: readonly ConfiguredKey[]): MonthUsage {
  const byFingerprint = new Map<string, { requests: number; rejected: number; errors: number; bytesOut: number; bytesIn: number }>();
  for (const key of keys) byFingerprint.set(key.fingerprint, { requests: 0, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0 });
  let unattributed = 0;
  let total = 0;
  for (const row of rows) {
    if (row.month !== month) continue;
    total += row.total;
    const sums = row.apikeyFp === null ? undefined : byFingerprint.get(row.apikeyFp);
    if (!sums) {
      unattributed += row.total;
      continue;
    }
    sums.requests += row.requests;
    sums.rejected += row.rejected;
    sums.errors += row.errors;
    sums.bytesOut += row.bytesOut;
    sums.bytesIn += row.bytesIn;
  }
  const keyUsage: KeyMonthUsage[] = keys.map((key) => {
    const s = byFingerprint.get(key.fingerprint)!;
    return {
      id: key.id,
      name: key.name,
      requests: s.requests,
      rejected: s.rejected,
      errors: s.errors,
      bytesOut: s.bytesOut,
      bytesIn: s.bytesIn,
      quota: key.quota,
      quotaUsedPercent: (100 * s.requests) / key.quota,
    };
  });
  return { month, keys: keyUsage, unattributed: { requests: unattributed }, totalRequests: total };
}
