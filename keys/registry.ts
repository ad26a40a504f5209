/**
 * The key registry: per environment, the one record of who is a customer and which key
 * fingerprints belong to it. It never holds a key value. One JSON document, read and written whole
 * behind a compare-and-swap on its ETag (S3 `If-Match` in AWS, a content hash locally), so a
 * command that read a stale registry fails with one line and writes nothing.
 *
 * Readers (usage job, local platform, dashboard, invoices) call `readRegistry`, then
 * `registryCustomers` (per customer: plan, quota, fingerprints) or `billableKeys` (per fingerprint).
 */
import { FINGERPRINT_HEX_LENGTH } from '../contracts/api-key';

export const REGISTRY_FORMAT = 1;

/** Where a key stands. `pending` keys were written as intent by a command that has not finished. */
export type KeyState = 'pending' | 'active' | 'grace' | 'revoked';

export interface KeyRecord {
  readonly fingerprint: string;
  /** API Gateway's id of the key, once created. */
  readonly apiKeyId?: string;
  /** API Gateway's name of the key (how `sync` finds a key whose id was never recorded). */
  readonly apiKeyName: string;
  readonly state: KeyState;
  readonly createdAt: string;
  /** For `grace`: the instant (ISO) after which the key stops working. */
  readonly graceUntil?: string;
  readonly revokedAt?: string;
  /** When the API Gateway key was deleted (a revoked key still counts against capacity until then). */
  readonly apiKeyDeletedAt?: string;
}

export interface BillingIds {
  readonly stripeCustomerId?: string;
  /** AWS Marketplace: the buyer's account and license (ResolveCustomer / license manager). */
  readonly marketplaceCustomerAwsAccountId?: string;
  readonly marketplaceLicenseArn?: string;
  /** AWS Marketplace, listings integrated before Concurrent Agreements: ResolveCustomer's CustomerIdentifier and ProductCode. */
  readonly marketplaceCustomerIdentifier?: string;
  readonly marketplaceProductCode?: string;
  /** The last Marketplace subscription notification applied (keys marketplace-notification). */
  readonly marketplaceSubscription?: MarketplaceSubscription;
}

/** Subscription state from the Marketplace's notifications (docs/marketplace.md). */
export interface MarketplaceSubscription {
  readonly action: 'subscribe-success' | 'subscribe-fail' | 'unsubscribe-pending' | 'unsubscribe-success' | 'entitlement-updated';
  /** When it was applied (ISO), and the SNS message id it came in (a redelivered message changes nothing). */
  readonly at: string;
  readonly messageId?: string;
}

/** A command's intent, written before it touches API Gateway or the edge; cleared when done. */
export type PendingOperation =
  | {
      readonly kind: 'create';
      readonly fingerprint: string;
      readonly startedAt: string;
      /** Bulk onboarding runs long: sync leaves its intent alone until this instant (ISO), not only for the usual age. */
      readonly expectedDoneBy?: string;
    }
  | { readonly kind: 'rotate'; readonly fingerprint: string; readonly oldFingerprint: string; readonly graceUntil: string; readonly startedAt: string }
  | { readonly kind: 'revoke'; readonly startedAt: string }
  | { readonly kind: 'set-plan'; readonly fromPlan: string; readonly toPlan: string; readonly remaining?: number; readonly startedAt: string };

export interface CustomerRecord {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
  readonly billing: BillingIds;
  /** `imported`: adopted from a Terraform-managed key (keys import). */
  readonly origin: 'cli' | 'imported';
  readonly keys: readonly KeyRecord[];
  readonly pending?: PendingOperation;
}

export interface RegistryDocument {
  readonly format: typeof REGISTRY_FORMAT;
  readonly environment: string;
  /** Increases by one on every write; history is the backend's (S3 versions, local copies). */
  readonly revision: number;
  readonly updatedAt: string;
  readonly customers: Readonly<Record<string, CustomerRecord>>;
}

/** Who bills a customer: at most one channel each, so no usage is charged twice (docs/keys.md, Billing ids). */
export type BillingChannel = 'stripe' | 'marketplace' | 'none' | 'both';

const MARKETPLACE_ID_FIELDS = ['marketplaceCustomerAwsAccountId', 'marketplaceLicenseArn', 'marketplaceCustomerIdentifier', 'marketplaceProductCode'] as const;

export function hasMarketplaceIds(b: BillingIds): boolean {
  return MARKETPLACE_ID_FIELDS.some((f) => b[f] !== undefined && b[f] !== '');
}

/** `both` exists only in a registry written before the one-channel rule; writes refuse it, sinks report it. */
export function billingChannel(b: BillingIds): BillingChannel {
  const stripe = b.stripeCustomerId !== undefined && b.stripeCustomerId !== '';
  const marketplace = hasMarketplaceIds(b);
  return stripe && marketplace ? 'both' : stripe ? 'stripe' : marketplace ? 'marketplace' : 'none';
}

