/** Test helper: reads the local platform's Parquet access logs back with DuckDB. */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';

export type LogRow = Record<string, string | number | null>;

/** Every record under <logRoot>/AWSLogs, with the Hive partition values as year, month, day, hour. */
export async function readLogRecords(logRoot: string): Promise<LogRow[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const glob = join(logRoot, 'AWSLogs', '**', '*.parquet').replace(/'/g, "''");
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types_autocast = false)`);
    return reader.getRowObjects().map((row) => {
      const out: LogRow = {};
      for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v === null ? null : typeof v === 'number' ? v : String(v);
      return out;
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
