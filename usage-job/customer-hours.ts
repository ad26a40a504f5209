/**
 * Per-customer hourly figures for the sinks (sinks/sink.ts): the month's rollup rows attributed
 * as month-usage.ts does (customers.ts), summed per customer and usage hour.
 *
 * The usage hour is the row's partition hour, moved into the month the row is billed in: a row of
 * the month's first partition hour minus one (a record whose `date` is already this month) goes to
 * the month's first hour, and a row of the next month's first partition hour (a request that
 * finished just after midnight but is dated this month) goes to the month's last hour. So every
 * figure a sink reports lies inside the month it is invoiced in.
 */
import { addHours, monthBounds, type HourId } from '../sql/hours';
import { fingerprintIndex, rowFigures, type BilledCustomer } from './customers';
import type { CustomerHourFigures } from './sinks/sink';
import type { HourlyUsageRow } from './types';

export function usageHourOf(row: Pick<HourlyUsageRow, 'hour' | 'month'>): HourId {
  const { first, next } = monthBounds(row.month);
  if (row.hour < first) return first;
  if (row.hour >= next) return addHours(next, -1);
  return row.hour;
}

export function customerHours(month: string, rows: readonly HourlyUsageRow[], customers: readonly BilledCustomer[]): CustomerHourFigures[] {
  const index = fingerprintIndex(customers);
  const sums = new Map<string, { customerId: string; hour: HourId; requests: number; bytesOut: number }>();
  for (const row of rows) {
    if (row.month !== month || row.apikeyFp === null) continue;
    const owner = index.get(row.apikeyFp);
    if (owner === undefined) continue;
    const figures = rowFigures(row, owner.key);
    if (figures.requests === 0 && figures.bytesOut === 0) continue;
    const hour = usageHourOf(row);
    const id = `${hour}\u0000${owner.customer.id}`;
    const sum = sums.get(id) ?? { customerId: owner.customer.id, hour, requests: 0, bytesOut: 0 };
    sum.requests += figures.requests;
    sum.bytesOut += figures.bytesOut;
    sums.set(id, sum);
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, figures]) => figures);
}
