/**
 * What each keys command does, in the order that keeps a crash harmless: the registry records the
 * intent first (the fingerprint is known to billing before anything can accept it), then API
 * Gateway, then the edge store, then the registry marks it done. A crash between steps leaves a
 * pending operation that re-running the command or `sync --fix` finishes: forward for revoke and
 * set-plan; backward for create and rotate, whose value was never shown to anyone.
 */
import { apiKeyFingerprint } from '../contracts/api-key';
import { EDGE_ACTIVE, edgeValue } from '../contracts/edge-keys';
import type { EnvironmentConfig } from '../config/types';
import type { KeyGateway } from './api-gateway';
import type { EdgeEntry, EdgeKeyStore } from './edge-store';
import { API_KEYS_PER_ACCOUNT_REGION } from './limits';
import {
  billingRefusal,
  customerStatus,
  isCustomerId,
  readRegistry,
  RegistryConflictError,
  withCustomer,
  writeRegistry,
  type BillingIds,
  type CustomerRecord,
  type KeyRecord,
  type PendingOperation,
  type RegistryDocument,
  type RegistrySnapshot,
  type RegistryStore,
} from './registry';

export interface KeysContext {
  readonly env: EnvironmentConfig;
  readonly registry: RegistryStore;
  readonly gateway: KeyGateway;
  readonly edge: EdgeKeyStore;
  readonly now: () => Date;
  readonly generateValue: () => string;
  /** Called after every step that changed something; the fault test's hook kills the process here. */
  readonly step: (name: string) => Promise<void>;
  /** API Gateway's key limit for the account and Region (10,000; lower in tests). */
  readonly keyLimit?: number;
  /** The platform's other environments' prefixes: keys named under one of them are not this environment's. */
  readonly otherPrefixes?: readonly string[];
}

/** A refusal the CLI prints as one line (exit code 2). */
export class KeysInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeysInputError';
  }
}

export interface CustomerView {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
  readonly status: string;
  readonly deadline?: string;
  readonly fingerprint?: string;
  readonly fingerprints: readonly string[];
  readonly apiKeyIds: readonly string[];
  readonly createdAt: string;
  readonly revokedAt?: string;
  readonly billing: BillingIds;
  readonly pending?: string;
}

export interface IssuedKey extends CustomerView {
  /** The key value, shown once. */
  readonly value: string;
}

export function view(c: CustomerRecord): CustomerView {
  const { status, deadline } = customerStatus(c);
  const active = c.keys.find((k) => k.state === 'active');
  return {
    id: c.id,
    customer: c.customer,
    plan: c.plan,
    status,
    ...(deadline !== undefined ? { deadline } : {}),
    ...(active !== undefined ? { fingerprint: active.fingerprint } : {}),
    fingerprints: c.keys.map((k) => `${k.fingerprint}:${k.state}${k.graceUntil !== undefined && k.state === 'grace' ? `@${k.graceUntil}` : ''}`),
    apiKeyIds: c.keys.filter((k) => k.apiKeyId !== undefined && k.apiKeyDeletedAt === undefined).map((k) => k.apiKeyId as string),
    createdAt: c.createdAt,
    ...(c.revokedAt !== undefined ? { revokedAt: c.revokedAt } : {}),
    billing: c.billing,
    ...(c.pending !== undefined ? { pending: c.pending.kind } : {}),
  };
}

/** API Gateway's name for a key the CLI creates: the customer id and the key's fingerprint. */
export function apiKeyName(env: EnvironmentConfig, id: string, fingerprint: string): string {
  return `${env.prefix}-${id}-${fingerprint}`;
}
const cliKeyName = (env: EnvironmentConfig) => new RegExp(`^${env.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-([a-z0-9-]+)-([0-9a-f]{16})$`);

/** Other environments' `<prefix>-` that extend this one's (`acme-2-` when this is `acme`): their key names start like ours. */
function longerPrefixes(ctx: KeysContext): string[] {
  const own = `${ctx.env.prefix}-`;
  return (ctx.otherPrefixes ?? []).map((p) => `${p}-`).filter((p) => p.startsWith(own) && p !== own);
}

/**
 * This environment's keys in API Gateway: named `<prefix>-...`. GetApiKeys' nameQuery matches a
 * prefix (keys/api-gateway.ts), so the separator keeps `acme2-` out of `acme`'s listing, and keys
 * under another environment's longer prefix (`acme-2-`) are left out here.
 */
async function environmentKeys(ctx: KeysContext, includeValues: boolean) {
  const foreign = longerPrefixes(ctx);
  return (await ctx.gateway.listKeys(`${ctx.env.prefix}-`, includeValues)).filter((g) => !foreign.some((f) => g.name.startsWith(f)));
}

/** A customer id whose key names would fall under another environment's prefix is refused. */
export function requireOwnKeyNames(ctx: KeysContext, id: string): void {
  const name = `${ctx.env.prefix}-${id}-`;
  const clash = longerPrefixes(ctx).find((f) => name.startsWith(f));
  if (clash !== undefined) {
    throw new KeysInputError(`customer id "${id}" would name its keys ${name}..., under environment prefix ${clash.slice(0, -1)}; pick another --id`);
  }
}

