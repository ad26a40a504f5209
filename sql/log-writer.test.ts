/** the log writer: exact layout, every column a string, atomic files, clear errors. */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LOG_COLUMN_NAMES } from './log-columns';
import { sqlString, writeLogFile } from './log-writer';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'log-writer-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeLogFile', () => {
  it('writes Parquet under the Hive-compatible v2 path with every log column as VARCHAR, "-" for empty', async () => {
    const path = await writeLogFile(root, '123456789012', 'E9DIST', new Date('2026-03-04T05:00:00Z'), [{ sc_status: '200', cs_uri_query: '' }], {
      fileName: 'E9DIST.2026-03-04-05.abc.parquet',
    });
    expect(relative(root, path)).toBe(
      'AWSLogs/aws-account-id=123456789012/CloudFront/DistributionId=E9DIST/year=2026/month=03/day=04/hour=05/E9DIST.2026-03-04-05.abc.parquet',
    );
    expect(readdirSync(dirname(path))).toEqual(['E9DIST.2026-03-04-05.abc.parquet']);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const schema = (
        await connection.runAndReadAll(
          `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(path)}, hive_partitioning = false))`,
        )
      ).getRowObjectsJson();
      expect(schema).toEqual(LOG_COLUMN_NAMES.map((c) => ({ column_name: c, column_type: 'VARCHAR' })));
      const rows = (
        await connection.runAndReadAll(`SELECT sc_status, cs_uri_query, x_edge_request_id FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`)
      ).getRowObjectsJson();
      expect(rows).toEqual([{ sc_status: '200', cs_uri_query: '-', x_edge_request_id: '-' }]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('rejects unknown columns, non-string values and times that are not the start of an hour, writing nothing', async () => {
    const hour = new Date('2026-03-04T05:00:00Z');
    await expect(writeLogFile(root, '123456789012', 'E9DIST', hour, [{ sc_status: '200' }, { status: '200' }])).rejects.toThrow(
      'log record 1: unknown column "status"',
    );
    await expect(writeLogFile(root, '123456789012', 'E9DIST', hour, [{ sc_bytes: 5 as unknown as string }])).rejects.toThrow(
      'log record 0: column "sc_bytes" must be a string',
    );
    await expect(writeLogFile(root, '123456789012', 'E9DIST', new Date('2026-03-04T05:30:00Z'), [])).rejects.toThrow(/start of a UTC hour/);
    expect(readdirSync(root)).toEqual([]);
  });
});
