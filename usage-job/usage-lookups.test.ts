/**
 * A usage lookup (GET /usage, the route that uses no quota) is never billed: the usage SQL on
 * DuckDB counts it in the hour's records and in none of requests, rejected, errors or bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { writeLogFile } from '../sql/log-writer';
import { logRecord } from '../sql/testing/log-fixtures';
import { DuckDbUsageEngine } from './local/duckdb-engine';

const A = apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa');
const H7 = new Date('2026-11-03T07:00:00Z');

let root: string;
let engine: DuckDbUsageEngine;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'usage-lookups-'));
  engine = new DuckDbUsageEngine(root);
});
afterEach(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

test('GET /usage records of a key count in total only; the key’s API calls and near misses of the route are billed as usual', async () => {
  await writeLogFile(root, '000000000000', 'E2LOOKUPS', H7, [
    logRecord({ at: '2026-11-03T07:01:00Z', logData: A, method: 'GET', path: '/usage', bytesOut: 900 }),
    logRecord({ at: '2026-11-03T07:02:00Z', logData: A, method: 'GET', path: '/usage', status: 503 }),
    logRecord({ at: '2026-11-03T07:03:00Z', logData: A, method: 'GET', path: '/usage', status: 403 }),
    logRecord({ at: '2026-11-03T07:04:00Z', logData: A, method: 'GET', path: '/example', bytesOut: 100 }),
    logRecord({ at: '2026-11-03T07:05:00Z', logData: A, method: 'POST', path: '/usage', bytesOut: 10 }),
    logRecord({ at: '2026-11-03T07:06:00Z', logData: A, method: 'GET', path: '/usage/', bytesOut: 1 }),
  ]);
  const { rows } = await engine.queryHours(['2026-11-03T07']);
  expect(rows.filter((r) => r.apikeyFp === A)).toEqual([expect.objectContaining({ requests: 3, rejected: 0, errors: 0, total: 6, bytesOut: 111 })]);
});
