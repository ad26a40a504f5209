/** The usage SQL's billing semantics (docs/contracts.md) on the DuckDB engine over generated v2 Parquet logs. */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { DuckDbUsageEngine } from './duckdb-engine';
import { oneKeyCustomer } from '../customers';
import { monthUsage } from '../month-usage';
import { logRecord } from '../../sql/testing/log-fixtures';
import { writeLogFile } from '../../sql/log-writer';
import type { HourlyUsageRow } from '../types';

const ACCOUNT = '000000000000';
const DIST = 'E2TESTDIST';
const A = apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa');
const B = apiKeyFingerprint('key-B-bbbbbbbbbbbbbbbbbbbb');
const UNKNOWN = apiKeyFingerprint('key-unknown-cccccccccccccc');
const H7 = new Date('2026-11-03T07:00:00Z');

let root: string;
let engine: DuckDbUsageEngine;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'usage-engine-'));
  engine = new DuckDbUsageEngine(root);
});
afterEach(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

const byFp = (rows: readonly HourlyUsageRow[], fp: string | null, month = '2026-11') => rows.find((r) => r.apikeyFp === fp && r.month === month);

describe('DuckDB usage engine', () => {
  it('attributes a record only when its whole viewer_request_log_data is a fingerprint; the query string never counts', async () => {
    await writeLogFile(root, ACCOUNT, DIST, H7, [
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A }),
      logRecord({ at: '2026-11-03T07:02:00Z', logData: A, query: `apikey_fp=${B}` }), // A's request naming B: A's
      logRecord({ at: '2026-11-03T07:03:00Z', query: `apikey_fp=${A}` }), // a query alone: nobody's
      logRecord({ at: '2026-11-03T07:04:00Z', query: `page=2&apikey_fp=${A}&sort=asc` }),
      logRecord({ at: '2026-11-03T07:05:00Z', logData: A.toUpperCase() }),
      logRecord({ at: '2026-11-03T07:06:00Z', logData: `${A}0` }),
      logRecord({ at: '2026-11-03T07:07:00Z', logData: ` ${A}` }),
      logRecord({ at: '2026-11-03T07:08:00Z', logData: `apikey_fp=${A}` }),
      logRecord({ at: '2026-11-03T07:09:00Z', logData: `${A}%0A` }),
      logRecord({ at: '2026-11-03T07:10:00Z', logData: '-' }),
    ]);
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    expect(byFp(rows, A)).toMatchObject({ requests: 2, total: 2 });
    expect(byFp(rows, B)).toBeUndefined();
    expect(byFp(rows, null)).toMatchObject({ requests: 8, total: 8 });
    expect(rows).toHaveLength(2);
  });

  it('reads logs whose files lack viewer_request_log_data (older delivery) as unattributed, next to files that have it', async () => {
    await writeLogFile(root, ACCOUNT, DIST, H7, [logRecord({ at: '2026-11-03T07:01:00Z', logData: A })]);
    const dir = dirname(await writeLogFile(root, ACCOUNT, DIST, H7, [logRecord({ at: '2026-11-03T07:02:00Z' })]));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT '2026-11-03' AS "date", '07:03:00' AS "time", '200' AS sc_status, '10' AS sc_bytes, '5' AS cs_bytes, 'old-format-request' AS x_edge_request_id, 'apikey_fp=${A}' AS cs_uri_query) TO '${join(dir, 'old.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    expect(byFp(rows, A)).toMatchObject({ requests: 1 });
    expect(byFp(rows, null)).toMatchObject({ requests: 2, total: 2 });
  });

  it('reads an hour whose files all lack viewer_request_log_data as unattributed, as Athena does through the Glue table', async () => {
    const dir = dirname(await writeLogFile(root, ACCOUNT, DIST, new Date('2026-11-03T09:00:00Z'), []));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT '2026-11-03' AS "date", '09:03:00' AS "time", '200' AS sc_status, '10' AS sc_bytes, '5' AS cs_bytes, 'r1' AS x_edge_request_id) TO '${join(dir, 'old.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
    rmSync(
      join(
        dir,
        readdirSync(dir).find((f) => f !== 'old.parquet')!,
      ),
    );
    const { rows } = await engine.queryHours(['2026-11-03T09']);
    expect(rows).toEqual([
      { hour: '2026-11-03T09', month: '2026-11', apikeyFp: null, requests: 1, rejected: 0, errors: 0, total: 1, bytesOut: 10, bytesIn: 5 },
    ]);
  });

  it('counts 2xx/3xx as billable, 4xx as rejected, 5xx as errors, and bytes of billable requests only', async () => {
    await writeLogFile(root, ACCOUNT, DIST, H7, [
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 200, bytesOut: 1000, bytesIn: 100 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 399, bytesOut: 24, bytesIn: 10 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 400, bytesOut: 50_000 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 429, bytesOut: 50_000 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 502, bytesOut: 50_000 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: '000', bytesOut: 50_000 }),
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, status: 200, bytesOut: '-', bytesIn: '-' }),
    ]);
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    expect(rows).toEqual([
      { hour: '2026-11-03T07', month: '2026-11', apikeyFp: A, requests: 3, rejected: 2, errors: 1, total: 7, bytesOut: 1024, bytesIn: 110 },
    ]);
  });

  it('counts a request logged twice (same x_edge_request_id, two files of the hour) once', async () => {
    const duplicate = logRecord({ at: '2026-11-03T07:30:00Z', logData: B, bytesOut: 300 });
    await writeLogFile(root, ACCOUNT, DIST, H7, [duplicate, logRecord({ at: '2026-11-03T07:31:00Z', logData: B, bytesOut: 5 })]);
    await writeLogFile(root, ACCOUNT, DIST, H7, [duplicate]);
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    expect(byFp(rows, B)).toMatchObject({ requests: 2, total: 2, bytesOut: 305 });
  });

  it('assigns a record to the month of its date, not of its partition', async () => {
    const firstHour = new Date('2026-11-01T00:00:00Z');
    await writeLogFile(root, ACCOUNT, DIST, firstHour, [
      logRecord({ at: '2026-10-31T23:59:59Z', logData: A }),
      logRecord({ at: '2026-11-01T00:00:01Z', logData: A }),
      logRecord({ at: '2026-11-01T00:00:02Z', logData: A }),
    ]);
    const { rows } = await engine.queryHours(['2026-11-01T00']);
    expect(byFp(rows, A, '2026-10')).toMatchObject({ hour: '2026-11-01T00', requests: 1 });
    expect(byFp(rows, A, '2026-11')).toMatchObject({ hour: '2026-11-01T00', requests: 2 });
  });

  it('reads only the asked partition hours', async () => {
    await writeLogFile(root, ACCOUNT, DIST, H7, [logRecord({ at: '2026-11-03T07:01:00Z', logData: A })]);
    const other = await writeLogFile(root, ACCOUNT, DIST, new Date('2026-11-03T08:00:00Z'), [logRecord({ at: '2026-11-03T08:01:00Z' })]);
    const corrupt = join(dirname(other), 'corrupt.parquet');
    writeFileSync(corrupt, 'this is not parquet');
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    expect(rows.map((r) => r.hour)).toEqual(['2026-11-03T07']);
    await expect(engine.queryHours(['2026-11-03T08'])).rejects.toThrow(/corrupt\.parquet/);
  });

  it('reports the bytes of the usage columns read, less than the files', async () => {
    const path = await writeLogFile(
      root,
      ACCOUNT,
      DIST,
      H7,
      Array.from({ length: 200 }, (_, i) => logRecord({ at: `2026-11-03T07:${String(i % 60).padStart(2, '0')}:00Z` })),
    );
    const { bytesScanned } = await engine.queryHours(['2026-11-03T07']);
    expect(bytesScanned).toBeGreaterThan(0);
    expect(bytesScanned).toBeLessThan(statSync(path).size);
    expect((await engine.queryHours(['2026-11-03T09'])).bytesScanned).toBe(0);
  });

  it('sums two keys, unknown and missing fingerprints into month figures', async () => {
    await writeLogFile(root, ACCOUNT, DIST, H7, [
      logRecord({ at: '2026-11-03T07:01:00Z', logData: A, bytesOut: 10 }),
      logRecord({ at: '2026-11-03T07:02:00Z', logData: A, status: 403 }),
      logRecord({ at: '2026-11-03T07:03:00Z', logData: B, bytesOut: 20 }),
      logRecord({ at: '2026-11-03T07:04:00Z', logData: UNKNOWN }),
      logRecord({ at: '2026-11-03T07:05:00Z', logData: UNKNOWN, status: 500 }),
      logRecord({ at: '2026-11-03T07:06:00Z', query: '-', status: 403 }),
      logRecord({ at: '2026-11-03T07:07:00Z', query: `apikey_fp=${A}`, logData: '-' }),
    ]);
    const { rows } = await engine.queryHours(['2026-11-03T07']);
    const usage = monthUsage('2026-11', rows, [
      oneKeyCustomer('a', 'A Corp', A, 8),
      oneKeyCustomer('b', 'B Corp', B, 1000),
      oneKeyCustomer('c', 'Idle Corp', apiKeyFingerprint('key-idle-dddddddddddddddd'), 10),
    ]);
    expect(usage).toEqual({
      month: '2026-11',
      keys: [
        { id: 'a', name: 'A Corp', requests: 1, rejected: 1, errors: 0, bytesOut: 10, bytesIn: 128, quota: 8, quotaUsedPercent: 12.5 },
        { id: 'b', name: 'B Corp', requests: 1, rejected: 0, errors: 0, bytesOut: 20, bytesIn: 128, quota: 1000, quotaUsedPercent: 0.1 },
        { id: 'c', name: 'Idle Corp', requests: 0, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 10, quotaUsedPercent: 0 },
      ],
      unattributed: { requests: 4 },
      totalRequests: 7,
    });
  });
});
