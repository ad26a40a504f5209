/**
 * Reconciliation: per customer and day, requests counted from the CloudFront logs (hourly rollups,
 * summed over the customer's keys with the attribution of ../customers.ts) against API Gateway's
 * own usage-plan counters (GetUsage, summed over the customer's API Gateway key ids in every usage
 * plan of the deployment file, so keys that changed plan this month count once each). Two figures come out:
 * - per customer, month to date, billable requests in the logs minus API Gateway's count (the report's
 *   `reconciliation.keys`; a figure to read, not alarmed);
 * - for the environment, on the month's last complete UTC day, the share of API Gateway's metered
 *   requests the logs miss (LogShortfallPercent, alarmed): the loud signal when logs stop reaching
 *   the billing record (docs/monitoring.md).
 *
 * GetUsage (https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html): usagePlanId,
 * startDate and endDate (YYYY-MM-DD, both included), optional keyId, `limit` (default 25, max 500)
 * and `position` for the next page. The response's `values` (the SDK's `items`) maps each API key
 * id to daily [used, remaining] pairs, one per day from startDate
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-usage-plan-manage-usage.html:
 * an export from August 1 to 3 holds three pairs). We read `used` as that day's count.
 * Not verifiable from AWS's documentation: that API Gateway's days are UTC days (a public Q&A says
 * so) and how pages split a key's days; pages are read as consecutive days per key.
 *
 * Like with like. API Gateway counts requests it metered against the key: every request that
 * reached the usage plan, whatever the handler answered (4xx and 5xx included), not the edge's own
 * 403s nor API Gateway's 429s (throttle, quota). Billable requests (200-399) are therefore at most
 * API Gateway's count. The shortfall compares API Gateway's count with every log record of the
 * customers' keys with a status from 200 to 599: without log loss that is at least API Gateway's
 * count (it adds the 429s), so any shortfall beyond rounding is lost or unattributed logs. A loss
 * smaller than the day's 429s can hide behind them; a log record's day is its partition hour's day.
 */
import { GetUsageCommand, type APIGatewayClient, type GetUsageCommandInput, type GetUsageCommandOutput } from '@aws-sdk/client-api-gateway';
import { monthBounds } from '../../sql/hours';
import { rowFigures, type BilledCustomer, type CustomerKey } from '../customers';
import type { HourlyUsageRow } from '../types';
import type { MonthUsage } from '../month-figures';
import type { KeyReconciliation, LogShortfall, Reconciliation } from '../usage-publisher';
import type { Reconciler } from './cloudwatch-publisher';
import { awsErrorCode, DEFAULT_BACKOFF, RetriesExhaustedError, withBackoff, type BackoffOptions } from './retry';

export interface ApiGatewayUsageApi {
  getUsage(input: GetUsageCommandInput): Promise<Pick<GetUsageCommandOutput, 'items' | 'position'>>;
}

export function apiGatewayUsageApi(client: APIGatewayClient): ApiGatewayUsageApi {
  return { getUsage: (input) => client.send(new GetUsageCommand(input)) };
}

export interface DayReconciliation {
  /** UTC day 'YYYY-MM-DD'. */
  readonly date: string;
  /** Billable requests (200-399) in the logs. */
  readonly logRequests: number;
  /** Records with a status from 200 to 599 in the logs (what the shortfall compares). */
  readonly logMeteredRequests: number;
  readonly apiGatewayRequests: number;
  /** logRequests - apiGatewayRequests */
  readonly gap: number;
}

/** Month to date (the report's reconciliation.keys entry) plus each day. */
export interface KeyReconciliationReport extends KeyReconciliation {
  readonly days: readonly DayReconciliation[];
}

/** A customer as reconciliation sees it: its id and keys (fingerprints, stop hours, API Gateway ids). */
export type ReconciledCustomer = Pick<BilledCustomer, 'id' | 'keys'>;

const DAY_MS = 86_400_000;
const GET_USAGE_PAGE_LIMIT = 500;

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Days of `month` from its first day to `today` (UTC), both included, capped at the month's end. */
export function reconciliationDays(month: string, today: Date): string[] {
  const { first, next } = monthBounds(month);
  const start = new Date(`${first.slice(0, 10)}T00:00:00Z`).getTime();
  const end = Math.min(new Date(`${next.slice(0, 10)}T00:00:00Z`).getTime() - DAY_MS, Date.parse(`${isoDay(today)}T00:00:00Z`));
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(isoDay(new Date(t)));
  return days;
}

