/**
 * Writes CloudFront standard logging v2 files the way the delivery does (docs/contracts.md, log layout): Parquet,
 * every column of sql/log-columns.ts as a string ('-' when empty), under the Hive-compatible
 * partition path of the hour. Used by the test fixtures, the benchmark and the local platform.
 *
 * Each file is written to a temporary name in the same folder and renamed into place, so a reader
 * (the usage job's listing, DuckDB's glob) never sees half a file.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_COLUMN_NAMES, hourPrefix } from './log-columns';

/** One log record: column name (LOG_COLUMNS[].column) to value. Absent columns are written as '-'. */
export type LogRecord = Readonly<Partial<Record<string, string>>>;

export interface WriteLogFileOptions {
  /** File name inside the hour's folder; default `<distribution>.<yyyy-MM-dd-HH>.<random>.parquet`. */
  readonly fileName?: string;
  /** Reuse a DuckDB connection (faster when writing many files); default: a fresh in-memory one. */
  readonly connection?: DuckDBConnection;
}

const KNOWN_COLUMNS = new Set(LOG_COLUMN_NAMES);

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function assertHourStart(hourStart: Date): void {
  if (Number.isNaN(hourStart.getTime()) || hourStart.getTime() % 3_600_000 !== 0) {
    throw new Error(`hourStart must be the start of a UTC hour, got ${String(hourStart)}`);
  }
}

function defaultFileName(distributionId: string, hourStart: Date): string {
  const stamp = hourStart.toISOString().slice(0, 13).replace('T', '-');
  return `${distributionId}.${stamp}.${randomBytes(4).toString('hex')}.parquet`;
}

async function withConnection<T>(given: DuckDBConnection | undefined, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function targetPath(root: string, accountId: string, distributionId: string, hourStart: Date, fileName: string | undefined): string {
  assertHourStart(hourStart);
  const name = fileName ?? defaultFileName(distributionId, hourStart);
  if (!name.endsWith('.parquet') || name.includes('/')) throw new Error(`log file name must be a plain *.parquet name, got ${name}`);
  const dir = join(root, hourPrefix(accountId, distributionId, hourStart));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Runs `COPY (SELECT <every log column as VARCHAR> FROM (<selectSql>)) TO <tmp>` and renames the
 * result into the hour's folder. `selectSql` must yield every column of LOG_COLUMNS by name.
 * Returns the written path.
 */
export async function copyQueryToLogFile(
  connection: DuckDBConnection,
  selectSql: string,
  root: string,
  accountId: string,
  distributionId: string,
  hourStart: Date,
  fileName?: string,
): Promise<string> {
  const path = targetPath(root, accountId, distributionId, hourStart, fileName);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const columns = LOG_COLUMN_NAMES.map((c) => `CAST(${quoteIdent(c)} AS VARCHAR) AS ${quoteIdent(c)}`).join(', ');
  try {
    await connection.run(`COPY (SELECT ${columns} FROM (${selectSql})) TO ${sqlString(tmp)} (FORMAT parquet)`);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  return path;
}

/**
 * Writes one Parquet log file with the given records into
 * `<root>/AWSLogs/aws-account-id=<acct>/CloudFront/DistributionId=<id>/year=/month=/day=/hour=/`.
 * Records may carry any subset of the log columns; unknown column names are an error.
 * Returns the written path.
 */
export async function writeLogFile(
  root: string,
  accountId: string,
  distributionId: string,
  hourStart: Date,
  records: readonly LogRecord[],
  options: WriteLogFileOptions = {},
): Promise<string> {
  for (const [index, record] of records.entries()) {
    for (const [column, value] of Object.entries(record)) {
      if (!KNOWN_COLUMNS.has(column)) throw new Error(`log record ${index}: unknown column "${column}"`);
      if (value !== undefined && typeof value !== 'string') throw new Error(`log record ${index}: column "${column}" must be a string`);
    }
  }
  return withConnection(options.connection, async (connection) => {
    const table = `log_records_${randomBytes(6).toString('hex')}`;
    await connection.run(`CREATE TEMP TABLE ${table} (${LOG_COLUMN_NAMES.map((c) => `${quoteIdent(c)} VARCHAR`).join(', ')})`);
    try {
      const appender = await connection.createAppender(table, 'main', 'temp');
      for (const record of records) {
        for (const column of LOG_COLUMN_NAMES) {
          const value = record[column];
          appender.appendVarchar(value === undefined || value === '' ? '-' : value);
        }
        appender.endRow();
      }
      appender.closeSync();
      return await copyQueryToLogFile(connection, `SELECT * FROM temp.${table}`, root, accountId, distributionId, hourStart, options.fileName);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS temp.${table}`);
    }
  });
}