function requirePlan(env: EnvironmentConfig, plan: string): void {
  if (env.usagePlans[plan] === undefined) {
    throw new KeysInputError(`unknown plan "${plan}" in environment ${env.name}; plans: ${Object.keys(env.usagePlans).join(', ')} (config/environments.ts)`);
  }
}

function requireCustomer(doc: RegistryDocument, env: EnvironmentConfig, id: string): CustomerRecord {
  const c = doc.customers[id];
  if (c === undefined) throw new KeysInputError(`no customer "${id}" in environment ${env.name}; keys list shows the customers`);
  return c;
}

async function planId(ctx: KeysContext, plan: string): Promise<string> {
  const id = (await ctx.gateway.usagePlanIds(ctx.env.prefix)).get(plan);
  if (id === undefined) throw new Error(`usage plan ${ctx.env.prefix}-${plan} not found in API Gateway; deploy the environment's stack first`);
  return id;
}

/** Keys that exist in API Gateway and so count against its 10,000 (registry's view). */
export function capacity(doc: RegistryDocument, limit = API_KEYS_PER_ACCOUNT_REGION) {
  let active = 0;
  let grace = 0;
  let revokedNotDeleted = 0;
  let pending = 0;
  for (const c of Object.values(doc.customers)) {
    for (const k of c.keys) {
      if (k.apiKeyDeletedAt !== undefined) continue;
      if (k.state === 'active') active++;
      else if (k.state === 'grace') grace++;
      else if (k.state === 'pending') pending++;
      else if (k.apiKeyId !== undefined) revokedNotDeleted++;
    }
  }
  return { limit, active, grace, revokedNotDeleted, pending, free: limit - active - grace - revokedNotDeleted - pending };
}

function requireCapacity(ctx: KeysContext, doc: RegistryDocument, wanted: number): void {
  const c = capacity(doc, ctx.keyLimit);
  if (c.free >= wanted) return;
  throw new KeysInputError(
    `API Gateway holds at most ${c.limit} keys per account and Region and ${c.free} are free ` +
      `(${c.active} active, ${c.grace} in grace, ${c.revokedNotDeleted} revoked not yet deleted, ${c.pending} pending); ` +
      `need ${wanted}: run keys sync --fix to delete expired keys, or revoke customers`,
  );
}

function liveKeys(c: CustomerRecord): KeyRecord[] {
  return c.keys.filter((k) => k.state === 'active' || k.state === 'grace');
}

function edgeEntryFor(k: KeyRecord): EdgeEntry {
  if (k.state === 'grace' && k.graceUntil !== undefined) {
    return { fingerprint: k.fingerprint, value: edgeValue({ kind: 'grace', untilEpochSeconds: Math.floor(Date.parse(k.graceUntil) / 1000) }) };
  }
  return { fingerprint: k.fingerprint, value: EDGE_ACTIVE };
}

/** Finds the API Gateway id of a key whose id the registry may not have recorded yet. */
async function findKeyId(ctx: KeysContext, k: KeyRecord): Promise<string | undefined> {
  if (k.apiKeyId !== undefined) return k.apiKeyId;
  const found = await ctx.gateway.listKeys(k.apiKeyName, false);
  return found.find((g) => g.name === k.apiKeyName)?.id;
}

/** Undoes a create or rotate that never finished: its value was never shown, so its key goes. */
async function abandonNewKey(ctx: KeysContext, snap: RegistrySnapshot, c: CustomerRecord): Promise<RegistrySnapshot> {
  const p = c.pending;
  if (p === undefined || (p.kind !== 'create' && p.kind !== 'rotate')) return snap;
  const k = c.keys.find((x) => x.fingerprint === p.fingerprint);
  if (k !== undefined) {
    await ctx.edge.apply({ put: p.kind === 'rotate' ? liveKeys(c).map(edgeEntryFor) : [], delete: [k.fingerprint] });
    await ctx.step('abandon-edge');
    const id = await findKeyId(ctx, k);
    if (id !== undefined) {
      await ctx.gateway.deleteKey(id);
      await ctx.step('abandon-apigw');
    }
  }
  const { pending: _done, ...rest } = c;
  const next = p.kind === 'create' ? undefined : { ...rest, keys: c.keys.filter((x) => x.fingerprint !== p.fingerprint) };
  const out = await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, c.id, next), ctx.now());
  await ctx.step('abandon-registry');
  return out;
}

/** Attempts at the final write when the registry keeps changing underneath (412) around an intact intent. */
const DONE_ATTEMPTS = 5;

type Commit = { readonly committed: true; readonly snap: RegistrySnapshot } | { readonly committed: false; readonly current: CustomerRecord | undefined };

/** One customer's last change: its intent as written, and what replaces it (undefined removes the customer). */
export interface DoneChange {
  readonly intent: CustomerRecord;
  readonly done: CustomerRecord | undefined;
}

