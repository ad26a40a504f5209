/**
 * Benchmark of the usage job's reads: `npm run bench:usage -- --requests N [--dir DIR] [--keep]`.
 *
 * Generates 30 days (November 2026) of CloudFront logs, N requests in all, twice: as standard
 * logging v2 Parquet in the Hive layout of docs/contracts.md (log layout) (the log writer the tests and local platform
 * use), and as the original spike's design, gzip W3C text logs (same fields, tab-separated, '#' header lines)
 * in one unpartitioned folder. 3 % of each hour's records arrive late (1 to 21 hours after the
 * hour) in three more files, as CloudFront's late deliveries do.
 *
 * Then, in one run, on day 28 at 12:10 UTC:
 *   (a) the usage job's incremental run, with the state (rollups, manifest) that the hourly runs up
 *       to 11:10 left: it reads only the hours whose listing changed in the late window;
 *   (b) a full month-to-date rescan of the same Parquet (every hour of the month so far);
 *   (c) the spike: a full scan of every gzip text log delivered so far, same aggregation.
 * and prints wall time and bytes read of each, with ratios to (c), and checks all three agree.
 *
 * Bytes read: for Parquet, the compressed size of the column chunks of the columns the query
 * reads, in the files of the hours it reads, taken from the Parquet footers (parquet_metadata);
 * that is what a column-pruning reader fetches (footers excluded). For text, the size of every
 * .gz file, since a scan of gzip text must read all of it. Athena bills the same way
 * (DataScannedInBytes), so the ratios carry over.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { apiKeyFingerprint } from '../contracts/api-key';
import { REGISTRY_FORMAT, type RegistryDocument } from '../keys/registry';
import { customersFromRegistry } from '../usage-job/customers';
import { DuckDbUsageEngine } from '../usage-job/local/duckdb-engine';
import { hourIdOf, hourStart } from '../sql/hours';
import { hoursForMonth, runIncremental } from '../usage-job/incremental-run';
import { LocalLogLister } from '../usage-job/local/log-lister';
import { LocalRollupStore } from '../usage-job/local/rollup-store';
import { localStateSource } from '../usage-job/state-source';
import { monthUsage } from '../usage-job/month-usage';
import { copyQueryToLogFile, sqlString } from '../sql/log-writer';
import type { HourlyUsageRow } from '../usage-job/types';
import { USAGE_COLUMNS } from '../sql/usage-query';
import { markdownTable, replaceDocBlock, runStamp } from './doc-block';
import type { MonthUsage } from '../usage-job/month-figures';
import { LOG_COLUMN_NAMES, LOG_COLUMNS, LOG_RECORD_FIELDS, hourPrefix } from '../sql/log-columns';

const MONTH = '2026-11';
const DAYS = 30;
const ACCOUNT = '123456789012';
const DISTRIBUTION = 'E1BENCHMARK0';
const KEY_COUNT = 50;
const LATE_PERCENT = 3;
const LATE_FILES = 3;
/** Main files arrive 65 minutes after their hour starts; late files (three) 1 to 21 hours after its end. */
const MAIN_DELAY_MS = 65 * 60_000;
const PREVIOUS_RUN = new Date('2026-11-28T11:10:00Z');
const RUN = new Date('2026-11-28T12:10:00Z');
const DOC_FILE = resolve(__dirname, '..', 'docs', 'usage-job.md');
const HOUR_MS = 3_600_000;

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '2000000' },
      dir: { type: 'string', default: '.bench/usage' },
      keep: { type: 'boolean', default: false },
      'write-doc': { type: 'boolean', default: false },
    },
  });
  const requests = Number(values.requests);
  if (!Number.isSafeInteger(requests) || requests < 720) throw new Error(`--requests must be a whole number >= 720, got ${values.requests}`);
  return { requests, dir: resolve(values.dir!), keep: values.keep!, writeDoc: values['write-doc']! };
}

const keys = Array.from({ length: KEY_COUNT }, (_, k) => {
  const value = `bench-key-${String(k).padStart(3, '0')}-0123456789abcdef`;
  return { id: `customer-${k}`, name: `Customer ${k}`, fingerprint: apiKeyFingerprint(value) };
});

