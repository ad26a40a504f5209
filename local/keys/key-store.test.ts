import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWellFormedApiKey } from '../../contracts/api-key';
import { keysFromFileContent } from '../../usage-job/configured-keys';
import { platformConfig } from '../../config/environments';
import { LOCAL_SEED_KEYS } from '../seed-keys';
import { removeTempDirs, tempDir } from '../testing/platform-process';
import { generateKeyValue, KEYS_FILE, loadOrCreateKeys } from './key-store';

const local = platformConfig.local;

test('generated values are well-formed 40-character keys, all different', () => {
  const values = Array.from({ length: 200 }, generateKeyValue);
  for (const v of values) {
    expect(v).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(isWellFormedApiKey(v)).toBe(true);
  }
  expect(new Set(values).size).toBe(values.length);
});

test('keys.json is written once in the usage CLI keys format (docs/contracts.md) (readable by the usage job) and kept across restarts', () => {
  const dir = tempDir('keys-');
  const first = loadOrCreateKeys(dir, local);
  expect(first.map((k) => ({ id: k.id, name: k.name, quotaPerMonth: k.quotaPerMonth }))).toEqual(
    LOCAL_SEED_KEYS.map((k) => ({ id: k.id, name: k.customer, quotaPerMonth: local.usagePlans[k.plan].monthlyQuota })),
  );
  const file = join(dir, KEYS_FILE);
  expect(statSync(file).mode & 0o077).toBe(0); // readable by the owner only
  expect(keysFromFileContent(JSON.parse(readFileSync(file, 'utf8')), file).map((k) => k.id)).toEqual(LOCAL_SEED_KEYS.map((k) => k.id));
  const again = loadOrCreateKeys(dir, local);
  expect(again).toEqual(first);
});

test('a key added to the config gets a value; existing values and new quotas are kept in step', () => {
  const dir = tempDir('keys-');
  const first = loadOrCreateKeys(dir, local);
  const grown = {
    ...local,
    usagePlans: { ...local.usagePlans, basic: { ...local.usagePlans.basic, monthlyQuota: 500 } },
    apiKeys: [...LOCAL_SEED_KEYS, { id: 'initech', customer: 'Initech', plan: 'basic' }],
  };
  const second = loadOrCreateKeys(dir, grown);
  expect(second.slice(0, first.length).map((k) => k.value)).toEqual(first.map((k) => k.value));
  expect(second.find((k) => k.id === 'globex')!.quotaPerMonth).toBe(500);
  expect(isWellFormedApiKey(second.find((k) => k.id === 'initech')!.value)).toBe(true);
});

test('a damaged keys file is a clear error, not a silent new key', () => {
  const dir = tempDir('keys-');
  writeFileSync(join(dir, KEYS_FILE), '{"not":"an array"}');
  expect(() => loadOrCreateKeys(dir, local)).toThrow(/must hold a JSON array of keys; delete it to generate new keys/);
  writeFileSync(join(dir, KEYS_FILE), '[{"id":"acme","value":"short"}]');
  expect(() => loadOrCreateKeys(dir, local)).toThrow(/entry 0 needs a string id and a well-formed value/);
  writeFileSync(join(dir, KEYS_FILE), '[{');
  expect(() => loadOrCreateKeys(dir, local)).toThrow(/is not valid JSON/);
});

afterAll(removeTempDirs);
