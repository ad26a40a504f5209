/**
 * Key registries for tests: a registry document (keys/registry.ts) of customers described in a
 * line each, and the local registry file the DuckDB CLI and the local platform read.
 */
import { writeFileSync } from 'node:fs';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { REGISTRY_FORMAT, type BillingIds, type CustomerRecord, type KeyRecord, type RegistryDocument } from '../../keys/registry';

/** One customer with one key, as a test describes it; its plan is named after its usage plan id. */
export interface TestCustomer {
  readonly id: string;
  readonly customer: string;
  readonly fingerprint: string;
  readonly apiGatewayKeyId: string;
  readonly usagePlanId: string;
  readonly monthlyQuota: number;
  /** Extra keys of the customer (rotated, revoked). */
  readonly otherKeys?: readonly Omit<KeyRecord, 'apiKeyName'>[];
  readonly revokedAt?: string;
  /** Stripe and Marketplace ids (none unless given). */
  readonly billing?: BillingIds;
}

export function registryDocument(environment: string, customers: readonly TestCustomer[], revision = 1): RegistryDocument {
  const at = '2026-10-01T00:00:00.000Z';
  const records: Record<string, CustomerRecord> = {};
  for (const c of customers) {
    const keys: KeyRecord[] = [
      {
        fingerprint: c.fingerprint,
        apiKeyId: c.apiGatewayKeyId,
        apiKeyName: `test-${c.id}`,
        state: c.revokedAt !== undefined ? 'revoked' : 'active',
        createdAt: at,
        ...(c.revokedAt !== undefined ? { revokedAt: c.revokedAt } : {}),
      },
      ...(c.otherKeys ?? []).map((k) => ({ ...k, apiKeyName: `test-${c.id}-${k.fingerprint}` })),
    ];
    records[c.id] = {
      id: c.id,
      customer: c.customer,
      plan: c.usagePlanId,
      createdAt: at,
      billing: c.billing ?? {},
      origin: 'cli',
      keys,
      ...(c.revokedAt !== undefined ? { revokedAt: c.revokedAt } : {}),
    };
  }
  return { format: REGISTRY_FORMAT, environment, revision, updatedAt: at, customers: records };
}

/** A local registry file of customers with one active key each, given by value (fingerprinted here) and plan. */
export function writeRegistryFile(
  path: string,
  environment: string,
  customers: readonly { readonly id: string; readonly name: string; readonly value: string; readonly plan: string; readonly billing?: BillingIds }[],
): void {
  const doc = registryDocument(
    environment,
    customers.map((c, i) => ({
      id: c.id,
      customer: c.name,
      fingerprint: apiKeyFingerprint(c.value),
      apiGatewayKeyId: `k${i}`,
      usagePlanId: c.plan,
      monthlyQuota: 0,
      ...(c.billing !== undefined ? { billing: c.billing } : {}),
    })),
  );
  writeFileSync(path, JSON.stringify(doc, null, 1) + '\n');
}