/** The benchmark's customers as the job reads them: a key registry with one active key each. */
const registry: RegistryDocument = {
  format: REGISTRY_FORMAT,
  environment: 'bench',
  revision: 1,
  updatedAt: '2026-11-01T00:00:00Z',
  customers: Object.fromEntries(
    keys.map((k) => [
      k.id,
      {
        id: k.id,
        customer: k.name,
        plan: 'bench',
        createdAt: '2026-11-01T00:00:00Z',
        billing: {},
        origin: 'cli' as const,
        keys: [{ fingerprint: k.fingerprint, apiKeyName: `bench-${k.id}`, state: 'active' as const, createdAt: '2026-11-01T00:00:00Z' }],
      },
    ]),
  ),
};
const customers = customersFromRegistry(registry, { bench: { monthlyQuota: 1_000_000 } }, 'bench registry');

/**
 * One hour of synthetic records as SQL over range(first, first + n): realistic spread of edge
 * locations, IPs, paths, agents, statuses and sizes; high-entropy request ids like CloudFront's.
 */
function hourRecordsSql(hourStart: Date, first: number, n: number): string {
  const fps = `[${keys.map((k) => sqlString(k.fingerprint)).join(', ')}]`;
  const ts = `TIMESTAMP ${sqlString(hourStart.toISOString().slice(0, 19).replace('T', ' '))}`;
  return `
    SELECT
      strftime(ts, '%Y-%m-%d') AS "date",
      strftime(ts, '%H:%M:%S') AS "time",
      ['FRA56-P4', 'IAD89-C1', 'NRT57-P2', 'LHR61-P1', 'SYD1-C2', 'GRU3-C1'][1 + (h1 % 6)::INTEGER] AS x_edge_location,
      CASE WHEN status BETWEEN 200 AND 299 THEN (300 + h2 % 20000)::VARCHAR ELSE (200 + h2 % 300)::VARCHAR END AS sc_bytes,
      (h3 % 223 + 1)::VARCHAR || '.' || (h3 // 223 % 256)::VARCHAR || '.' || (h3 // 57088 % 256)::VARCHAR || '.' || (h2 // 7 % 254 + 1)::VARCHAR AS c_ip,
      ['GET', 'GET', 'GET', 'POST'][1 + (h1 // 6 % 4)::INTEGER] AS cs_method,
      ['/v1/data', '/v1/items', '/v1/items/' || (h2 % 5000)::VARCHAR, '/v1/search', '/v1/accounts/me'][1 + (h1 // 24 % 5)::INTEGER] AS cs_uri_stem,
      status::VARCHAR AS sc_status,
      ['curl/8.5.0', 'python-requests/2.32.3', 'Mozilla/5.0%20(X11;%20Linux%20x86_64)', 'okhttp/4.12.0', 'Go-http-client/2.0'][1 + (h1 // 120 % 5)::INTEGER] AS cs_User_Agent,
      CASE
        WHEN h4 % 1000 = 999 THEN 'page=1&apikey_fp=' || ${fps}[1 + (h5 % ${KEY_COUNT})::INTEGER]
        ELSE 'page=' || (h2 % 40)::VARCHAR || CASE WHEN h4 % 3 = 0 THEN '&sort=asc' ELSE '' END
      END AS cs_uri_query,
      CASE WHEN h4 % 100 < 2 THEN '-' ELSE fp END AS viewer_request_log_data,
      CASE WHEN status < 400 THEN 'Miss' ELSE 'Error' END AS x_edge_result_type,
      substr(replace(replace(to_base64(unhex(sha256(i::VARCHAR || 'id') || md5(i::VARCHAR))), '+', '_'), '/', '-'), 1, 56) AS x_edge_request_id,
      'api.example.com' AS x_host_header,
      'https' AS cs_protocol,
      (180 + h4 % 700)::VARCHAR AS cs_bytes,
      printf('%.3f', (h1 % 2000) / 1000.0) AS time_taken,
      CASE WHEN status < 400 THEN 'Miss' ELSE 'Error' END AS x_edge_response_result_type,
      CASE WHEN status < 400 THEN 'Miss' ELSE 'Error' END AS x_edge_detailed_result_type,
      'application/json' AS sc_content_type,
      CASE WHEN (h5 % 100) < ${LATE_PERCENT} THEN 'late' || (h5 // 100 % ${LATE_FILES})::VARCHAR ELSE 'main' END AS part
    FROM (
      SELECT i, h1, h2, h3, h4, h5,
        ${ts} + to_seconds((h1 % 3600)::BIGINT) AS ts,
        ${fps}[1 + floor(pow((h2 % 1000000) / 1000000.0, 3) * ${KEY_COUNT})::INTEGER] AS fp,
        CASE WHEN h3 % 100 < 88 THEN 200 WHEN h3 % 100 < 90 THEN 304 WHEN h3 % 100 < 94 THEN 404
             WHEN h3 % 100 < 97 THEN 429 WHEN h3 % 100 < 98 THEN 403 ELSE 503 END AS status
      FROM (
        SELECT i, hash(i, 1) AS h1, hash(i, 2) AS h2, hash(i, 3) AS h3, hash(i, 4) AS h4, hash(i, 5) AS h5
        FROM range(${first}, ${first + n}) AS t(i)
      )
    )`;
}

