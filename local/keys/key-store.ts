/**
 * The local platform's API keys, kept in <state>/keys.json in the usage CLI's keys format (docs/contracts.md)
 * ({ id, name, value, quotaPerMonth }) so the usage CLI reads the same file with `--keys`.
 * A key's value is generated once, with crypto-random characters, and kept across restarts;
 * ids, names and quotas always follow the environment config.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWellFormedApiKey } from '../../contracts/api-key';
import { localSeedKeys, type LocalEnvironment } from '../seed-keys';
import { writeFileAtomic } from '../../usage-job/atomic-file';

export interface LocalApiKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly quotaPerMonth: number;
}

export const KEYS_FILE = 'keys.json';

/**
 * API Gateway takes key values of 20 to 128 alphanumerics and generates one when none is given
 * (AWS::ApiGateway::ApiKey Value); the keys it generates are 40 alphanumerics in practice, a length
 * we could not find documented. Well-formed by docs/contracts.md either way.
 */
const KEY_LENGTH = 40;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateKeyValue(): string {
  let out = '';
  while (out.length < KEY_LENGTH) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < KEY_LENGTH) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return out;
}

/** Loads the keys file, adds a value for every configured key that has none, and saves it. */
export function loadOrCreateKeys(stateDir: string, environment: LocalEnvironment): LocalApiKey[] {
  const file = join(stateDir, KEYS_FILE);
  const existing = existsSync(file) ? readKeysFile(file) : [];
  const valueById = new Map(existing.map((k) => [k.id, k.value]));
  const keys = localSeedKeys(environment).map((key) => ({
    id: key.id,
    name: key.customer,
    value: valueById.get(key.id) ?? generateKeyValue(),
    quotaPerMonth: environment.usagePlans[key.plan].monthlyQuota,
  }));
  const text = JSON.stringify(keys, null, 2) + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text, 0o600);
  return keys;
}

function readKeysFile(file: string): LocalApiKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); delete it to generate new keys`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new Error(`${file} must hold a JSON array of keys; delete it to generate new keys`);
  return parsed.map((item: unknown, i) => {
    const k = item as Partial<LocalApiKey> | null;
    if (k === null || typeof k !== 'object' || typeof k.id !== 'string' || typeof k.value !== 'string' || !isWellFormedApiKey(k.value)) {
      throw new Error(`${file}: entry ${i} needs a string id and a well-formed value (20-128 printable ASCII); delete the file to regenerate`);
    }
    return { id: k.id, name: String(k.name ?? k.id), value: k.value, quotaPerMonth: Number(k.quotaPerMonth ?? 0) };
  });
}