/** A change whose intent another command replaced before it could be marked done. */
export interface LostChange {
  readonly intent: CustomerRecord;
  readonly current: CustomerRecord | undefined;
}

/**
 * A command's last write: replaces each intent with its `done`. A 412 means someone wrote the
 * registry since the intents. Changes whose customer record is still exactly the intent are written
 * on top of the new revision (the other write touched other customers); the others are returned
 * as lost, for the caller to report.
 */
export async function commitDoneAll(
  ctx: KeysContext,
  snap: RegistrySnapshot,
  changes: readonly DoneChange[],
): Promise<{ readonly snap: RegistrySnapshot; readonly lost: readonly LostChange[] }> {
  let open = [...changes];
  const lost: LostChange[] = [];
  for (let attempt = 1; open.length > 0; attempt++) {
    let doc = snap.doc;
    for (const c of open) doc = withCustomer(doc, c.intent.id, c.done);
    try {
      return { snap: await writeRegistry(ctx.registry, snap, doc, ctx.now()), lost };
    } catch (error) {
      if (!(error instanceof RegistryConflictError)) throw error;
      if (attempt === DONE_ATTEMPTS) {
        const one = open.length === 1;
        const what = one ? `${open[0]?.intent.pending?.kind ?? 'command'} of "${open[0]?.intent.id}"` : `${open.length} customers' changes`;
        throw new Error(
          `${what} did not finish: the registry changed underneath it ${attempt} times (ETag conflict); ` +
            `${one ? 'the customer is' : 'the customers are'} left pending (billed, value not shown): run the same command again, or keys sync --fix --env ${ctx.env.name}`,
          { cause: error },
        );
      }
    }
    snap = await readRegistry(ctx.registry, ctx.env.name, ctx.now());
    const intact: DoneChange[] = [];
    for (const c of open) {
      const current = snap.doc.customers[c.intent.id];
      if (JSON.stringify(current) === JSON.stringify(c.intent)) intact.push(c);
      else lost.push({ intent: c.intent, current });
    }
    open = intact;
  }
  return { snap, lost };
}

async function commitDone(ctx: KeysContext, snap: RegistrySnapshot, intent: CustomerRecord, done: CustomerRecord | undefined): Promise<Commit> {
  const out = await commitDoneAll(ctx, snap, [{ intent, done }]);
  const lost = out.lost[0];
  return lost === undefined ? { committed: true, snap: out.snap } : { committed: false, current: lost.current };
}

function describeRecord(c: CustomerRecord | undefined): string {
  if (c === undefined) return 'no such customer';
  const { status } = customerStatus(c);
  return c.pending === undefined ? status : `${status}, ${c.pending.kind} pending since ${c.pending.startedAt}`;
}

/**
 * What to tell the operator when a create or rotate lost its intent to another command before its
 * final write: looks the new key up in API Gateway and at the edge and says where it stands.
 */
async function lostKeyError(ctx: KeysContext, command: 'create' | 'rotate', id: string, key: KeyRecord, current: CustomerRecord | undefined): Promise<Error> {
  const head = `${command} of "${id}" did not finish: another command changed the customer in the registry while it ran (now: ${describeRecord(current)}); its new key ${key.fingerprint}`;
  const inGateway = (await ctx.gateway.listKeys(key.apiKeyName, false)).some((g) => g.name === key.apiKeyName);
  const atEdge = (await ctx.edge.list()).has(key.fingerprint);
  if (!inGateway && !atEdge) return new Error(`${head} was deleted from API Gateway and the edge, nothing is left of it: run keys ${command} again`);
  const where = [inGateway ? 'in API Gateway' : undefined, atEdge ? 'at the edge' : undefined].filter((w) => w !== undefined).join(' and ');
  const billed = current?.keys.some((k) => k.fingerprint === key.fingerprint && k.state !== 'revoked') === true;
  return new Error(
    `${head} is still ${where}, but ${billed ? 'the registry holds it as unfinished' : 'no registry entry bills it'}, so its value is not shown: ` +
      `run keys sync --fix --env ${ctx.env.name} to delete it, then keys ${command} again`,
  );
}

export interface CreateInput {
  readonly customer: string;
  readonly plan: string;
  readonly id?: string;
  readonly billing?: BillingIds;
}

/** A customer id from its name: accents dropped from their letters (NFKD), not the letters ("Évian" → "evian"). */
export function idFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