interface Delivery {
  readonly hourStart: Date;
  /** 'main', or 'late0' .. 'late2' */
  readonly part: string;
  readonly deliveredAt: Date;
}

function deliveries(): Delivery[] {
  const out: Delivery[] = [];
  const start = Date.parse(`${MONTH}-01T00:00:00Z`);
  for (let h = 0; h < DAYS * 24; h += 1) {
    const hourStart = new Date(start + h * HOUR_MS);
    out.push({ hourStart, part: 'main', deliveredAt: new Date(hourStart.getTime() + MAIN_DELAY_MS) });
    for (let j = 0; j < LATE_FILES; j += 1) {
      const delay = HOUR_MS + (1 + ((h * 7 + j * 5) % 20)) * HOUR_MS + (7 + 19 * j + (h % 30)) * 60_000;
      out.push({ hourStart, part: `late${j}`, deliveredAt: new Date(hourStart.getTime() + delay) });
    }
  }
  return out;
}

/** W3C header lines of the spike's text logs (one gzip member), the rows follow as another member. */
const W3C_HEADER = gzipSync(`#Version: 1.0\n#Fields: ${LOG_RECORD_FIELDS.join(' ')}\n`);

async function writeDelivery(connection: DuckDBConnection, root: string, textDir: string, d: Delivery): Promise<void> {
  const stamp = hourIdOf(d.hourStart).replace('T', '-');
  const where = `part = ${sqlString(d.part)}`;
  await copyQueryToLogFile(
    connection,
    `SELECT * FROM hour_records WHERE ${where}`,
    root,
    ACCOUNT,
    DISTRIBUTION,
    d.hourStart,
    `${DISTRIBUTION}.${stamp}.${d.part}.parquet`,
  );
  const tsv = join(textDir, `.${stamp}.${d.part}.tsv.gz`);
  const columns = LOG_COLUMN_NAMES.map((c) => `"${c}"`).join(', ');
  await connection.run(
    `COPY (SELECT ${columns} FROM hour_records WHERE ${where}) TO ${sqlString(tsv)} (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '', COMPRESSION gzip)`,
  );
  writeFileSync(join(textDir, `${DISTRIBUTION}.${stamp}.${d.part}.gz`), Buffer.concat([W3C_HEADER, readFileSync(tsv)]));
  rmSync(tsv);
}

async function generate(connection: DuckDBConnection, root: string, textDir: string, requests: number, deliveredBy: Date, after?: Date): Promise<number> {
  const hours = DAYS * 24;
  const all = deliveries().filter((d) => d.deliveredAt <= deliveredBy && (after === undefined || d.deliveredAt > after));
  const byHour = new Map<number, Delivery[]>();
  for (const d of all) byHour.set(d.hourStart.getTime(), [...(byHour.get(d.hourStart.getTime()) ?? []), d]);
  let files = 0;
  const monthStart = Date.parse(`${MONTH}-01T00:00:00Z`);
  for (const [time, list] of [...byHour.entries()].sort((a, b) => a[0] - b[0])) {
    const index = Math.round((time - monthStart) / HOUR_MS);
    const first = Math.floor((requests * index) / hours);
    const n = Math.floor((requests * (index + 1)) / hours) - first;
    await connection.run(`CREATE OR REPLACE TEMP TABLE hour_records AS ${hourRecordsSql(new Date(time), first, n)}`);
    for (const d of list) {
      await writeDelivery(connection, root, textDir, d);
      files += 1;
    }
    if (index % 48 === 0) log(`  wrote hour ${hourIdOf(new Date(time))}`);
  }
  return files;
}

