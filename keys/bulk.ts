/**
 * Bulk onboarding: `keys create --from-csv FILE --values-out FILE`. The values are written to the
 * values file (mode 0600) before anything else, so a restarted run re-imports the same values:
 * ImportApiKeys overwrites a key imported again (same value), which makes the restart safe, and the
 * one-at-a-time fallback finds keys it already made by name. The values file is never rewritten:
 * a new run creates it, a resumed run appends only the values it generates, and a file holding
 * another run's values is refused. The registry is written once for the intent and once when done,
 * whatever the number of rows.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync } from 'node:fs';
import { apiKeyFingerprint } from '../contracts/api-key';
import { EDGE_ACTIVE } from '../contracts/edge-keys';
import { createFileAtomic } from './atomic-file';
import {
  apiKeyName,
  capacity,
  commitDoneAll,
  KeysInputError,
  PENDING_IN_FLIGHT_SECONDS,
  requireOwnKeyNames,
  view,
  type DoneChange,
  type IssuedKey,
  type KeysContext,
} from './commands';
import { isCustomerId, readRegistry, withCustomer, writeRegistry, type CustomerRecord, type RegistryDocument } from './registry';

export interface CsvCustomer {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
}

/** Splits one CSV line (RFC 4180 quoting). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Reads `id,customer,plan` rows (header required, any column order). */
export function parseCustomersCsv(text: string, file: string): CsvCustomer[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new KeysInputError(`${file}: header must name the columns id, customer and plan`);
    return i;
  };
  const [iId, iCustomer, iPlan] = [col('id'), col('customer'), col('plan')];
  return lines.slice(1).map((line) => {
    const f = csvFields(line);
    return { id: (f[iId] ?? '').trim(), customer: (f[iCustomer] ?? '').trim(), plan: (f[iPlan] ?? '').trim() };
  });
}

export type BulkMode = 'import' | 'one-at-a-time';

export interface BulkResult {
  readonly issued: readonly IssuedKey[];
  /** How the keys reached API Gateway (import falls back to one at a time when ImportApiKeys fails). */
  readonly mode: BulkMode;
  /** Rows whose values an earlier, interrupted run already wrote to the values file (not written again). */
  readonly alreadyInFile: readonly string[];
}

/** ImportApiKeys rows per call. AWS publishes no row or size limit for it; 1,000 rows is about 100 KB. */
export const IMPORT_CHUNK = 1000;

/**
 * How long a bulk run announces it may take per row, on top of sync's usual in-flight age: five
 * times the published floor of one key per 0.2 s (CreateApiKey, 5/s), for throttling by others
 * sharing the account's budget. sync leaves the run's pending creates alone until then.
 */
export const BULK_SECONDS_PER_ROW = 1;

const VALUES_HEADER = 'id,customer,plan,fingerprint,value';

interface WrittenValue {
  readonly fingerprint: string;
  readonly value: string;
}

/**
 * The values an existing values file holds for this run's rows. The file may only be this run's
 * own (every id in it a row of the CSV, so a restart finds its values again); anything else is
 * refused, because the file is the only copy of values issued before.
 */
function readValuesFile(file: string, ids: ReadonlySet<string>): Map<string, WrittenValue> {
  const out = new Map<string, WrittenValue>();
  if (!existsSync(file)) return out;
  const refuse = (why: string): never => {
    throw new KeysInputError(`${why}; nothing was created`);
  };
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== VALUES_HEADER) refuse(`${file} exists and is not a keys values file; an existing file is never overwritten: pass a new --values-out path`);
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) refuse(`values file ${file} can be read by others (mode ${mode.toString(8)}); chmod 600 it or pass a new --values-out path`);
  const foreign: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const [id = '', , , fingerprint, value] = csvFields(line);
    if (!ids.has(id)) foreign.push(id);
    // A line cut short by a crash does not match its own fingerprint, so it is not reused.
    else if (fingerprint !== undefined && value !== undefined && apiKeyFingerprint(value) === fingerprint) out.set(id, { fingerprint, value });
  }
  if (foreign.length > 0) {
    const named = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    refuse(
      `values file ${file} already holds values of customers not in this CSV (${named}); an existing values file is never overwritten: pass a new --values-out path`,
    );
  }
  return out;
}