export async function createKey(ctx: KeysContext, input: CreateInput): Promise<IssuedKey> {
  const { env } = ctx;
  if (input.customer.trim() === '') throw new KeysInputError('--customer must name the customer');
  requirePlan(env, input.plan);
  const id = input.id ?? idFromName(input.customer);
  if (!isCustomerId(id)) throw new KeysInputError(`customer id "${id}" must be 1-64 lowercase letters, digits and inner dashes; pass --id`);
  requireOwnKeyNames(ctx, id);
  let snap = await readRegistry(ctx.registry, env.name, ctx.now());
  const existing = snap.doc.customers[id];
  if (existing !== undefined) {
    if (existing.pending?.kind !== 'create')
      throw new KeysInputError(`customer "${id}" already exists in ${env.name}; pick another --id, or rotate or set-plan it`);
    snap = await abandonNewKey(ctx, snap, existing);
  }
  const refusal = billingRefusal(snap.doc, id, input.billing ?? {});
  if (refusal !== undefined) throw new KeysInputError(refusal);
  requireCapacity(ctx, snap.doc, 1);
  const planKey = await planId(ctx, input.plan);
  const value = ctx.generateValue();
  const fingerprint = apiKeyFingerprint(value);
  const at = ctx.now().toISOString();
  const name = apiKeyName(env, id, fingerprint);
  const pendingKey: KeyRecord = { fingerprint, apiKeyName: name, state: 'pending', createdAt: at };
  const record: CustomerRecord = {
    id,
    customer: input.customer,
    plan: input.plan,
    createdAt: at,
    billing: input.billing ?? {},
    origin: 'cli',
    keys: [pendingKey],
    pending: { kind: 'create', fingerprint, startedAt: at },
  };
  snap = await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, id, record), ctx.now());
  await ctx.step('registry-intent');
  const apiKeyId = await ctx.gateway.createKey(name, value, input.customer);
  await ctx.step('apigw-key');
  await ctx.gateway.bind(planKey, apiKeyId);
  await ctx.step('apigw-plan');
  await ctx.edge.apply({ put: [{ fingerprint, value: EDGE_ACTIVE }], delete: [] });
  await ctx.step('edge');
  const { pending: _done, ...rest } = record;
  const done: CustomerRecord = { ...rest, keys: [{ ...pendingKey, apiKeyId, state: 'active' }] };
  const commit = await commitDone(ctx, snap, record, done);
  if (!commit.committed) throw await lostKeyError(ctx, 'create', id, pendingKey, commit.current);
  await ctx.step('registry-done');
  return { ...view(done), value };
}

const GRACE = /^(\d+)(s|m|h|d)$/;
export function parseGrace(text: string, option = '--grace'): number {
  const m = GRACE.exec(text);
  if (m === null) throw new KeysInputError(`${option} "${text}" must be a whole number with s, m, h or d, e.g. 24h`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function unfinished(c: CustomerRecord, env: EnvironmentConfig): KeysInputError {
  return new KeysInputError(`customer "${c.id}" has an unfinished ${c.pending?.kind}; run keys sync --fix --env ${env.name} first`);
}

export async function rotateKey(ctx: KeysContext, id: string, graceSeconds: number): Promise<IssuedKey> {
  const { env } = ctx;
  let snap = await readRegistry(ctx.registry, env.name, ctx.now());
  let c = requireCustomer(snap.doc, env, id);
  if (c.revokedAt !== undefined) throw new KeysInputError(`customer "${id}" is revoked; create a new customer instead`);
  if (c.pending?.kind === 'rotate') {
    snap = await abandonNewKey(ctx, snap, c);
    c = requireCustomer(snap.doc, env, id);
  } else if (c.pending !== undefined) throw unfinished(c, env);
  const old = c.keys.find((k) => k.state === 'active');
  if (old === undefined || old.apiKeyId === undefined) throw new KeysInputError(`customer "${id}" has no active key to rotate; run keys sync --fix`);
  requireCapacity(ctx, snap.doc, 1);
  const planKey = await planId(ctx, c.plan);
  const value = ctx.generateValue();
  const fingerprint = apiKeyFingerprint(value);
  const now = ctx.now();
  const at = now.toISOString();
  const graceUntil = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const newKey: KeyRecord = { fingerprint, apiKeyName: apiKeyName(env, id, fingerprint), state: 'pending', createdAt: at };
  const intent: CustomerRecord = {
    ...c,
    keys: [...c.keys, newKey],
    pending: { kind: 'rotate', fingerprint, oldFingerprint: old.fingerprint, graceUntil, startedAt: at },
  };
  snap = await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, id, intent), now);
  await ctx.step('registry-intent');
  // API Gateway counts quota per key: the new key starts with what the old one has left this month.
  const left = await ctx.gateway.remaining(planKey, old.apiKeyId, now);
  const apiKeyId = await ctx.gateway.createKey(newKey.apiKeyName, value, c.customer);
  await ctx.step('apigw-key');
  await ctx.gateway.bind(planKey, apiKeyId);
  if (left !== undefined) await ctx.gateway.setRemaining(planKey, apiKeyId, left);
  await ctx.step('apigw-plan');
  const oldInGrace: KeyRecord = { ...old, state: 'grace', graceUntil };
  await ctx.edge.apply({ put: [{ fingerprint, value: EDGE_ACTIVE }, edgeEntryFor(oldInGrace)], delete: [] });
  await ctx.step('edge');
  const { pending: _done, ...rest } = intent;
  const done: CustomerRecord = {
    ...rest,
    keys: intent.keys.map((k) =>
      k.fingerprint === fingerprint ? { ...newKey, apiKeyId, state: 'active' } : k.fingerprint === old.fingerprint ? oldInGrace : k,
    ),
  };
  const commit = await commitDone(ctx, snap, intent, done);
  if (!commit.committed) throw await lostKeyError(ctx, 'rotate', id, newKey, commit.current);
  await ctx.step('registry-done');
  return { ...view(done), value };
}