/**
 * Stripe's customer ids start with `cus_` (the id of the Customer object,
 * https://docs.stripe.com/api/customers/object; prefix list: https://gist.github.com/fnky/76f533366f75cf75802c8052b577e2a5).
 * Stripe does not publish the rest of the format, so only the prefix and a plain character set are checked.
 */
export const STRIPE_CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,250}$/;

export type CustomerStatus = 'active' | 'rotating' | 'revoked' | 'pending';

/** The status the CLI shows: revoked, rotating (with the earliest grace deadline), else active. */
export function customerStatus(c: CustomerRecord): { readonly status: CustomerStatus; readonly deadline?: string } {
  if (c.revokedAt !== undefined) return { status: 'revoked' };
  const grace = c.keys.filter((k) => k.state === 'grace' && k.graceUntil !== undefined).map((k) => k.graceUntil as string);
  if (grace.length > 0) return { status: 'rotating', deadline: grace.sort()[0] };
  if (!c.keys.some((k) => k.state === 'active')) return { status: 'pending' };
  return { status: 'active' };
}

/** Keys the platform bills: a request carrying one of these fingerprints belongs to `customerId`. */
export interface BillableKey {
  readonly fingerprint: string;
  readonly customerId: string;
  readonly customer: string;
  readonly plan: string;
  readonly monthlyQuota: number;
}

/**
 * Keys whose requests are billed to a customer, with its plan and quota (readers sum usage per
 * customer over its keys): active, in grace, and pending (a command wrote the intent and may have
 * made the key usable before it crashed; nobody has such a key's value, but were it used, it bills).
 */
export function billableKeys(doc: RegistryDocument, quotas: Readonly<Record<string, { readonly monthlyQuota: number }>>): BillableKey[] {
  const out: BillableKey[] = [];
  for (const c of Object.values(doc.customers)) {
    for (const k of c.keys) {
      if (k.state === 'revoked') continue;
      out.push({ fingerprint: k.fingerprint, customerId: c.id, customer: c.customer, plan: c.plan, monthlyQuota: quotas[c.plan]?.monthlyQuota ?? 0 });
    }
  }
  return out.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

/** One customer as the usage job, local platform, dashboard and invoices read it. */
export interface RegistryCustomer {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
  /** The plan's monthly quota: per customer, however many keys it has. */
  readonly monthlyQuota: number;
  readonly status: CustomerStatus;
  /** Fingerprints whose requests are billed to this customer. */
  readonly fingerprints: readonly string[];
  /** Fingerprints whose requests count as this customer's rejected requests. */
  readonly revokedFingerprints: readonly string[];
  readonly billing: BillingIds;
}

/** Every customer, revoked ones included (their old fingerprints still attribute rejected requests), by id. */
export function registryCustomers(doc: RegistryDocument, quotas: Readonly<Record<string, { readonly monthlyQuota: number }>>): RegistryCustomer[] {
  return Object.values(doc.customers)
    .map((c) => ({
      id: c.id,
      customer: c.customer,
      plan: c.plan,
      monthlyQuota: quotas[c.plan]?.monthlyQuota ?? 0,
      status: customerStatus(c).status,
      fingerprints: c.keys.filter((k) => k.state !== 'revoked').map((k) => k.fingerprint),
      revokedFingerprints: c.keys.filter((k) => k.state === 'revoked').map((k) => k.fingerprint),
      billing: c.billing,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Fingerprints of revoked keys by customer: their requests count as that customer's rejected requests. */
export function revokedFingerprints(doc: RegistryDocument): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of Object.values(doc.customers)) for (const k of c.keys) if (k.state === 'revoked') out.set(k.fingerprint, c.id);
  return out;
}

export function emptyRegistry(environment: string, now: Date): RegistryDocument {
  return { format: REGISTRY_FORMAT, environment, revision: 0, updatedAt: now.toISOString(), customers: {} };
}

/** A registry read with the tag its next write must match (undefined: the registry does not exist yet). */
export interface RegistrySnapshot {
  readonly doc: RegistryDocument;
  readonly etag: string | undefined;
}

/** The storage behind the registry: one document, compare-and-swap on its tag. */
export interface RegistryStore {
  /** Where it lives, for messages. */
  readonly location: string;
  read(): Promise<{ readonly text: string; readonly etag: string } | undefined>;
  /** Writes only if the stored tag still equals `etag` (undefined: only if nothing is stored); else throws RegistryConflictError. */
  write(text: string, etag: string | undefined): Promise<string>;
}

export class RegistryConflictError extends Error {
  constructor(location: string) {
    super(`registry ${location} changed underneath this command (ETag conflict); nothing was written: run the command again`);
    this.name = 'RegistryConflictError';
  }
}

const ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const FINGERPRINT = new RegExp(`^[0-9a-f]{${FINGERPRINT_HEX_LENGTH}}$`);

export function isCustomerId(id: string): boolean {
  return ID.test(id);
}

export async function readRegistry(store: RegistryStore, environment: string, now = new Date()): Promise<RegistrySnapshot> {
  const stored = await store.read();
  if (stored === undefined) return { doc: emptyRegistry(environment, now), etag: undefined };
  return { doc: parseRegistry(stored.text, store.location, environment), etag: stored.etag };
}

/** Writes `doc` as the next revision if the registry is still at `snapshot`; returns the new snapshot. */
export async function writeRegistry(store: RegistryStore, snapshot: RegistrySnapshot, doc: RegistryDocument, now = new Date()): Promise<RegistrySnapshot> {
  const next: RegistryDocument = { ...doc, revision: snapshot.doc.revision + 1, updatedAt: now.toISOString() };
  validateRegistry(next, store.location);
  validateBillingChannels(next, store.location);
  const etag = await store.write(JSON.stringify(next, null, 1) + '\n', snapshot.etag);
  return { doc: next, etag };
}

/** Replaces one customer's record (or removes it with `undefined`). */
export function withCustomer(doc: RegistryDocument, id: string, record: CustomerRecord | undefined): RegistryDocument {
  const customers = { ...doc.customers };
  if (record === undefined) delete customers[id];
  else customers[id] = record;
  return { ...doc, customers };
}

export function parseRegistry(text: string, location: string, environment: string): RegistryDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`registry ${location} is not valid JSON (${(error as Error).message}); restore a previous version`, { cause: error });
  }
  const doc = parsed as RegistryDocument;
  validateRegistry(doc, location);
  if (doc.environment !== environment) throw new Error(`registry ${location} belongs to environment "${doc.environment}", not "${environment}"; check --env`);
  return doc;
}

