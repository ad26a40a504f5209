/**
 * UsageEngine on embedded DuckDB over a local log root laid out like the log bucket
 * (docs/contracts.md, "Log layout"). The usage SQL runs unchanged: for each run of hours,
 * `cloudfront_logs` is a view over exactly those hours' Parquet files (as listed) with Hive
 * partitioning, partition columns typed int like the Glue table.
 *
 * Bytes scanned: DuckDB reports no bytes-read figure, so the engine sums, from the Parquet footers
 * (parquet_metadata), the compressed size of the column chunks of the columns the SQL reads in the
 * files of the asked hours. That is what a column-pruning reader fetches (plus the footers).
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { join } from 'node:path';
import { sqlString } from '../../sql/log-writer';
import { LocalLogLister } from './log-lister';
import { USAGE_COLUMNS, USAGE_TABLE, batchParameters, hourBatches, usageHourlySql } from '../../sql/usage-query';
import type { EngineResult, HourId, HourlyUsageRow, UsageEngine } from '../types';

export function toUsageRow(row: Record<string, unknown>): HourlyUsageRow {
  const n = (key: string): number => {
    const v = row[key];
    if (typeof v === 'bigint' || typeof v === 'number') return Number(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
    throw new Error(`usage query returned a non-integer ${key}: ${String(v)}`);
  };
  const fp = row.apikey_fp;
  return {
    hour: String(row.hour_id),
    month: String(row.usage_month),
    apikeyFp: fp === null || fp === undefined ? null : String(fp),
    requests: n('requests'),
    rejected: n('rejected'),
    errors: n('errors'),
    total: n('total'),
    bytesOut: n('bytes_out'),
    bytesIn: n('bytes_in'),
  };
}

export class DuckDbUsageEngine implements UsageEngine {
  readonly name = 'duckdb' as const;
  private connection?: DuckDBConnection;
  private instance?: DuckDBInstance;
  private readonly lister: LocalLogLister;

  constructor(private readonly root: string) {
    this.lister = new LocalLogLister(root);
  }

  private async connect(): Promise<DuckDBConnection> {
    if (!this.connection) {
      this.instance = await DuckDBInstance.create(':memory:');
      this.connection = await this.instance.connect();
    }
    return this.connection;
  }

  /**
   * Points `cloudfront_logs` at exactly these files. union_by_name reads every file's schema, so a
   * column some files lack (a field added to the delivery later) reads as NULL; a usage column no
   * file has is added as NULL too. That is what Athena does through the Glue table, which declares
   * every column: logs delivered before a field was selected read as unattributed, not as an error.
   */
  private async useFiles(connection: DuckDBConnection, files: readonly string[]): Promise<void> {
    const source =
      `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true, union_by_name = true, ` +
      `hive_types_autocast = false, hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'hour': INTEGER})`;
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const present = new Set(described.getRowObjects().map((r) => String(r.column_name).toLowerCase()));
    const missing = USAGE_COLUMNS.filter((c) => !present.has(c.toLowerCase()));
    const extra = missing.map((c) => `, NULL::VARCHAR AS "${c}"`).join('');
    await connection.run(`CREATE OR REPLACE TEMP VIEW ${USAGE_TABLE} AS SELECT *${extra} FROM ${source}`);
  }

  /** Compressed bytes of the usage columns' chunks in the given files (read from the footers). */
  private async usageColumnBytes(connection: DuckDBConnection, files: readonly string[]): Promise<number> {
    if (files.length === 0) return 0;
    const list = `[${files.map(sqlString).join(', ')}]`;
    const columns = USAGE_COLUMNS.map(sqlString).join(', ');
    const reader = await connection.runAndReadAll(
      `SELECT COALESCE(SUM(total_compressed_size), 0)::BIGINT AS bytes FROM parquet_metadata(${list}) WHERE path_in_schema IN (${columns})`,
    );
    return Number(reader.getRowObjects()[0].bytes);
  }

  async queryHours(hours: readonly HourId[]): Promise<EngineResult> {
    const listing = await this.lister.listHours(hours);
    const withFiles = hours.filter((h) => (listing.get(h) ?? []).length > 0);
    if (withFiles.length === 0) return { rows: [], bytesScanned: 0 };
    const connection = await this.connect();
    const filesOf = (hs: readonly HourId[]) => hs.flatMap((h) => (listing.get(h) ?? []).map((o) => join(this.root, o.key)));
    const rows: HourlyUsageRow[] = [];
    for (const batch of hourBatches(withFiles)) {
      await this.useFiles(connection, filesOf(batch.hours));
      let statement: DuckDBPreparedStatement | undefined;
      try {
        statement = await connection.prepare(usageHourlySql());
        statement.bind(batchParameters(batch));
        const reader = await statement.runAndReadAll();
        for (const row of reader.getRowObjects()) rows.push(toUsageRow(row));
      } finally {
        statement?.destroySync();
      }
    }
    return { rows, bytesScanned: await this.usageColumnBytes(connection, filesOf(withFiles)) };
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }
}