/** A revoke or set-plan whose intent another command changed before its final write. */
function changedUnderneath(ctx: KeysContext, intent: CustomerRecord, current: CustomerRecord | undefined): Error {
  return new Error(
    `${intent.pending?.kind ?? 'command'} of "${intent.id}" did not record its end: another command changed the customer in the registry while it ran ` +
      `(now: ${describeRecord(current)}); its API Gateway and edge changes are made: run keys sync --env ${ctx.env.name} to see what is left`,
  );
}

/** The forward half of revoke, shared with sync: edge entries go, API Gateway keys go, registry marks revoked. */
async function finishRevoke(ctx: KeysContext, snap: RegistrySnapshot, c: CustomerRecord): Promise<RegistrySnapshot> {
  await ctx.edge.apply({ put: [], delete: c.keys.map((k) => k.fingerprint) });
  await ctx.step('edge');
  const at = ctx.now().toISOString();
  const keys: KeyRecord[] = [];
  for (const k of c.keys) {
    if (k.apiKeyDeletedAt === undefined) {
      const id = await findKeyId(ctx, k);
      if (id !== undefined) {
        await ctx.gateway.deleteKey(id);
        await ctx.step('apigw-delete');
      }
    }
    keys.push({ ...k, state: 'revoked', revokedAt: k.revokedAt ?? at, apiKeyDeletedAt: k.apiKeyDeletedAt ?? at });
  }
  const { pending: _done, ...rest } = c;
  const commit = await commitDone(ctx, snap, c, { ...rest, keys, revokedAt: c.revokedAt ?? at });
  if (!commit.committed) throw changedUnderneath(ctx, c, commit.current);
  await ctx.step('registry-done');
  return commit.snap;
}

export interface RevokedView extends CustomerView {
  /** How soon the edge refuses the revoked keys (the edge store's own words). */
  readonly edgePropagation: string;
}

export async function revokeKey(ctx: KeysContext, id: string): Promise<RevokedView> {
  const { env } = ctx;
  let snap = await readRegistry(ctx.registry, env.name, ctx.now());
  let c = requireCustomer(snap.doc, env, id);
  if (c.revokedAt !== undefined && c.pending === undefined) throw new KeysInputError(`customer "${id}" is already revoked (${c.revokedAt}); nothing to do`);
  if (c.pending?.kind === 'create' || c.pending?.kind === 'rotate') {
    snap = await abandonNewKey(ctx, snap, c);
    const after = snap.doc.customers[id];
    if (after === undefined) throw new KeysInputError(`customer "${id}" was never created (an unfinished create was undone); nothing to revoke`);
    c = after;
  }
  if (c.pending?.kind !== 'revoke') {
    c = { ...c, pending: { kind: 'revoke', startedAt: ctx.now().toISOString() } };
    snap = await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, id, c), ctx.now());
    await ctx.step('registry-intent');
  }
  snap = await finishRevoke(ctx, snap, c);
  return { ...view(requireCustomer(snap.doc, env, id)), edgePropagation: ctx.edge.propagation };
}

/** The forward half of set-plan, shared with sync: rebind every live key, carry the month's use over. */
async function finishSetPlan(ctx: KeysContext, snap: RegistrySnapshot, c: CustomerRecord): Promise<RegistrySnapshot> {
  const p = c.pending;
  if (p?.kind !== 'set-plan') return snap;
  const plans = await ctx.gateway.usagePlanIds(ctx.env.prefix);
  const from = plans.get(p.fromPlan);
  const to = plans.get(p.toPlan);
  if (to === undefined) throw new Error(`usage plan ${ctx.env.prefix}-${p.toPlan} not found in API Gateway; deploy the environment's stack first`);
  const quota = ctx.env.usagePlans[p.toPlan]?.monthlyQuota ?? 0;
  for (const k of liveKeys(c)) {
    if (k.apiKeyId === undefined) continue;
    // A key may sit in one usage plan per API stage, so it leaves the old plan before joining the new one.
    if (from !== undefined) await ctx.gateway.unbind(from, k.apiKeyId);
    await ctx.step('apigw-unbind');
    await ctx.gateway.bind(to, k.apiKeyId);
    if (p.remaining !== undefined && k.state === 'active') await ctx.gateway.setRemaining(to, k.apiKeyId, Math.max(0, Math.min(quota, p.remaining)));
    await ctx.step('apigw-bind');
  }
  const { pending: _done, ...rest } = c;
  const commit = await commitDone(ctx, snap, c, { ...rest, plan: p.toPlan });
  if (!commit.committed) throw changedUnderneath(ctx, c, commit.current);
  await ctx.step('registry-done');
  return commit.snap;
}

