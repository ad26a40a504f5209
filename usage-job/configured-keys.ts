/**
 * The keys a run attributes traffic to: id, name, fingerprint (docs/contracts.md), monthly quota.
 * From a keys file (a JSON array of { id, name, value, quotaPerMonth }, values hashed
 * here with the edge's fingerprint code) or, in AWS, from the usage-job deployment file.
 */
import { readFileSync } from 'node:fs';
import { apiKeyFingerprint, isWellFormedApiKey } from '../contracts/api-key';
import type { LegacyUsageJobDeployment } from './aws/deployment-file';
import { isRecord } from '../contracts/json';
import { KEY_ID, MAX_KEY_ID_LENGTH } from '../contracts/name-rules';

export interface ConfiguredKey {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly quota: number;
}

export class KeysFileError extends Error {}

/** Validates parsed keys-file content; errors name the entry and the field. */
export function keysFromFileContent(content: unknown, source: string): ConfiguredKey[] {
  if (!Array.isArray(content)) throw new KeysFileError(`${source}: must be a JSON array of { "id", "name", "value", "quotaPerMonth" }`);
  const keys: ConfiguredKey[] = [];
  const ids = new Set<string>();
  const fingerprints = new Map<string, string>();
  content.forEach((entry: unknown, index) => {
    const where = `${source}: entry ${index}`;
    if (!isRecord(entry)) throw new KeysFileError(`${where} must be an object with "id", "name", "value", "quotaPerMonth"`);
    const { id, name, value, quotaPerMonth } = entry;
    if (typeof id !== 'string' || !KEY_ID.test(id) || id.length > MAX_KEY_ID_LENGTH)
      throw new KeysFileError(`${where}: field "id" must be 1 to ${MAX_KEY_ID_LENGTH} lowercase letters, digits and single dashes`);
    const at = `${source}: entry ${index} ("${id}")`;
    if (ids.has(id)) throw new KeysFileError(`${at}: field "id" repeats an earlier entry`);
    if (typeof name !== 'string' || name.trim() === '') throw new KeysFileError(`${at}: field "name" must be a non-empty string`);
    if (typeof value !== 'string' || !isWellFormedApiKey(value)) {
      throw new KeysFileError(`${at}: field "value" must be an API key of 20 to 128 printable ASCII characters without spaces`);
    }
    if (typeof quotaPerMonth !== 'number' || !Number.isSafeInteger(quotaPerMonth) || quotaPerMonth <= 0) {
      throw new KeysFileError(`${at}: field "quotaPerMonth" must be a positive whole number`);
    }
    const fingerprint = apiKeyFingerprint(value);
    const other = fingerprints.get(fingerprint);
    if (other !== undefined) throw new KeysFileError(`${at}: field "value" is the same key as entry "${other}"`);
    ids.add(id);
    fingerprints.set(fingerprint, id);
    keys.push({ id, name, fingerprint, quota: quotaPerMonth });
  });
  return keys;
}

export function readKeysFile(path: string): ConfiguredKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeysFileError(`cannot read keys file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new KeysFileError(`keys file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return keysFromFileContent(content, `keys file ${path}`);
}

/** Keys of a deployed environment: the stack's fingerprint map (no key values). */
export function keysFromDeployment(deployment: LegacyUsageJobDeployment): ConfiguredKey[] {
  return deployment.keys.map((k) => ({ id: k.id, name: k.customer, fingerprint: k.fingerprint, quota: k.monthlyQuota }));
}