/** Creates the values file (mode 0600, never over an existing one) or appends to this run's, and syncs it to disk. */
function appendValues(file: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  if (!existsSync(file)) {
    createFileAtomic(file, [VALUES_HEADER, ...lines].join('\n') + '\n', 0o600);
    return;
  }
  const text = readFileSync(file, 'utf8');
  appendFileSync(file, (text.endsWith('\n') ? '' : '\n') + lines.join('\n') + '\n');
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function createFromCsv(ctx: KeysContext, rows: readonly CsvCustomer[], valuesFile: string, mode: BulkMode): Promise<BulkResult> {
  const { env } = ctx;
  let snap = await readRegistry(ctx.registry, env.name, ctx.now());
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const where = `row ${i + 2} (${r.id})`;
    if (!isCustomerId(r.id)) throw new KeysInputError(`${where}: id must be 1-64 lowercase letters, digits and inner dashes; nothing was created`);
    if (r.customer === '') throw new KeysInputError(`${where}: customer is empty; nothing was created`);
    if (env.usagePlans[r.plan] === undefined)
      throw new KeysInputError(`${where}: unknown plan "${r.plan}"; plans: ${Object.keys(env.usagePlans).join(', ')}; nothing was created`);
    if (seen.has(r.id)) throw new KeysInputError(`${where}: duplicate id in the file; nothing was created`);
    try {
      requireOwnKeyNames(ctx, r.id);
    } catch (error) {
      throw new KeysInputError(`${where}: ${(error as Error).message}; nothing was created`);
    }
    seen.add(r.id);
    const existing = snap.doc.customers[r.id];
    if (existing !== undefined && existing.pending?.kind !== 'create') throw new KeysInputError(`${where}: customer already exists; nothing was created`);
  });
  const previous = readValuesFile(valuesFile, seen);
  const started = ctx.now();
  const at = started.toISOString();
  const expectedDoneBy = new Date(started.getTime() + (PENDING_IN_FLIGHT_SECONDS + rows.length * BULK_SECONDS_PER_ROW) * 1000).toISOString();
  const issued = rows.map((r) => {
    const record = snap.doc.customers[r.id];
    const before = previous.get(r.id);
    // A restart reuses the value it wrote before, so the registry's pending fingerprint still matches;
    // a value written but never recorded (crash before the intent) was never used anywhere.
    if (before !== undefined && (record === undefined || record.keys[0]?.fingerprint === before.fingerprint)) return { row: r, ...before, reused: true };
    const value = ctx.generateValue();
    return { row: r, value, fingerprint: apiKeyFingerprint(value), reused: false };
  });
  const fresh = issued.filter((x) => snap.doc.customers[x.row.id] === undefined).length;
  const c = capacity(snap.doc, ctx.keyLimit);
  if (c.free < fresh) {
    throw new KeysInputError(
      `API Gateway has room for ${c.free} more keys (limit ${c.limit}: ${c.active} active, ${c.grace} in grace, ${c.revokedNotDeleted} revoked not yet deleted, ${c.pending} pending) and the file has ${fresh}; nothing was created`,
    );
  }
  appendValues(
    valuesFile,
    issued.filter((x) => !x.reused).map((x) => [x.row.id, x.row.customer, x.row.plan, x.fingerprint, x.value].map(quote).join(',')),
  );

  let doc: RegistryDocument = snap.doc;
  const records = new Map<string, CustomerRecord>();
  for (const x of issued) {
    const record: CustomerRecord = {
      id: x.row.id,
      customer: x.row.customer,
      plan: x.row.plan,
      createdAt: at,
      billing: {},
      origin: 'cli',
      keys: [{ fingerprint: x.fingerprint, apiKeyName: apiKeyName(env, x.row.id, x.fingerprint), state: 'pending', createdAt: at }],
      pending: { kind: 'create', fingerprint: x.fingerprint, startedAt: at, expectedDoneBy },
    };
    records.set(x.row.id, record);
    doc = withCustomer(doc, x.row.id, record);
  }
  snap = await writeRegistry(ctx.registry, snap, doc, ctx.now());
  await ctx.step('registry-intent');

  const plans = await ctx.gateway.usagePlanIds(env.prefix);
  const planIdOf = (plan: string): string => {
    const id = plans.get(plan);
    if (id === undefined) throw new Error(`usage plan ${env.prefix}-${plan} not found in API Gateway; deploy the environment's stack first`);
    return id;
  };
  const existing = new Map((await ctx.gateway.listKeys(`${env.prefix}-`, false)).map((g) => [g.name, g.id]));
  let used: BulkMode = mode;
  if (mode === 'import') {
    try {
      for (let i = 0; i < issued.length; i += IMPORT_CHUNK) {
        const chunk = issued.slice(i, i + IMPORT_CHUNK);
        const csv =
          'Name,Key,Description,Enabled,UsagePlanIds\n' +
          chunk.map((x) => [apiKeyName(env, x.row.id, x.fingerprint), x.value, x.row.customer, 'true', planIdOf(x.row.plan)].map(quote).join(',')).join('\n') +
          '\n';
        const out = await ctx.gateway.importKeys(csv);
        if (out.warnings.length > 0) throw new Error(`ImportApiKeys warned: ${out.warnings.join('; ')}`);
        await ctx.step('apigw-import');
      }
    } catch (error) {
      if ((error as { name?: string }).name !== 'NotImplemented' && (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404)
        throw error;
      used = 'one-at-a-time';
    }
    if (used === 'import') for (const g of await ctx.gateway.listKeys(`${env.prefix}-`, false)) existing.set(g.name, g.id);
  }
  if (used === 'one-at-a-time') {
    for (const x of issued) {
      const name = apiKeyName(env, x.row.id, x.fingerprint);
      const id = existing.get(name) ?? (await ctx.gateway.createKey(name, x.value, x.row.customer));
      existing.set(name, id);
      await ctx.gateway.bind(planIdOf(x.row.plan), id);
      await ctx.step('apigw-key');
    }
  }

  await ctx.edge.apply({ put: issued.map((x) => ({ fingerprint: x.fingerprint, value: EDGE_ACTIVE })), delete: [] });
  await ctx.step('edge');

  const out: IssuedKey[] = [];
  const changes: DoneChange[] = [];
  for (const x of issued) {
    const apiKeyId = existing.get(apiKeyName(env, x.row.id, x.fingerprint));
    if (apiKeyId === undefined) throw new Error(`API Gateway has no key ${apiKeyName(env, x.row.id, x.fingerprint)} after the import; run the command again`);
    const intent = records.get(x.row.id) as CustomerRecord;
    const { pending: _done, ...rest } = intent;
    const done: CustomerRecord = { ...rest, keys: rest.keys.map((k) => ({ ...k, apiKeyId, state: 'active' as const })) };
    changes.push({ intent, done });
    out.push({ ...view(done), value: x.value });
  }
  const { lost } = await commitDoneAll(ctx, snap, changes);
  if (lost.length > 0) {
    const ids = lost.map((l) => l.intent.id);
    throw new Error(
      `create --from-csv: another command changed ${ids.length} of these customers in the registry while this ran (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}); ` +
        `the other ${issued.length - ids.length} are created, their values in ${valuesFile}. The lines for the changed ones are not billed keys: ` +
        `run keys sync --fix --env ${env.name} to delete what is left of them, then create them again (a CSV of just those rows, a new --values-out file)`,
    );
  }
  await ctx.step('registry-done');
  return { issued: out, mode: used, alreadyInFile: issued.filter((x) => x.reused).map((x) => x.row.id) };
}
