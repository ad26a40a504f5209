/**
 * The customers `npm start` makes on a fresh state folder, so the printed curl commands work:
 * created through the keys CLI's own `create` (keys/commands.ts) against the local registry, the
 * local API Gateway and the edge file, exactly as `npm run --silent keys -- create --env local`
 * would. So they are ordinary registry customers: `keys list` shows them, `keys sync --fix` keeps
 * them, `keys revoke` stops them. A seed whose id the registry already holds is left as it is.
 *
 * The values the platform issued are kept in <state>/keys.json ({ id, name, value }, mode 0600)
 * for the banner and the tests; the registry never holds a value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentConfig } from '../../config/types';
import { isWellFormedApiKey } from '../../contracts/api-key';
import { contextFromEnv } from '../../keys/cli';
import { createKey, type KeysContext } from '../../keys/commands';
import { readRegistry } from '../../keys/registry';
import { writeFileAtomic } from '../../keys/atomic-file';

export interface SeedCustomer {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
}

/** A value the platform issued to a seed customer. */
export interface LocalApiKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
}

export const KEYS_FILE = 'keys.json';

export const DEFAULT_SEED: readonly SeedCustomer[] = [
  { id: 'acme', customer: 'Acme Corp', plan: 'pro' },
  { id: 'globex', customer: 'Globex Inc', plan: 'basic' },
];

/** The keys CLI's context for the local environment under `stateDir` (registry, API Gateway, edge files). */
export function localKeysContext(environment: EnvironmentConfig, stateDir: string): KeysContext {
  return contextFromEnv(environment, { LOCAL_STATE_DIR: stateDir });
}

/** Creates every seed customer the registry lacks; returns the values issued so far (kept in keys.json). */
export async function seedCustomers(ctx: KeysContext, stateDir: string, seed: readonly SeedCustomer[]): Promise<LocalApiKey[]> {
  const file = join(stateDir, KEYS_FILE);
  const issued = new Map(readIssued(file).map((k) => [k.id, k]));
  const { doc } = await readRegistry(ctx.registry, ctx.env.name);
  for (const s of seed) {
    const existing = doc.customers[s.id];
    if (existing !== undefined && existing.pending?.kind !== 'create') continue;
    const key = await createKey(ctx, { customer: s.customer, plan: s.plan, id: s.id });
    issued.set(s.id, { id: s.id, name: s.customer, value: key.value });
    writeFileAtomic(file, JSON.stringify([...issued.values()], null, 2) + '\n', 0o600);
  }
  return [...issued.values()];
}

function readIssued(file: string): LocalApiKey[] {
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); delete it (the registry keeps the customers; keys rotate issues new values)`, {
      cause: error,
    });
  }
  if (!Array.isArray(parsed)) throw new Error(`${file} must hold a JSON array of { id, name, value }; delete it`);
  return parsed.map((item: unknown, i) => {
    const k = item as Partial<LocalApiKey> | null;
    if (k === null || typeof k !== 'object' || typeof k.id !== 'string' || typeof k.value !== 'string' || !isWellFormedApiKey(k.value)) {
      throw new Error(`${file}: entry ${i} needs a string id and a well-formed value; delete the file`);
    }
    return { id: k.id, name: String(k.name ?? k.id), value: k.value };
  });
}

/** Seed customers from a JSON file (LOCAL_SEED_FILE): an array of { id, customer, plan }. */
export function readSeedFile(path: string, environment: EnvironmentConfig): SeedCustomer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`LOCAL_SEED_FILE ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new Error(`LOCAL_SEED_FILE ${path} must hold a JSON array of { "id", "customer", "plan" }`);
  return parsed.map((item: unknown, i) => {
    const s = item as Partial<SeedCustomer> | null;
    if (s === null || typeof s !== 'object' || typeof s.id !== 'string' || typeof s.customer !== 'string' || typeof s.plan !== 'string') {
      throw new Error(`LOCAL_SEED_FILE ${path}: entry ${i} needs string fields "id", "customer" and "plan"`);
    }
    if (environment.usagePlans[s.plan] === undefined) {
      throw new Error(`LOCAL_SEED_FILE ${path}: entry ${i} names plan "${s.plan}", not one of ${Object.keys(environment.usagePlans).join(', ')}`);
    }
    return { id: s.id, customer: s.customer, plan: s.plan };
  });
}