export async function setPlan(ctx: KeysContext, id: string, plan: string): Promise<CustomerView> {
  const { env } = ctx;
  requirePlan(env, plan);
  let snap = await readRegistry(ctx.registry, env.name, ctx.now());
  let c = requireCustomer(snap.doc, env, id);
  if (c.revokedAt !== undefined) throw new KeysInputError(`customer "${id}" is revoked; its plan cannot change`);
  if (c.pending !== undefined && c.pending.kind !== 'set-plan') throw unfinished(c, env);
  if (c.pending === undefined) {
    if (c.plan === plan) return view(c);
    const active = c.keys.find((k) => k.state === 'active');
    const fromId = (await ctx.gateway.usagePlanIds(env.prefix)).get(c.plan);
    const left = active?.apiKeyId !== undefined && fromId !== undefined ? await ctx.gateway.remaining(fromId, active.apiKeyId, ctx.now()) : undefined;
    // Carry over what the customer used this month: the new plan's quota less the old plan's use.
    const used = left === undefined ? undefined : (env.usagePlans[c.plan]?.monthlyQuota ?? 0) - left;
    const remaining = used === undefined ? undefined : (env.usagePlans[plan]?.monthlyQuota ?? 0) - used;
    c = {
      ...c,
      pending: { kind: 'set-plan', fromPlan: c.plan, toPlan: plan, ...(remaining !== undefined ? { remaining } : {}), startedAt: ctx.now().toISOString() },
    };
    snap = await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, id, c), ctx.now());
    await ctx.step('registry-intent');
  }
  snap = await finishSetPlan(ctx, snap, c);
  return view(requireCustomer(snap.doc, env, id));
}

export async function listCustomers(ctx: Pick<KeysContext, 'env' | 'registry' | 'now'>): Promise<CustomerView[]> {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name, ctx.now());
  return Object.values(doc.customers)
    .map(view)
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function showCustomer(ctx: Pick<KeysContext, 'env' | 'registry' | 'now'>, id: string): Promise<CustomerView> {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name, ctx.now());
  return view(requireCustomer(doc, ctx.env, id));
}

export interface Drift {
  readonly customer?: string;
  readonly fingerprint?: string;
  readonly problem: string;
  /** What --fix did (or would do). */
  readonly fix: string;
  readonly fixed: boolean;
}

/** A pending operation sync left alone because its command may still be running. */
export interface InFlight {
  readonly customer: string;
  readonly operation: PendingOperation['kind'];
  readonly startedAt: string;
  /** After this instant sync treats the operation as abandoned and finishes or undoes it. */
  readonly leftAloneUntil: string;
}

export interface SyncReport {
  readonly drift: readonly Drift[];
  readonly inFlight: readonly InFlight[];
  readonly apiGatewayKeys: number;
  readonly capacity: ReturnType<typeof capacity>;
}

/**
 * How long sync leaves a pending operation alone as possibly still running. A single command
 * finishes in seconds, or a few minutes when API Gateway throttles it (the pacer retries up to 10
 * times with up to 10 s between attempts per call); 15 minutes is well past that.
 */
export const PENDING_IN_FLIGHT_SECONDS = 15 * 60;

/** Until when sync leaves `p` alone; `ageSeconds` 0: not at all (the operator knows no command runs). */
export function inFlightUntil(p: PendingOperation, ageSeconds: number): Date | undefined {
  if (ageSeconds <= 0) return undefined;
  const byAge = Date.parse(p.startedAt) + ageSeconds * 1000;
  const announced = p.kind === 'create' && p.expectedDoneBy !== undefined ? Date.parse(p.expectedDoneBy) : 0;
  return new Date(Math.max(byAge, announced));
}

export interface SyncOptions {
  /** Pending operations younger than this are left alone as in flight (default PENDING_IN_FLIGHT_SECONDS). */
  readonly pendingAgeSeconds?: number;
}

/**
 * Reconciles registry, API Gateway and the edge store. The registry wins, except that a key the
 * registry calls live but API Gateway no longer has cannot be brought back (its value is unknown):
 * --fix marks it revoked. Keys past their grace deadline are deleted.
 *
 * Safe next to other keys commands: a pending operation younger than the stated age is reported
 * and left alone (its command may still be running), and sync reads the registry it reconciles
 * against only after listing API Gateway and the edge. Every command records a key in the registry
 * before the key reaches API Gateway or the edge (write-ahead), so any key sync finds there is
 * already named in that read, and sync never deletes a key some entry names.
 */