/**
 * Requests per day of `month` from rollup rows of a customer's keys: billable ones, or with `count`
 * another figure (../customers.ts rowFigures). A row's day is its partition hour's day; rows of `month` found in a
 * neighbouring month's partition (a request that finished just across midnight) count on the
 * month's first or last day.
 */
export function dailyLogRequests(
  rows: readonly HourlyUsageRow[],
  month: string,
  keys: readonly CustomerKey[],
  days: readonly string[],
  count: (figures: ReturnType<typeof rowFigures>) => number = (f) => f.requests,
): Map<string, number> {
  const perDay = new Map<string, number>(days.map((d) => [d, 0]));
  const byFingerprint = new Map(keys.map((k) => [k.fingerprint, k]));
  const firstDay = `${month}-01`;
  const lastDay = days[days.length - 1];
  for (const row of rows) {
    const key = row.apikeyFp === null ? undefined : byFingerprint.get(row.apikeyFp);
    if (row.month !== month || key === undefined) continue;
    let day = row.hour.slice(0, 10);
    if (day < firstDay) day = firstDay;
    if (!perDay.has(day)) day = lastDay ?? day; // the next month's partition, or after today
    perDay.set(day, (perDay.get(day) ?? 0) + count(rowFigures(row, key)));
  }
  return perDay;
}