/** The seed's query: the same aggregation over every gzip text log, no partitions to prune. */
async function seedFullScan(connection: DuckDBConnection, textDir: string): Promise<{ rows: HourlyUsageRow[]; bytes: number; files: number }> {
  const files = readdirSync(textDir)
    .filter((f) => f.endsWith('.gz'))
    .map((f) => join(textDir, f));
  const columns = `{${LOG_COLUMN_NAMES.map((c) => `'${c}': 'VARCHAR'`).join(', ')}}`;
  const reader = await connection.runAndReadAll(`
    WITH records AS (
      SELECT "date" AS log_date, TRY_CAST(sc_status AS INTEGER) AS status,
        COALESCE(TRY_CAST(sc_bytes AS BIGINT), 0) AS bytes_out, COALESCE(TRY_CAST(cs_bytes AS BIGINT), 0) AS bytes_in,
        CASE WHEN regexp_full_match(viewer_request_log_data, '[0-9a-f]{16}') THEN viewer_request_log_data END AS apikey_fp,
        ROW_NUMBER() OVER (PARTITION BY x_edge_request_id ORDER BY "date", "time", sc_status, sc_bytes, cs_bytes, viewer_request_log_data) AS copy_number
      FROM read_csv(${sqlString(join(textDir, '*.gz'))}, delim = '\t', header = false, comment = '#', quote = '', escape = '',
        auto_detect = false, compression = 'gzip', columns = ${columns})
      WHERE substr("date", 1, 7) = ${sqlString(MONTH)}
    )
    SELECT 'all' AS hour_id, ${sqlString(MONTH)} AS usage_month, apikey_fp,
      SUM(CASE WHEN status BETWEEN 200 AND 399 THEN 1 ELSE 0 END)::BIGINT AS requests,
      SUM(CASE WHEN status BETWEEN 400 AND 499 THEN 1 ELSE 0 END)::BIGINT AS rejected,
      SUM(CASE WHEN status BETWEEN 500 AND 599 THEN 1 ELSE 0 END)::BIGINT AS errors,
      COUNT(*)::BIGINT AS total,
      SUM(CASE WHEN status BETWEEN 200 AND 399 THEN bytes_out ELSE 0 END)::BIGINT AS bytes_out,
      SUM(CASE WHEN status BETWEEN 200 AND 399 THEN bytes_in ELSE 0 END)::BIGINT AS bytes_in
    FROM records WHERE copy_number = 1 GROUP BY apikey_fp`);
  const rows = reader.getRowObjects().map((r) => ({
    hour: String(r.hour_id),
    month: String(r.usage_month),
    apikeyFp: r.apikey_fp === null ? null : String(r.apikey_fp),
    requests: Number(r.requests),
    rejected: Number(r.rejected),
    errors: Number(r.errors),
    total: Number(r.total),
    bytesOut: Number(r.bytes_out),
    bytesIn: Number(r.bytes_in),
  }));
  return { rows, bytes: files.reduce((s, f) => s + statSync(f).size, 0), files: files.length };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)} %`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function sameUsage(a: MonthUsage, b: MonthUsage): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function main(): Promise<void> {
  const { requests, dir, keep, writeDoc } = options();
  rmSync(dir, { recursive: true, force: true });
  const root = join(dir, 'parquet');
  const textDir = join(dir, 'text');
  const state = join(dir, 'state');
  mkdirSync(textDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();

  log(`generating ${requests.toLocaleString('en-US')} requests over ${DAYS} days (${MONTH}); files delivered by ${PREVIOUS_RUN.toISOString()}`);
  const gen1 = await timed(() => generate(connection, root, textDir, requests, PREVIOUS_RUN));
  log(`wrote ${gen1.value} Parquet + ${gen1.value} gzip text files in ${secs(gen1.ms)}`);

  const engine = new DuckDbUsageEngine(root);
  const lister = new LocalLogLister(root);
  const run = (now: Date, store: LocalRollupStore) => runIncremental({ month: MONTH, now, lateWindowHours: 48, engine, lister, store, progress: log });
  log('prior runs: building the state the hourly runs up to day 28 11:10 leave');
  const prior = await timed(() => run(PREVIOUS_RUN, new LocalRollupStore(state, localStateSource(root))));

  log(`delivering what arrives between ${PREVIOUS_RUN.toISOString()} and ${RUN.toISOString()}`);
  const gen2 = await generate(connection, root, textDir, requests, RUN, PREVIOUS_RUN);
  log(`${gen2} new Parquet files`);

  log('(a) incremental run on day 28');
  const a = await timed(() => run(RUN, new LocalRollupStore(state, localStateSource(root))));
  const usageA = monthUsage(MONTH, a.value.rows, customers);

  log('(b) full month-to-date rescan of the Parquet');
  const monthHours = hoursForMonth(MONTH, RUN);
  const b = await timed(() => engine.queryHours(monthHours));
  const usageB = monthUsage(MONTH, b.value.rows, customers);

  log('(c) seed design: full scan of gzip W3C text logs');
  const c = await timed(() => seedFullScan(connection, textDir));
  const usageC = monthUsage(MONTH, c.value.rows, customers);
  await engine.close();
  connection.closeSync();
  instance.closeSync();

  const parquetBytes = (hours: readonly string[]) =>
    hours.reduce((sum, h) => {
      const folder = join(root, hourPrefix(ACCOUNT, DISTRIBUTION, hourStart(h)));
      return sum + (existsSync(folder) ? readdirSync(folder).reduce((s, f) => s + statSync(join(folder, f)).size, 0) : 0);
    }, 0);

  const rows: [string, string, number, number, number][] = [
    [
      '(a) incremental run, day 28',
      `${a.value.hoursComputed.length} hours recomputed of ${a.value.hoursConsidered}`,
      a.value.bytesScanned,
      parquetBytes(a.value.hoursComputed),
      a.ms,
    ],
    ['(b) month-to-date rescan, Parquet', `${monthHours.length} hours`, b.value.bytesScanned, parquetBytes(monthHours), b.ms],
    ['(c) seed: gzip text, full scan', `${c.value.files} files`, c.value.bytes, c.value.bytes, c.ms],
  ];
  const total = usageC.totalRequests;
  const out: string[] = [];
  out.push(
    `usage benchmark: ${requests.toLocaleString('en-US')} requests generated over ${DAYS} days; ${total.toLocaleString('en-US')} of ${MONTH} delivered by ${RUN.toISOString()}; ${KEY_COUNT} keys; ${LATE_PERCENT} % late`,
  );
  out.push('');
  const header = ['case', 'scope', 'bytes read', 'vs (c)', 'file bytes', 'wall time', 'vs (c)'];
  const table = rows.map(([name, scope, bytes, fileBytes, ms]) => [name, scope, mb(bytes), pct(bytes, c.value.bytes), mb(fileBytes), secs(ms), pct(ms, c.ms)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line));
  out.push('');
  out.push(`prior runs (state for days 1-28 11:00, one run): ${secs(prior.ms)}, ${mb(prior.value.bytesScanned)} read; generation ${secs(gen1.ms)}`);
  out.push(`target (a) < 5 % of (c)'s bytes: ${a.value.bytesScanned < 0.05 * c.value.bytes ? 'met' : 'NOT met'} (${pct(a.value.bytesScanned, c.value.bytes)})`);
  out.push(
    `results agree: (a) = (b) ${sameUsage(usageA, usageB) ? 'yes' : 'NO'}, (a) = (c) ${sameUsage(usageA, usageC) ? 'yes' : 'NO'}; billable ${usageA.keys.reduce((s, k) => s + k.requests, 0).toLocaleString('en-US')}, unattributed ${usageA.unattributed.requests.toLocaleString('en-US')}`,
  );
  out.push('');
  const notes = [
    `bytes read: Parquet = compressed size of the column chunks the query reads (the ${USAGE_COLUMNS.length} usage columns of`,
    'sql/log-columns.ts) in the files of the hours it reads, from the Parquet footers (parquet_metadata);',
    'gzip text = every byte of every file (a text scan cannot skip columns or hours). "file bytes" = whole',
    `files of the hours read. Text logs carry the same ${LOG_COLUMNS.length} fields as the Parquet (the spike had 33), so (c) is`,
    'if anything understated. Wall time = one run each on this machine, DuckDB, warm page cache.',
  ];
  out.push(...notes);
  process.stdout.write(`${out.join('\n')}\n`);
  if (writeDoc) {
    const command = `npm run --silent bench:usage -- --requests ${requests}`;
    replaceDocBlock(
      DOC_FILE,
      'usage',
      [
        `\`${command}\` (${runStamp()}): ${total.toLocaleString('en-US')} requests of ${MONTH} delivered by ${RUN.toISOString()}, ${KEY_COUNT} keys, ${LATE_PERCENT} % late.`,
        '',
        markdownTable(header, table),
        '',
        `Results agree across (a), (b) and (c): ${sameUsage(usageA, usageB) && sameUsage(usageA, usageC) ? 'yes' : 'NO'}. ${notes.join(' ')}`,
      ].join('\n'),
    );
    log(`wrote the table into ${DOC_FILE}`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  if (!sameUsage(usageA, usageB) || !sameUsage(usageA, usageC)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exitCode = 1;
});
