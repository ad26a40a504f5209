/** A key registry, a customer usage summary and an in-memory source for the GET /usage tests. */
import { apiKeyFingerprint } from '../../../contracts/api-key';
import type { CustomerUsage, CustomerUsageSummary } from '../../../contracts/customer-usage';
import type { CustomerRecord, KeyRecord, RegistryDocument } from '../../../keys/registry';
import type { ProxyEvent } from '../http';
import type { UsageSource } from '../usage-source';
import { restProxyEvent } from './rest-proxy-event';

export const ENVIRONMENT = 'test';
export const NOW = new Date('2026-11-20T10:30:00Z');
export const KEY_A = 'acme-key-value-0123456789abcdef';
export const KEY_B = 'globex-key-value-0123456789abcdef';

export function key(value: string, fields: Partial<KeyRecord> = {}): KeyRecord {
  return { fingerprint: apiKeyFingerprint(value), apiKeyName: `k-${value.slice(0, 8)}`, state: 'active', createdAt: '2026-11-01T00:00:00Z', ...fields };
}

export function customer(id: string, keys: readonly KeyRecord[], fields: Partial<CustomerRecord> = {}): CustomerRecord {
  return { id, customer: id.toUpperCase(), plan: 'basic', createdAt: '2026-11-01T00:00:00Z', billing: {}, origin: 'cli', keys, ...fields };
}

export function registry(...customers: CustomerRecord[]): RegistryDocument {
  return {
    format: 1,
    environment: ENVIRONMENT,
    revision: 3,
    updatedAt: '2026-11-01T00:00:00Z',
    customers: Object.fromEntries(customers.map((c) => [c.id, c])),
  };
}

export function usage(customerId: string, requests: number, bytesOut: number, quota = 1000): CustomerUsage {
  return {
    customerId,
    plan: 'basic',
    requests,
    bytesOut,
    rejected: 1,
    errors: 0,
    quota,
    remaining: Math.max(0, quota - requests),
    quotaUsedPercent: (100 * requests) / quota,
    thresholdsReached: [],
    estimatedCharges: null,
  };
}

export function summary(month: string, asOf: string, ...entries: CustomerUsage[]): CustomerUsageSummary {
  return {
    format: 1,
    environment: ENVIRONMENT,
    month,
    status: 'month-to-date',
    asOf,
    quotaThresholds: [80, 100],
    customers: Object.fromEntries(entries.map((e) => [e.customerId, e])),
  };
}

/** A source over fixed documents that counts its reads. */
export function memorySource(doc: RegistryDocument, summaries: readonly CustomerUsageSummary[]): UsageSource & { reads: number } {
  const source = {
    reads: 0,
    async registry() {
      source.reads += 1;
      return doc;
    },
    async summary(month: string) {
      source.reads += 1;
      return summaries.find((s) => s.month === month);
    },
  };
  return source;
}

export function usageEvent(apiKey: string | null, headers: Record<string, string> = {}): ProxyEvent {
  const event = restProxyEvent({ path: '/usage', headers });
  const single = { ...(event.headers as Record<string, string>) };
  const multi = { ...(event.multiValueHeaders as Record<string, string[]>) };
  delete single['x-api-key'];
  delete multi['x-api-key'];
  if (apiKey !== null) {
    single['x-api-key'] = apiKey;
    multi['x-api-key'] = [apiKey];
  }
  // API Gateway validates no key on a keyless method and attaches no key id.
  return { ...event, headers: single, multiValueHeaders: multi, requestContext: { ...event.requestContext, identity: {} } };
}