/** Structural checks; also that no fingerprint belongs to two customers and no value-like field slipped in. */
export function validateRegistry(doc: RegistryDocument, location: string): void {
  const fail = (what: string): never => {
    throw new Error(`registry ${location}: ${what}; restore a previous version`);
  };
  if (doc === null || typeof doc !== 'object' || doc.format !== REGISTRY_FORMAT) fail(`format must be ${REGISTRY_FORMAT}`);
  if (typeof doc.customers !== 'object' || doc.customers === null) fail('customers must be an object');
  const owner = new Map<string, string>();
  for (const [id, c] of Object.entries(doc.customers)) {
    if (c.id !== id || !isCustomerId(id)) fail(`customer "${id}" has a bad id`);
    if (!Array.isArray(c.keys)) fail(`customer "${id}" has no keys array`);
    for (const k of c.keys) {
      if (!FINGERPRINT.test(k.fingerprint)) fail(`customer "${id}" has a bad fingerprint "${k.fingerprint}"`);
      if ('value' in k) fail(`customer "${id}" holds a key value, which the registry never stores`);
      const other = owner.get(k.fingerprint);
      if (other !== undefined && other !== id) fail(`fingerprint ${k.fingerprint} belongs to both "${other}" and "${id}"`);
      owner.set(k.fingerprint, id);
    }
  }
}

/**
 * Why customer `id` cannot hold `billing` in `doc` (one line for the CLI), or undefined: a bad Stripe
 * id, a Stripe id another customer holds, or both channels at once.
 */
export function billingRefusal(doc: RegistryDocument, id: string, billing: BillingIds): string | undefined {
  const stripe = billing.stripeCustomerId;
  if (stripe !== undefined && !STRIPE_CUSTOMER_ID.test(stripe)) return `Stripe customer id "${stripe}" must look like cus_ followed by letters and digits`;
  if (billingChannel(billing) === 'both')
    return `customer "${id}" would be billed through both Stripe and AWS Marketplace; a customer has one billing channel (clear the other first, or use another customer)`;
  if (stripe !== undefined) {
    const other = Object.values(doc.customers).find((c) => c.id !== id && c.billing?.stripeCustomerId === stripe);
    if (other !== undefined) return `Stripe customer ${stripe} is already the billing id of customer "${other.id}"`;
  }
  return undefined;
}

/**
 * Checked on write only: a registry written before these rules still reads (the sinks report its
 * customers with two channels), but no command can write one that breaks them.
 */
export function validateBillingChannels(doc: RegistryDocument, location: string): void {
  const stripeOwner = new Map<string, string>();
  for (const [id, c] of Object.entries(doc.customers)) {
    const b = c.billing ?? {};
    if (billingChannel(b) === 'both')
      throw new Error(`registry ${location}: customer "${id}" has both a Stripe and an AWS Marketplace billing id; a customer is billed through one channel`);
    if (b.stripeCustomerId === undefined) continue;
    if (!STRIPE_CUSTOMER_ID.test(b.stripeCustomerId))
      throw new Error(`registry ${location}: customer "${id}" has a bad stripeCustomerId "${b.stripeCustomerId}" (cus_...)`);
    const other = stripeOwner.get(b.stripeCustomerId);
    if (other !== undefined) throw new Error(`registry ${location}: Stripe customer ${b.stripeCustomerId} belongs to both "${other}" and "${id}"`);
    stripeOwner.set(b.stripeCustomerId, id);
  }
}
