/**
 * GET /usage: the caller's own month-to-date usage (docs/customer-usage.md). The route requires no
 * API key in API Gateway, so a lookup never uses quota; the handler authenticates the key itself:
 * the fingerprint of the one x-api-key header (contracts/api-key.ts) must be an active key, or a
 * rotated key before its grace deadline, of a customer the key registry has not revoked. The
 * figures are that customer's entry of the month's summary, found by the registry's customer id:
 * nothing the caller sends chooses whose entry is read.
 */
import { API_KEY_HEADER, apiKeyFingerprint, isWellFormedApiKey } from '../../contracts/api-key';
import { zeroUsage } from '../../contracts/customer-usage';
import type { CustomerRecord, RegistryDocument } from '../../keys/registry';
import { errorResponse, jsonResponse, singleHeader, type ProxyEvent, type ProxyHandler, type ProxyResult } from './http';
import { log } from './logger';
import { proxyHandler, type Route } from './proxy-handler';
import { usageSourceFromEnvironment, type UsageSource } from './usage-source';

export const route: Route = {
  method: 'GET',
  path: '/usage',
  apiKeyRequired: false,
  // For every caller together (no usage plan applies to a keyless method); the edge admits only known keys.
  throttle: { rateLimit: 20, burstLimit: 40 },
};

const NO_STORE = { 'cache-control': 'no-store' };

/** The customer whose live key has this fingerprint; undefined for unknown, revoked or expired keys. */
export function customerOfKey(doc: RegistryDocument, fingerprint: string, now: Date): CustomerRecord | undefined {
  for (const customer of Object.values(doc.customers)) {
    const key = customer.keys.find((k) => k.fingerprint === fingerprint);
    if (key === undefined) continue;
    if (customer.revokedAt !== undefined) return undefined;
    if (key.state === 'active') return customer;
    if (key.state === 'grace' && key.graceUntil !== undefined && now.getTime() < Date.parse(key.graceUntil)) return customer;
    return undefined;
  }
  return undefined;
}

function unavailable(reason: string): ProxyResult {
  log('warn', 'usage lookup unavailable', { reason });
  return errorResponse(503, 'Usage is not available right now; retry in a few minutes', { ...NO_STORE, 'retry-after': '300' });
}

export async function lookUpUsage(event: ProxyEvent, source: UsageSource | undefined, now: Date): Promise<ProxyResult> {
  const key = singleHeader(event, API_KEY_HEADER);
  if (key === undefined || !isWellFormedApiKey(key)) return errorResponse(403, 'Forbidden', NO_STORE);
  if (source === undefined) return unavailable('USAGE_ENVIRONMENT and the registry and summary locations are not set');
  let customer: CustomerRecord | undefined;
  try {
    customer = customerOfKey(await source.registry(), apiKeyFingerprint(key), now);
  } catch (error) {
    return unavailable(`key registry: ${(error as Error).message.split('\n')[0]}`);
  }
  if (customer === undefined) return errorResponse(403, 'Forbidden', NO_STORE);
  const month = now.toISOString().slice(0, 7);
  let summary;
  try {
    summary = await source.summary(month);
  } catch (error) {
    return unavailable(`summary of ${month}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (summary === undefined) return monthNotReportedYet(source, customer, month);
  // A customer made after the summary's run had no usage as of then: zeros, if its plan's quota is known.
  const quota = summary.planQuotas?.[customer.plan];
  const usage = summary.customers[customer.id] ?? (quota === undefined ? undefined : zeroUsage(customer.id, customer.plan, quota));
  if (usage === undefined) return unavailable(`no figures of ${month} for customer ${customer.id} and no quota of plan ${customer.plan} yet`);
  return jsonResponse(
    200,
    {
      month: summary.month,
      status: summary.status,
      asOf: summary.asOf,
      reportedThisMonth: summary.opening !== true,
      ...usage,
      quotaThresholds: summary.quotaThresholds,
    },
    NO_STORE,
  );
}

/** The month before `month` ('YYYY-MM'). */
function previousMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * This month's summary is missing: neither a run of the month nor the previous month's runs (which
 * write its opening summary ahead, usage-job/opening-summary.ts) have written it. Only a reader that
 * may list the bucket sees "missing" (locally, moto); in AWS the GET is a 403 and the answer 503.
 * The month has no counted usage, so the answer is zeros with the quota the customer's plan had in
 * the previous month's summary, `asOf: null` and `reportedThisMonth: false`. That is the
 * customer's own entry when its plan is unchanged, else the summary's quota of its plan
 * (`planQuotas`: a customer new since that run, or moved to another plan). Only a plan that summary
 * does not know gets 503: its quota is not known here.
 */
async function monthNotReportedYet(source: UsageSource, customer: CustomerRecord, month: string): Promise<ProxyResult> {
  const earlier = previousMonth(month);
  let previous;
  try {
    previous = await source.summary(earlier);
  } catch (error) {
    return unavailable(`no summary of ${month} yet, and summary of ${earlier}: ${(error as Error).message.split('\n')[0]}`);
  }
  const last = previous?.customers[customer.id];
  const quota = last !== undefined && last.plan === customer.plan ? last.quota : previous?.planQuotas?.[customer.plan];
  if (previous === undefined || quota === undefined)
    return unavailable(`no summary of ${month} yet, and no quota of plan ${customer.plan} (customer ${customer.id}) in ${earlier}'s`);
  return jsonResponse(
    200,
    {
      month,
      status: 'month-to-date',
      asOf: null,
      reportedThisMonth: false,
      ...zeroUsage(customer.id, customer.plan, quota),
      quotaThresholds: previous.quotaThresholds,
    },
    NO_STORE,
  );
}

/** The deployed handler; `clock` gives each request's time, whose UTC month is answered (tests pass a fixed one). */
export function usageHandler(clock: () => Date = () => new Date()): ProxyHandler {
  let source: UsageSource | undefined;
  let sourceFor: string | undefined;
  return proxyHandler(route, (event) => {
    // Read once per container (the S3 source keeps ETag-cached copies); again if the variables change (tests, local platform).
    const configured = ['USAGE_ENVIRONMENT', 'USAGE_REGISTRY_BUCKET', 'USAGE_REGISTRY_KEY', 'USAGE_SUMMARY_BUCKET', 'USAGE_STATE_DIR']
      .map((name) => process.env[name] ?? '')
      .join('|');
    if (configured !== sourceFor) {
      source = usageSourceFromEnvironment();
      sourceFor = configured;
    }
    return lookUpUsage(event, source, clock());
  });
}

export const handler = usageHandler();
