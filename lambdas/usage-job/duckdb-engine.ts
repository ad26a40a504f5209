/**
 * UsageEngine on embedded DuckDB over a local log root laid out as contract 3. The usage SQL runs
 * unchanged: `cloudfront_logs` is a view over every Parquet file under <root>/AWSLogs with Hive
 * partitioning, partition columns typed int like the Glue table, and the SQL's partition filter
 * (prepared-statement parameters) prunes the files of other hours before any is opened.
 *
 * Bytes scanned: DuckDB reports no bytes-read figure, so the engine sums, from the Parquet footers
 * (parquet_metadata), the compressed size of the column chunks of the columns the SQL reads in the
 * files of the asked hours. That is what a column-pruning reader fetches (plus the footers).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { sqlString } from './testing/log-writer';
import { LocalLogLister } from './local-log-lister';
import { USAGE_COLUMNS, USAGE_TABLE, batchParameters, hourBatches, usageHourlySql } from '../../sql/usage-query';
import type { EngineResult, HourId, HourlyUsageRow, UsageEngine } from './types';

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
      const glob = join(this.root, 'AWSLogs', '**', '*.parquet');
      await this.connection.run(
        `CREATE VIEW ${USAGE_TABLE} AS SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, ` +
          `hive_types_autocast = false, hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'hour': INTEGER})`,
      );
    }
    return this.connection;
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
    const statement = await connection.prepare(usageHourlySql());
    const rows: HourlyUsageRow[] = [];
    try {
      for (const batch of hourBatches(withFiles)) {
        statement.bind(batchParameters(batch));
        const reader = await statement.runAndReadAll();
        for (const row of reader.getRowObjects()) rows.push(toUsageRow(row));
      }
    } finally {
      statement.destroySync();
    }
    const files = withFiles.flatMap((h) => (listing.get(h) ?? []).map((o) => join(this.root, o.key)));
    return { rows, bytesScanned: await this.usageColumnBytes(connection, files) };
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }
}