export async function sync(ctx: KeysContext, fix: boolean, options: SyncOptions = {}): Promise<SyncReport> {
  const { env } = ctx;
  const drift: Drift[] = [];
  const inFlight: InFlight[] = [];
  const note = (d: Omit<Drift, 'fixed'>) => drift.push({ ...d, fixed: fix });
  const now = ctx.now();
  const pendingAge = options.pendingAgeSeconds ?? PENDING_IN_FLIGHT_SECONDS;
  let snap = await readRegistry(ctx.registry, env.name, now);

  for (const c of Object.values(snap.doc.customers)) {
    if (c.pending === undefined) continue;
    const until = inFlightUntil(c.pending, pendingAge);
    if (until !== undefined && now < until) {
      inFlight.push({ customer: c.id, operation: c.pending.kind, startedAt: c.pending.startedAt, leftAloneUntil: until.toISOString() });
      continue;
    }
    const undo = c.pending.kind === 'create' || c.pending.kind === 'rotate';
    note({
      customer: c.id,
      problem: `unfinished ${c.pending.kind} since ${c.pending.startedAt}`,
      fix: undo ? 'undone (its value was never shown)' : 'completed',
    });
    if (!fix) continue;
    if (undo) snap = await abandonNewKey(ctx, snap, c);
    else if (c.pending.kind === 'revoke') snap = await finishRevoke(ctx, snap, c);
    else snap = await finishSetPlan(ctx, snap, c);
  }

  let doc = snap.doc;
  for (const c of Object.values(doc.customers)) {
    if (c.pending !== undefined) continue;
    const expired = c.keys.filter((k) => k.state === 'grace' && k.graceUntil !== undefined && Date.parse(k.graceUntil) <= now.getTime());
    if (expired.length === 0) continue;
    for (const k of expired) {
      note({ customer: c.id, fingerprint: k.fingerprint, problem: `grace ended ${k.graceUntil}`, fix: 'key deleted from the edge and API Gateway' });
      if (!fix) continue;
      await ctx.edge.apply({ put: [], delete: [k.fingerprint] });
      await ctx.step('expire-edge');
      const id = await findKeyId(ctx, k);
      if (id !== undefined) await ctx.gateway.deleteKey(id);
      await ctx.step('expire-apigw');
    }
    if (fix) {
      const at = now.toISOString();
      const keys = c.keys.map((k) => (expired.includes(k) ? { ...k, state: 'revoked' as const, revokedAt: k.graceUntil ?? at, apiKeyDeletedAt: at } : k));
      doc = withCustomer(doc, c.id, { ...c, keys });
    }
  }
  if (fix && doc !== snap.doc) {
    await writeRegistry(ctx.registry, snap, doc, ctx.now());
    await ctx.step('expire-registry');
  }

  // List first, then read the registry (write-ahead: see above).
  const plans = await ctx.gateway.usagePlanIds(env.prefix);
  const bound = new Map<string, string>();
  for (const [plan, id] of plans) for (const keyId of await ctx.gateway.planKeyIds(id)) bound.set(keyId, plan);
  const gatewayKeys = await environmentKeys(ctx, false);
  const gatewayById = new Map(gatewayKeys.map((k) => [k.id, k]));
  const gatewayByName = new Map(gatewayKeys.map((k) => [k.name, k]));
  const edge = await ctx.edge.list();
  snap = await readRegistry(ctx.registry, env.name, ctx.now());
  doc = snap.doc;
  const edgePut: EdgeEntry[] = [];
  const edgeDelete: string[] = [];
  const known = new Set<string>();
  const wantedEdge = new Map<string, string>();
  /** Fingerprints of customers with a pending operation: their command (or the next sync) owns them. */
  const busy = new Set<string>();

  for (const c of Object.values(doc.customers)) {
    if (c.pending !== undefined) {
      for (const k of c.keys) {
        const g = k.apiKeyId !== undefined ? gatewayById.get(k.apiKeyId) : gatewayByName.get(k.apiKeyName);
        if (g !== undefined) known.add(g.id);
        busy.add(k.fingerprint);
      }
      continue;
    }
    const keys: KeyRecord[] = [];
    for (const k of c.keys) {
      const g = k.apiKeyId !== undefined ? gatewayById.get(k.apiKeyId) : gatewayByName.get(k.apiKeyName);
      if (g !== undefined) known.add(g.id);
      if (k.state === 'pending') {
        keys.push(k);
        busy.add(k.fingerprint);
        continue;
      }
      if (k.state === 'revoked') {
        if (g !== undefined) {
          note({ customer: c.id, fingerprint: k.fingerprint, problem: 'revoked key still in API Gateway', fix: 'deleted from API Gateway' });
          if (fix) await ctx.gateway.deleteKey(g.id);
        }
        keys.push(g !== undefined && fix ? { ...k, apiKeyDeletedAt: now.toISOString() } : k);
        continue;
      }
      if (g === undefined) {
        note({
          customer: c.id,
          fingerprint: k.fingerprint,
          problem: 'live key missing in API Gateway',
          fix: 'marked revoked (rotate the customer to issue a new key)',
        });
        keys.push(fix ? { ...k, state: 'revoked', revokedAt: now.toISOString(), apiKeyDeletedAt: now.toISOString() } : k);
        continue;
      }
      if (!g.enabled) {
        note({ customer: c.id, fingerprint: k.fingerprint, problem: 'key disabled in API Gateway', fix: 'enabled' });
        if (fix) await ctx.gateway.enableKey(g.id);
      }
      if (bound.get(g.id) !== c.plan) {
        note({ customer: c.id, fingerprint: k.fingerprint, problem: `key not in usage plan ${c.plan}`, fix: `bound to ${c.plan}` });
        const to = plans.get(c.plan);
        const from = bound.get(g.id);
        if (fix && from !== undefined) await ctx.gateway.unbind(plans.get(from) as string, g.id);
        if (fix && to !== undefined) await ctx.gateway.bind(to, g.id);
      }
      const withId = k.apiKeyId === undefined ? { ...k, apiKeyId: g.id } : k;
      keys.push(withId);
      wantedEdge.set(k.fingerprint, edgeEntryFor(withId).value);
    }
    if (fix && keys.some((k, i) => k !== c.keys[i])) doc = withCustomer(doc, c.id, { ...c, keys });
  }

  for (const [fingerprint, value] of wantedEdge) {
    if (edge.get(fingerprint) === value) continue;
    note({
      fingerprint,
      problem: edge.has(fingerprint) ? `edge value ${edge.get(fingerprint)} instead of ${value}` : 'missing at the edge',
      fix: `edge set to ${value}`,
    });
    edgePut.push({ fingerprint, value });
  }
  for (const fingerprint of edge.keys()) {
    if (wantedEdge.has(fingerprint) || busy.has(fingerprint)) continue;
    note({ fingerprint, problem: 'edge entry for no live key', fix: 'deleted from the edge' });
    edgeDelete.push(fingerprint);
  }
  if (fix && (edgePut.length > 0 || edgeDelete.length > 0)) {
    await ctx.edge.apply({ put: edgePut, delete: edgeDelete });
    await ctx.step('edge');
  }

  const cliName = cliKeyName(env);
  for (const g of gatewayKeys) {
    if (known.has(g.id)) continue;
    if (cliName.test(g.name)) {
      note({ problem: `API Gateway key ${g.name} (${g.id}) left by an unfinished command`, fix: 'deleted from API Gateway' });
      if (fix) await ctx.gateway.deleteKey(g.id);
    } else {
      drift.push({ problem: `API Gateway key ${g.name} (${g.id}) is not in the registry`, fix: 'none: adopt it with keys import', fixed: false });
    }
  }

  if (fix && doc !== snap.doc) {
    snap = await writeRegistry(ctx.registry, snap, doc, ctx.now());
    await ctx.step('registry-done');
  }
  return { drift, inFlight, apiGatewayKeys: gatewayKeys.length, capacity: capacity(fix ? snap.doc : doc, ctx.keyLimit) };
}

