/**
 * Every query in sql/ parses as Athena (Trino) SQL with sqlglot and runs on DuckDB.
 * sqlglot comes from the project's Python venv (.ci/run installs it); missing is a failure.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLogFile, sqlString } from './log-writer';
import { logRecord } from './testing/log-fixtures';
import { USAGE_COLUMNS, USAGE_SQL_PATH, batchParameters, hourBatches, usageHourlySql } from './usage-query';

const python = join(__dirname, '..', '.venv', 'bin', 'python');
const sqlFiles = readdirSync(__dirname).filter((f) => f.endsWith('.sql'));

function sqlglotParse(file: string, dialect: string): string {
  const script = [
    'import sys, sqlglot',
    'from sqlglot import exp',
    'text = open(sys.argv[1]).read()',
    'trees = sqlglot.parse(text, read=sys.argv[2], error_level=sqlglot.ErrorLevel.RAISE)',
    'assert len(trees) == 1, f"{len(trees)} statements"',
    'tree = trees[0]',
    'print(type(tree).__name__, sorted({c.name for c in tree.find_all(exp.Column)}), len(list(tree.find_all(exp.Placeholder))))',
  ].join('\n');
  return execFileSync(python, ['-c', script, file, dialect], { encoding: 'utf8' }).trim();
}

describe('sql/*.sql', () => {
  it('has the venv python with sqlglot (run .ci/run to install it)', () => {
    expect(existsSync(python)).toBe(true);
    expect(execFileSync(python, ['-c', 'import sqlglot; print(sqlglot.__name__)'], { encoding: 'utf8' }).trim()).toBe('sqlglot');
  });

  it('holds the usage query', () => {
    expect(sqlFiles).toContain('usage_hourly.sql');
    expect(join(__dirname, 'usage_hourly.sql')).toBe(USAGE_SQL_PATH);
  });

  for (const file of sqlFiles) {
    for (const dialect of ['athena', 'trino']) {
      it(`${file} parses as ${dialect} SQL`, () => {
        const summary = sqlglotParse(join(__dirname, file), dialect);
        expect(summary.startsWith('Select ')).toBe(true);
      });
    }
  }

  it('usage_hourly.sql reads only usage columns and partition columns, with five parameters', () => {
    const summary = sqlglotParse(USAGE_SQL_PATH, 'athena');
    const columns = JSON.parse(summary.slice(summary.indexOf('['), summary.lastIndexOf(']') + 1).replace(/'/g, '"')) as string[];
    const sourceColumns = columns.filter(
      (c) => !['log_date', 'status', 'bytes_out', 'bytes_in', 'usage_lookup', 'apikey_fp', 'copy_number', 'hour_id', 'usage_month'].includes(c),
    );
    expect(new Set(sourceColumns)).toEqual(new Set([...USAGE_COLUMNS, 'year', 'month', 'day', 'hour']));
    expect(summary.trim().endsWith(' 5')).toBe(true);
  });

  it('usage_hourly.sql runs unchanged on DuckDB with prepared parameters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'usage-sql-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await writeLogFile(root, '000000000000', 'E1TEST', new Date('2026-11-03T07:00:00Z'), [
        logRecord({ at: '2026-11-03T07:10:00Z', logData: '0123456789abcdef', bytesOut: 1000, bytesIn: 10 }),
        logRecord({ at: '2026-11-03T07:11:00Z', logData: '0123456789abcdef', status: 503 }),
        logRecord({ at: '2026-11-03T07:12:00Z', query: 'apikey_fp=0123456789abcdef', status: 200 }),
      ]);
      await connection.run(
        `CREATE VIEW cloudfront_logs AS SELECT * FROM read_parquet(${sqlString(join(root, 'AWSLogs/**/*.parquet'))}, hive_partitioning = true, hive_types_autocast = false, hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'hour': INTEGER})`,
      );
      const statement = await connection.prepare(usageHourlySql());
      statement.bind(batchParameters(hourBatches(['2026-11-03T07'])[0]));
      const rows = (await statement.runAndReadAll()).getRowObjectsJson();
      expect(rows).toEqual([
        {
          hour_id: '2026-11-03T07',
          usage_month: '2026-11',
          apikey_fp: '0123456789abcdef',
          requests: '1',
          rejected: '0',
          errors: '1',
          total: '2',
          bytes_out: '1000',
          bytes_in: '10',
        },
        {
          hour_id: '2026-11-03T07',
          usage_month: '2026-11',
          apikey_fp: null,
          requests: '1',
          rejected: '0',
          errors: '0',
          total: '1',
          bytes_out: '512',
          bytes_in: '128',
        },
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('hourBatches', () => {
  it('groups consecutive hours of one day and splits at gaps and midnight', () => {
    const batches = hourBatches(['2026-11-02T23', '2026-11-02T22', '2026-11-03T00', '2026-11-03T01', '2026-11-03T05', '2026-11-03T01']);
    expect(batches.map(batchParameters)).toEqual([
      [2026, 11, 2, 22, 23],
      [2026, 11, 3, 0, 1],
      [2026, 11, 3, 5, 5],
    ]);
    expect(batches.flatMap((b) => b.hours)).toEqual(['2026-11-02T22', '2026-11-02T23', '2026-11-03T00', '2026-11-03T01', '2026-11-03T05']);
  });
});
