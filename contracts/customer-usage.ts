/**
 * The customer usage summary (docs/customer-usage.md): one JSON object per environment and month
 * that the usage job writes after each run and GET /usage reads with one GET. Keyed by customer id
 * (the registry's); it holds figures, never a key value and never a fingerprint, so it cannot be
 * used to look a customer up by its key: that goes through the key registry.
 */
import type { Charges } from './prices';
import { isRecord } from './json';

/** Where the summary of `month` lives: under this prefix of the usage bucket (or the local state folder). */
export const CUSTOMER_USAGE_PREFIX = 'customer-usage/';

export function customerUsageObjectKey(month: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`customer usage: month must look like 2026-11, got ${JSON.stringify(month)}`);
  return `${CUSTOMER_USAGE_PREFIX}${month}.json`;
}

/** One customer's month-to-date figures: what GET /usage answers (plus month, status and asOf). */
export interface CustomerUsage {
  readonly customerId: string;
  readonly plan: string;
  /** Billable requests (status 200-399), summed over the customer's keys; GET /usage lookups excluded. */
  readonly requests: number;
  /** Bytes sent to viewers by billable requests. */
  readonly bytesOut: number;
  /** Requests answered 400-499 and 500-599: never billed. */
  readonly rejected: number;
  readonly errors: number;
  /** The plan's monthly quota (requests). */
  readonly quota: number;
  /** max(0, quota - requests). */
  readonly remaining: number;
  readonly quotaUsedPercent: number;
  /** The environment's quota thresholds (percent) this customer has reached, ascending. */
  readonly thresholdsReached: readonly number[];
  /** The estimate at the plan's prices with the tier breakdown; null when the plan has no price. */
  readonly estimatedCharges: (Charges & { readonly currency: string }) | null;
}

/** A customer's figures before any usage of the month is counted; nothing is estimated yet. */
export function zeroUsage(customerId: string, plan: string, quota: number): CustomerUsage {
  return {
    customerId,
    plan,
    requests: 0,
    bytesOut: 0,
    rejected: 0,
    errors: 0,
    quota,
    remaining: quota,
    quotaUsedPercent: 0,
    thresholdsReached: [],
    estimatedCharges: null,
  };
}

export interface CustomerUsageSummary {
  readonly format: 1;
  readonly environment: string;
  readonly month: string;
  /** `final` once no hour of the month is recomputed; `month-to-date` before (figures can grow). */
  readonly status: 'final' | 'month-to-date';
  /** The run's time: figures count the log files delivered and listed by then (ISO 8601 UTC). */
  readonly asOf: string;
  /**
   * Written ahead by the previous month's runs (usage-job/opening-summary.ts): every registry
   * customer at zero, no run of this month has reported yet. Absent in a summary of a run of the month.
   */
  readonly opening?: true;
  readonly quotaThresholds: readonly number[];
  readonly customers: Readonly<Record<string, CustomerUsage>>;
  /**
   * The monthly quota of every plan a customer of the run's registry is on: GET /usage answers the
   * next month's zeros with it before that month's first run, also for a customer new since then.
   * Absent in summaries written before it existed.
   */
  readonly planQuotas?: Readonly<Record<string, number>>;
}

/** Reads a summary document; one line naming what is wrong otherwise. */
export function parseCustomerUsageSummary(text: string, location: string, environment: string): CustomerUsageSummary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${location} is not valid JSON`);
  }
  if (!isRecord(parsed) || parsed.format !== 1) throw new Error(`${location} is not a customer usage summary of format 1`);
  if (parsed.environment !== environment) throw new Error(`${location} belongs to environment ${JSON.stringify(parsed.environment)}, not ${environment}`);
  if (typeof parsed.month !== 'string' || typeof parsed.asOf !== 'string' || Number.isNaN(Date.parse(parsed.asOf))) {
    throw new Error(`${location} has no month or no valid asOf`);
  }
  if (!isRecord(parsed.customers) || !Array.isArray(parsed.quotaThresholds)) throw new Error(`${location} has no customers or no quotaThresholds`);
  if (parsed.opening !== undefined && parsed.opening !== true) throw new Error(`${location} has an opening that is not true`);
  if (parsed.planQuotas !== undefined && (!isRecord(parsed.planQuotas) || !Object.values(parsed.planQuotas).every((q) => typeof q === 'number')))
    throw new Error(`${location} has planQuotas that are not a number per plan`);
  return parsed as unknown as CustomerUsageSummary;
}