export interface ImportReport {
  readonly imported: readonly CustomerView[];
  readonly skipped: readonly string[];
}

/**
 * Adopts keys Terraform created before keys became data (named `${prefix}-<id>`)
 * without re-issuing them: their fingerprints go into the registry, then onto the edge. Values are
 * read to fingerprint them and never printed.
 */
export async function importKeys(ctx: KeysContext): Promise<ImportReport> {
  const { env } = ctx;
  const snap = await readRegistry(ctx.registry, env.name, ctx.now());
  const plans = await ctx.gateway.usagePlanIds(env.prefix);
  const planOf = new Map<string, string>();
  for (const [plan, id] of plans) for (const keyId of await ctx.gateway.planKeyIds(id)) planOf.set(keyId, plan);
  const known = new Set(Object.values(snap.doc.customers).flatMap((c) => c.keys.map((k) => k.apiKeyId)));
  const cliName = cliKeyName(env);
  const skipped: string[] = [];
  const adopted: CustomerRecord[] = [];
  const at = ctx.now().toISOString();
  for (const g of await environmentKeys(ctx, true)) {
    if (known.has(g.id) || cliName.test(g.name)) continue;
    const id = g.name.slice(env.prefix.length + 1);
    const plan = planOf.get(g.id);
    if (!isCustomerId(id)) skipped.push(`${g.name}: "${id}" is not a customer id`);
    else if (plan === undefined || env.usagePlans[plan] === undefined) skipped.push(`${g.name}: in no usage plan of ${env.name}`);
    else if (g.value === undefined) skipped.push(`${g.name}: API Gateway returned no value to fingerprint`);
    else if (snap.doc.customers[id] !== undefined) skipped.push(`${g.name}: customer "${id}" already in the registry with other keys`);
    else {
      const key: KeyRecord = { fingerprint: apiKeyFingerprint(g.value), apiKeyId: g.id, apiKeyName: g.name, state: 'active', createdAt: at };
      adopted.push({ id, customer: g.description ?? id, plan, createdAt: at, billing: {}, origin: 'imported', keys: [key] });
    }
  }
  if (adopted.length === 0) return { imported: [], skipped };
  let doc = snap.doc;
  for (const c of adopted) doc = withCustomer(doc, c.id, c);
  await writeRegistry(ctx.registry, snap, doc, ctx.now());
  await ctx.step('registry-done');
  await ctx.edge.apply({ put: adopted.map((c) => ({ fingerprint: (c.keys[0] as KeyRecord).fingerprint, value: EDGE_ACTIVE })), delete: [] });
  await ctx.step('edge');
  return { imported: adopted.map(view), skipped };
}