/** API Gateway's daily `used` counts of every key of a usage plan over [days[0], days[last]]. */
export async function apiGatewayDailyUsage(
  api: ApiGatewayUsageApi,
  usagePlanId: string,
  days: readonly string[],
  backoff: BackoffOptions = DEFAULT_BACKOFF,
): Promise<Map<string, Map<string, number>>> {
  const perKey = new Map<string, number[]>();
  let position: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await withBackoff(
      `API Gateway GetUsage of usage plan ${usagePlanId}`,
      () =>
        api.getUsage({
          usagePlanId,
          startDate: days[0],
          endDate: days[days.length - 1],
          limit: GET_USAGE_PAGE_LIMIT,
          ...(position !== undefined ? { position } : {}),
        }),
      backoff,
    ).catch((error: unknown) => {
      if (error instanceof RetriesExhaustedError) throw error; // already names the operation
      throw new Error(
        `API Gateway GetUsage of usage plan ${usagePlanId} failed: ${awsErrorCode(error) ?? 'error'}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    for (const [keyId, entries] of Object.entries(page.items ?? {})) {
      const used = perKey.get(keyId) ?? [];
      for (const entry of entries) {
        const value = entry[0];
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new Error(`API Gateway GetUsage of usage plan ${usagePlanId} returned ${JSON.stringify(entry)} for key ${keyId}, not [used, remaining]`);
        }
        used.push(value);
      }
      perKey.set(keyId, used);
    }
    position = page.position;
    if (position !== undefined) {
      if (seen.has(position)) throw new Error(`API Gateway GetUsage of usage plan ${usagePlanId} returned the same position twice`);
      seen.add(position);
    }
  } while (position !== undefined);

  const result = new Map<string, Map<string, number>>();
  for (const [keyId, used] of perKey) {
    if (used.length > days.length) {
      throw new Error(`API Gateway GetUsage of usage plan ${usagePlanId} returned ${used.length} days for key ${keyId}, more than the ${days.length} asked`);
    }
    result.set(keyId, new Map(days.map((d, i) => [d, used[i] ?? 0])));
  }
  return result;
}

/** Per customer and day: logs vs API Gateway, and the month-to-date gap. */
export async function reconcileMonth(options: {
  readonly api: ApiGatewayUsageApi;
  readonly customers: readonly ReconciledCustomer[];
  /** Every usage plan id of the environment (the deployment file's usagePlans). */
  readonly usagePlanIds: readonly string[];
  readonly month: string;
  readonly rows: readonly HourlyUsageRow[];
  readonly today: Date;
  readonly backoff?: BackoffOptions;
}): Promise<KeyReconciliationReport[]> {
  const days = reconciliationDays(options.month, options.today);
  if (days.length === 0) throw new Error(`cannot reconcile ${options.month}: it starts after ${isoDay(options.today)}`);
  const usageByPlan: Map<string, Map<string, number>>[] = [];
  for (const plan of [...new Set(options.usagePlanIds)]) usageByPlan.push(await apiGatewayDailyUsage(options.api, plan, days, options.backoff));
  const gatewayCount = (keys: readonly CustomerKey[], date: string): number => {
    let sum = 0;
    for (const key of keys) {
      if (key.apiKeyId === undefined) continue;
      for (const plan of usageByPlan) sum += plan.get(key.apiKeyId)?.get(date) ?? 0;
    }
    return sum;
  };

  return options.customers.map((customer) => {
    const logs = dailyLogRequests(options.rows, options.month, customer.keys, days);
    const logsMetered = dailyLogRequests(options.rows, options.month, customer.keys, days, (f) => f.metered);
    const dayReports = days.map((date) => {
      const logRequests = logs.get(date) ?? 0;
      const apiGatewayRequests = gatewayCount(customer.keys, date);
      return { date, logRequests, logMeteredRequests: logsMetered.get(date) ?? 0, apiGatewayRequests, gap: logRequests - apiGatewayRequests };
    });
    const logRequests = dayReports.reduce((s, d) => s + d.logRequests, 0);
    const apiGatewayRequests = dayReports.reduce((s, d) => s + d.apiGatewayRequests, 0);
    return { id: customer.id, logRequests, apiGatewayRequests, gap: logRequests - apiGatewayRequests, days: dayReports };
  });
}

/** The month's last complete UTC day up to `runTime` ('YYYY-MM-DD'), or null when it has none yet. */
export function lastCompleteDay(month: string, runTime: Date): string | null {
  const yesterday = isoDay(new Date(Date.parse(`${isoDay(runTime)}T00:00:00Z`) - DAY_MS));
  const days = reconciliationDays(month, new Date(`${yesterday}T00:00:00Z`));
  return days.length > 0 ? days[days.length - 1] : null;
}

/** The environment's shortfall on `day`: every key's API Gateway count against its log records with a 2xx-5xx status. */
export function logShortfall(reports: readonly KeyReconciliationReport[], day: string, minRequests: number): LogShortfall {
  let apiGatewayRequests = 0;
  let logRequests = 0;
  for (const report of reports) {
    const d = report.days.find((x) => x.date === day);
    apiGatewayRequests += d?.apiGatewayRequests ?? 0;
    logRequests += d?.logMeteredRequests ?? 0;
  }
  const shortfallPercent = apiGatewayRequests >= minRequests ? (100 * Math.max(0, apiGatewayRequests - logRequests)) / apiGatewayRequests : null;
  return { day, apiGatewayRequests, logRequests, shortfallPercent };
}

/**
 * The Reconciler the CloudWatch publisher calls: it reads the month's rollup rows (the same rows
 * the published figures were summed from) and asks API Gateway for each usage plan.
 */
export class ApiGatewayReconciler implements Reconciler {
  constructor(
    private readonly api: ApiGatewayUsageApi,
    private readonly customers: readonly ReconciledCustomer[],
    private readonly usagePlanIds: readonly string[],
    /** The month's rollup rows of the partition hours up to `runTime`. */
    private readonly monthRows: (month: string, runTime: Date) => Promise<readonly HourlyUsageRow[]>,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    /** API Gateway requests on the compared day below which no shortfall is computed (monitoring.logShortfallMinRequests). */
    private readonly minRequests: number = 1,
  ) {}

  async reconcile(usage: MonthUsage, runTime: Date): Promise<Reconciliation> {
    const rows = await this.monthRows(usage.month, runTime);
    const reports = await reconcileMonth({
      api: this.api,
      customers: this.customers,
      usagePlanIds: this.usagePlanIds,
      month: usage.month,
      rows,
      today: runTime,
      backoff: this.backoff,
    });
    // The figures the run publishes and the rows reconciled must be the same data.
    for (const report of reports) {
      const published = usage.keys.find((k) => k.id === report.id);
      if (published !== undefined && published.requests !== report.logRequests) {
        throw new Error(
          `customer ${report.id}: rollups hold ${report.logRequests} billable requests but the run computed ${published.requests}; rerun the job`,
        );
      }
    }
    const day = lastCompleteDay(usage.month, runTime);
    return {
      keys: reports.map((r) => ({ id: r.id, logRequests: r.logRequests, apiGatewayRequests: r.apiGatewayRequests, gap: r.gap })),
      lastCompleteDay: day === null ? null : logShortfall(reports, day, this.minRequests),
    };
  }
}
