/**
 * The customers a run attributes traffic to, read from the key registry (keys/registry.ts): per
 * customer its plan's monthly quota and every fingerprint of its keys, never a key value.
 *
 * Attribution (docs/contracts.md, billing semantics; docs/usage-job.md):
 * - a row of a live key (active, in grace before its deadline, pending) counts for its customer as
 *   the logs say: 200-399 billable, 400-499 rejected, 500-599 errors;
 * - a key that stopped (revoked, or its grace ended) counts as before for rollup hours up to the
 *   hour it stopped in (it worked then); rows of later hours count as the customer's rejected
 *   requests, whatever their status, and are never billed (the edge answers 403 to them, so a
 *   2xx there could only be a propagation delay);
 * - a fingerprint the registry does not know, or no fingerprint: unattributed, never billed.
 * Usage, quotas and invoices are per customer, summed over its keys.
 */
import { floorToHour, hourIdOf, type HourId } from '../sql/hours';
import type { BillingIds, RegistryDocument } from '../keys/registry';
import type { HourlyUsageRow } from './types';

export interface CustomerKey {
  readonly fingerprint: string;
  /** The partition hour the key stopped working in (revoked or grace ended); later hours are never billed. */
  readonly stoppedInHour?: HourId;
  /** API Gateway's id of the key, for GetUsage (absent before a create finished). */
  readonly apiKeyId?: string;
}

export interface BilledCustomer {
  /** The registry's customer id: the metric dimension, the invoice line's key id. */
  readonly id: string;
  readonly name: string;
  readonly plan: string;
  /** The plan's monthly quota (per customer, however many keys it has). */
  readonly quota: number;
  /** Revoked customers are reported only in months they had traffic. */
  readonly revoked: boolean;
  readonly keys: readonly CustomerKey[];
  /** The registry's billing ids (Stripe customer, AWS Marketplace account and license): what the sinks bill. */
  readonly billing: BillingIds;
}

/** Which registry revision a run attributed with: stored in the manifest and printed in the run summary. */
export interface RegistryRevision {
  /** s3://bucket/key or a file path. */
  readonly location: string;
  /** The document's own revision counter. */
  readonly revision: number;
  /** S3 ETag, or the file content's SHA-256 (absent: no registry yet, no customers). */
  readonly etag?: string;
  /** S3 VersionId of the object read (versioned bucket). */
  readonly versionId?: string;
}

export interface Customers {
  readonly customers: readonly BilledCustomer[];
  readonly registry: RegistryRevision;
}

export class CustomersError extends Error {}

function stopHour(at: string | undefined): HourId | undefined {
  if (at === undefined) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : hourIdOf(floorToHour(new Date(t)));
}

/**
 * Customers of a registry document with their plans' quotas (`plans`: the deployment file's usage
 * plans in AWS, the environment's config locally). A plan the registry names but `plans` lacks
 * fails the run: its quota is unknown, and guessing it would publish wrong alarms.
 */
export function customersFromRegistry(
  doc: RegistryDocument,
  plans: Readonly<Record<string, { readonly monthlyQuota: number }>>,
  location: string,
): BilledCustomer[] {
  return Object.values(doc.customers)
    .map((c): BilledCustomer => {
      const plan = plans[c.plan];
      if (plan === undefined) {
        throw new CustomersError(
          `registry ${location}: customer "${c.id}" has plan "${c.plan}", which this environment does not deploy (plans: ${Object.keys(plans).join(', ')}); deploy the plan or run keys set-plan`,
        );
      }
      const keys = c.keys.map((k): CustomerKey => {
        const stopped = k.state === 'revoked' ? (k.revokedAt ?? c.revokedAt ?? k.createdAt) : k.state === 'grace' ? k.graceUntil : undefined;
        const hour = stopHour(stopped);
        return {
          fingerprint: k.fingerprint,
          ...(hour !== undefined ? { stoppedInHour: hour } : {}),
          ...(k.apiKeyId !== undefined ? { apiKeyId: k.apiKeyId } : {}),
        };
      });
      return { id: c.id, name: c.customer, plan: c.plan, quota: plan.monthlyQuota, revoked: c.revokedAt !== undefined, keys, billing: c.billing };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** What one rollup row adds to its customer. */
export interface RowFigures {
  readonly requests: number;
  readonly rejected: number;
  readonly errors: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** What API Gateway metered of it (requests that reached the usage plan): 0 once the key stopped. */
  readonly metered: number;
}

export function rowFigures(row: HourlyUsageRow, key: CustomerKey): RowFigures {
  if (key.stoppedInHour !== undefined && row.hour > key.stoppedInHour) {
    return { requests: 0, rejected: row.requests + row.rejected + row.errors, errors: 0, bytesOut: 0, bytesIn: 0, metered: 0 };
  }
  return {
    requests: row.requests,
    rejected: row.rejected,
    errors: row.errors,
    bytesOut: row.bytesOut,
    bytesIn: row.bytesIn,
    metered: row.requests + row.rejected + row.errors,
  };
}

/** Fingerprint -> the customer and key it belongs to. */
export function fingerprintIndex(customers: readonly BilledCustomer[]): Map<string, { readonly customer: BilledCustomer; readonly key: CustomerKey }> {
  const index = new Map<string, { customer: BilledCustomer; key: CustomerKey }>();
  for (const customer of customers) for (const key of customer.keys) index.set(key.fingerprint, { customer, key });
  return index;
}

/** A customer with one active key (tests, benchmarks). */
export function oneKeyCustomer(id: string, name: string, fingerprint: string, quota: number, plan = 'plan'): BilledCustomer {
  return { id, name, plan, quota, revoked: false, keys: [{ fingerprint }], billing: {} };
}
