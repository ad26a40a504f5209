/**
 * The opening summary of the next month (docs/customer-usage.md, "A new month"): every publishing
 * run of month M whose time is before the start of M+1 also writes customer-usage/<M+1>.json with
 * every registry customer at zero, `reportedThisMonth` false (`opening: true`), the plans' quotas
 * and the run's time. So from 00:00 on the 1st until M+1's first run, GET /usage reads an object
 * that exists: in AWS its role has no s3:ListBucket, and S3 answers a GET of a missing key with 403,
 * not 404, to such a caller (GetObject, Permissions:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), which the handler cannot
 * tell from a denied read. A run whose time is in M+1 or later (the previous month's runs continue
 * until the 3rd) writes none: it must not stand in for M+1's real summary.
 */
import { zeroUsage, type CustomerUsageSummary } from '../contracts/customer-usage';
import { hourStart, isMonth, monthBounds } from '../sql/hours';
import type { BilledCustomer } from './customers';

/** The month after `month` ('YYYY-MM') and the instant it starts (00:00 UTC on its 1st). */
export function monthAfter(month: string): { readonly month: string; readonly start: Date } {
  if (!isMonth(month)) throw new Error(`opening summary: month must look like 2026-11, got ${JSON.stringify(month)}`);
  const { next } = monthBounds(month);
  return { month: next.slice(0, 7), start: hourStart(next) };
}

/** The opening summary of the month after `month`, or undefined when the run's time is already in it or later. */
export function openingCustomerUsageSummary(options: {
  readonly environment: string;
  /** The month the run computes. */
  readonly month: string;
  readonly customers: readonly Pick<BilledCustomer, 'id' | 'plan' | 'quota'>[];
  readonly thresholds: readonly number[];
  readonly now: Date;
}): CustomerUsageSummary | undefined {
  const next = monthAfter(options.month);
  if (options.now.getTime() >= next.start.getTime()) return undefined;
  return {
    format: 1,
    environment: options.environment,
    month: next.month,
    status: 'month-to-date',
    asOf: options.now.toISOString(),
    opening: true,
    quotaThresholds: options.thresholds,
    customers: Object.fromEntries(options.customers.map((c) => [c.id, zeroUsage(c.id, c.plan, c.quota)])),
    planQuotas: Object.fromEntries(options.customers.map((c) => [c.plan, c.quota])),
  };
}
