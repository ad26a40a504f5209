/**
 * Fleets of customers for the sizing test and `npm run bench:fleet`: a key registry
 * (keys/registry.ts format, validated by it) of `n` active customers, written where the keys CLI
 * and the local platform look for one. Customers are registry data, never configuration, so this
 * is the only place a fleet's size can show up.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_REGISTRY_OBJECT } from '../contracts/usage-job-deployment';
import { emptyRegistry, validateRegistry, type CustomerRecord, type RegistryDocument } from '../keys/registry';

/** A valid registry of `n` active customers of `environment`, one key each (plans alternate basic/pro). */
export function fleetRegistry(n: number, environment: string): RegistryDocument {
  const created = '2026-12-01T00:00:00.000Z';
  const customers: Record<string, CustomerRecord> = {};
  for (let i = 0; i < n; i++) {
    const id = `customer-${String(i).padStart(5, '0')}`;
    customers[id] = {
      id,
      customer: `Customer ${i}`,
      plan: i % 2 ? 'pro' : 'basic',
      createdAt: created,
      billing: {},
      origin: 'cli',
      keys: [{ fingerprint: i.toString(16).padStart(16, '0'), apiKeyId: `k${i}`, apiKeyName: `ubb-${environment}-${id}`, state: 'active', createdAt: created }],
    };
  }
  const doc: RegistryDocument = { ...emptyRegistry(environment, new Date(created)), revision: 1, customers };
  validateRegistry(doc, `fleet registry of ${n}`);
  return doc;
}

/**
 * Writes a registry of `n` customers as `stateDir`/registry.json and returns the variables that
 * point the keys CLI and the local platform at it (KEYS_REGISTRY_FILE, LOCAL_STATE_DIR).
 */
export function writeFleetRegistry(n: number, stateDir: string, environment: string): Record<string, string> {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, KEY_REGISTRY_OBJECT);
  writeFileSync(file, JSON.stringify(fleetRegistry(n, environment)));
  return { KEYS_REGISTRY_FILE: file, LOCAL_STATE_DIR: stateDir };
}
