/**
 * Issue 6: no API key value leaves the usage job — not in its report (JSON or table), its
 * progress lines, the invoice files (CSV and JSON) or anything it stores (rollups, manifest).
 * Metrics are checked against moto in usage-job-kill.moto.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { findEnvironment } from './cli';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile } from '../sql/log-writer';
import { writeRegistryFile } from './testing/registry';
import { runUsageCli } from './testing/usage-cli';

const env = findEnvironment('local');
const keys = ['acme', 'globex'].map((id) => ({ id, name: id, value: `${id}-${randomBytes(24).toString('base64url')}`, plan: 'basic' }));
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'usage-no-secrets-'));
  writeRegistryFile(join(work, 'registry.json'), env.name, keys);
  // A file with the values, as an operator's machine has (the keys CLI printed them): the scan below must find them there.
  writeFileSync(join(work, 'keys.json'), JSON.stringify(keys));
  await writeLogFile(join(work, 'logs'), env.accountId, 'E2NOSECRET', new Date('2026-11-03T07:00:00Z'), [
    logRecord({ at: '2026-11-03T07:01:00Z', logData: apiKeyFingerprint(keys[0].value) }),
    logRecord({ at: '2026-11-03T07:02:00Z', logData: apiKeyFingerprint(keys[1].value), status: 403 }),
  ]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile());
}

test('report, progress, invoices and stored state never contain a key value', async () => {
  const common = ['--engine', 'duckdb', '--env', 'local', '--month', '2026-11', '--now', '2026-11-03T09:00:00Z', '--dry-run'];
  const paths = ['--logs', join(work, 'logs'), '--registry', join(work, 'registry.json'), '--state', join(work, 'state')];
  const json = await runUsageCli([...common, ...paths, '--format', 'json', '--invoice', join(work, 'out', 'invoice.csv')]);
  const table = await runUsageCli([...common, ...paths, '--format', 'table', '--invoice', join(work, 'out', 'invoice.json')]);
  expect([json.code, table.code]).toEqual([0, 0]);
  expect(JSON.parse(json.stdout).keys.map((k: { id: string; requests: number }) => [k.id, k.requests])).toEqual([
    ['acme', 1],
    ['globex', 0],
  ]);

  const written = [...filesUnder(join(work, 'out')), ...filesUnder(join(work, 'state'))];
  expect(written.length).toBeGreaterThan(2);
  const texts = [json.stdout, json.stderr, table.stdout, table.stderr, ...written.map((f) => readFileSync(f, 'utf8'))];
  for (const key of keys) {
    for (const text of texts) expect(text.includes(key.value)).toBe(false);
  }
  // The same scan finds a value when one is there (the check can fail).
  expect(readFileSync(join(work, 'keys.json'), 'utf8').includes(keys[0].value)).toBe(true);
}, 60_000);
