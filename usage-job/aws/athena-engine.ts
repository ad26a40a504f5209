/**
 * UsageEngine on Athena: runs sql/usage_hourly.sql (the same text DuckDB runs) once per batch of
 * consecutive hours, in the environment's workgroup, with the hour filters as ExecutionParameters.
 *
 * AWS facts this rests on:
 * - Execution parameters are positional `?` in the WHERE clause; each value is substituted as a SQL
 *   literal, so a string would need single quotes. Ours are the integer partition values
 *   (year, month, day, first hour, last hour), passed as plain digits. No user input reaches SQL.
 *   https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html
 * - GetQueryResults returns at most 1,000 rows per call (MaxResults 1..1000) and a NextToken; for a
 *   SELECT, the first row of the first page holds the column labels.
 *   https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
 * - Query states: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED; a FAILED query carries
 *   Status.StateChangeReason and AthenaError.
 *   https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html
 * - Statistics.DataScannedInBytes is what the query read (and what Athena bills).
 */
import { randomUUID } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type GetQueryExecutionCommandInput,
  type GetQueryExecutionCommandOutput,
  type GetQueryResultsCommandInput,
  type GetQueryResultsCommandOutput,
  type Row,
  type StartQueryExecutionCommandInput,
  type StartQueryExecutionCommandOutput,
  type StopQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { batchParameters, hourBatches, USAGE_TABLE, usageHourlySql, type HourBatch } from '../../sql/usage-query';
import type { EngineResult, HourId, HourlyUsageRow, UsageEngine } from '../types';
import { mapLimit } from '../concurrency';
import { SQL_IDENTIFIER } from './deployment-file';
import { DEFAULT_BACKOFF, realSleep, withBackoff, type BackoffOptions } from './retry';

/** The four Athena calls the engine makes; the SDK client in production, a controlled one in tests. */
export interface AthenaApi {
  startQueryExecution(input: StartQueryExecutionCommandInput): Promise<Pick<StartQueryExecutionCommandOutput, 'QueryExecutionId'>>;
  getQueryExecution(input: GetQueryExecutionCommandInput): Promise<Pick<GetQueryExecutionCommandOutput, 'QueryExecution'>>;
  getQueryResults(input: GetQueryResultsCommandInput): Promise<Pick<GetQueryResultsCommandOutput, 'ResultSet' | 'NextToken'>>;
  stopQueryExecution(input: StopQueryExecutionCommandInput): Promise<unknown>;
}

export function athenaApi(client: AthenaClient): AthenaApi {
  return {
    startQueryExecution: (input) => client.send(new StartQueryExecutionCommand(input)),
    getQueryExecution: (input) => client.send(new GetQueryExecutionCommand(input)),
    getQueryResults: (input) => client.send(new GetQueryResultsCommand(input)),
    stopQueryExecution: (input) => client.send(new StopQueryExecutionCommand(input)),
  };
}

export interface AthenaEngineOptions {
  readonly workgroup: string;
  /** Glue database: the query's execution context. */
  readonly database: string;
  /** Glue table of the logs; the SQL's `cloudfront_logs` is replaced by it when they differ. */
  readonly table: string;
  /** Default AwsDataCatalog. */
  readonly catalog?: string;
  /** Give up on a query after this long (then StopQueryExecution). Default 10 minutes. */
  readonly queryTimeoutMs?: number;
  /** First wait between GetQueryExecution polls; doubles up to pollMaxMs. Default 500 ms. */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  /** Queries in flight at once (Athena limits active queries per account). Default 4. */
  readonly maxConcurrentQueries?: number;
  /** Retries of throttled calls. */
  readonly backoff?: BackoffOptions;
  /** Injected for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    readonly state: 'FAILED' | 'CANCELLED' | 'TIMEOUT' | 'BAD_RESULT',
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

const MAX_RESULTS_PER_PAGE = 1000;
const OUTPUT_COLUMNS = ['hour_id', 'usage_month', 'apikey_fp', 'requests', 'rejected', 'errors', 'total', 'bytes_out', 'bytes_in'] as const;
type OutputColumn = (typeof OUTPUT_COLUMNS)[number];

/** The usage SQL with the log table resolved; identifiers are checked, never quoted or escaped. */
export function athenaUsageSql(table: string): string {
  if (!SQL_IDENTIFIER.test(table)) throw new Error(`Glue table name ${JSON.stringify(table)} is not a plain lowercase SQL identifier`);
  const sql = usageHourlySql();
  if (table === USAGE_TABLE) return sql;
  const from = new RegExp(`\\bFROM ${USAGE_TABLE}\\b`, 'g');
  const found = sql.match(from)?.length ?? 0;
  if (found !== 1) throw new Error(`usage SQL must read ${USAGE_TABLE} exactly once (found ${found}); cannot point it at ${table}`);
  return sql.replace(from, `FROM ${table}`);
}

export class AthenaEngine implements UsageEngine {
  readonly name = 'athena' as const;
  private readonly sql: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly api: AthenaApi,
    private readonly options: AthenaEngineOptions,
  ) {
    if (!SQL_IDENTIFIER.test(options.database)) {
      throw new Error(`Glue database name ${JSON.stringify(options.database)} is not a plain lowercase SQL identifier`);
    }
    this.sql = athenaUsageSql(options.table);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.backoff = { ...(options.backoff ?? DEFAULT_BACKOFF), sleep: this.sleep, random: this.random };
  }

  async queryHours(hours: readonly HourId[]): Promise<EngineResult> {
    const batches = hourBatches(hours);
    // After the first failure no further query is started; the first error fails the run.
    const results = await mapLimit(batches, this.options.maxConcurrentQueries ?? 4, (batch) => this.runBatch(batch));
    return {
      rows: results.flatMap((r) => r.rows),
      bytesScanned: results.reduce((sum, r) => sum + r.bytesScanned, 0),
    };
  }

  async close(): Promise<void> {
    // Nothing held open: every query has finished or been stopped when queryHours returns.
  }

  /** Runs one batch: start, wait, read every page. */
  async runBatch(batch: HourBatch): Promise<EngineResult> {
    const parameters = batchParameters(batch).map((value) => {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`partition parameter ${value} is not a non-negative integer`);
      return String(value);
    });
    // One token for every attempt: if a retried call had in fact started the query, Athena
    // returns that execution instead of starting a second one (StartQueryExecution ClientRequestToken,
    // https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html).
    const token = randomUUID();
    const started = await withBackoff(
      'Athena StartQueryExecution',
      () =>
        this.api.startQueryExecution({
          ClientRequestToken: token,
          QueryString: this.sql,
          WorkGroup: this.options.workgroup,
          QueryExecutionContext: { Catalog: this.options.catalog ?? 'AwsDataCatalog', Database: this.options.database },
          ExecutionParameters: parameters,
        }),
      this.backoff,
    );
    const id = started.QueryExecutionId;
    if (id === undefined) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
    const bytesScanned = await this.waitForSuccess(id, batch);
    const rows = await this.readResults(id, batch);
    return { rows, bytesScanned };
  }

  private describe(batch: HourBatch): string {
    const first = batch.hours[0];
    const last = batch.hours[batch.hours.length - 1];
    return first === last ? `hour ${first}` : `hours ${first} to ${last}`;
  }

  /** Polls with exponential backoff and jitter until SUCCEEDED; returns DataScannedInBytes. */
  private async waitForSuccess(id: string, batch: HourBatch): Promise<number> {
    const timeoutMs = this.options.queryTimeoutMs ?? 10 * 60_000;
    const initial = this.options.pollInitialMs ?? 500;
    const max = this.options.pollMaxMs ?? 5_000;
    const deadline = this.now() + timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      const { QueryExecution: execution } = await withBackoff(
        'Athena GetQueryExecution',
        () => this.api.getQueryExecution({ QueryExecutionId: id }),
        this.backoff,
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') return execution?.Statistics?.DataScannedInBytes ?? 0;
      if (state === 'FAILED') {
        const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new AthenaQueryError(`Athena query ${id} for ${this.describe(batch)} FAILED: ${reason}`, id, 'FAILED');
      }
      if (state === 'CANCELLED') {
        throw new AthenaQueryError(
          `Athena query ${id} for ${this.describe(batch)} was CANCELLED (stopped by someone or by the workgroup's data-scanned limit): rerun the job`,
          id,
          'CANCELLED',
        );
      }
      if (state !== 'QUEUED' && state !== 'RUNNING') {
        throw new AthenaQueryError(`Athena query ${id} is in an unknown state ${JSON.stringify(state)}`, id, 'BAD_RESULT');
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        let stopped = 'it was stopped';
        try {
          await withBackoff('Athena StopQueryExecution', () => this.api.stopQueryExecution({ QueryExecutionId: id }), this.backoff);
        } catch (error) {
          stopped = `stopping it failed too (${error instanceof Error ? error.message : String(error)})`;
        }
        throw new AthenaQueryError(
          `Athena query ${id} for ${this.describe(batch)} did not finish within ${Math.round(timeoutMs / 1000)} s (last state ${state}); ` +
            `${stopped}. Rerun the job, or raise the query timeout if queries are queued behind others`,
          id,
          'TIMEOUT',
        );
      }
      // "Equal jitter": half the cap plus a random half, so polls never bunch up at zero delay.
      const cap = Math.min(max, initial * 2 ** attempt);
      const delay = Math.floor(cap / 2 + this.random() * (cap / 2));
      await this.sleep(Math.min(delay, remaining));
    }
  }

  private async readResults(id: string, batch: HourBatch): Promise<HourlyUsageRow[]> {
    const rows: HourlyUsageRow[] = [];
    let index: Map<OutputColumn, number> | undefined;
    let token: string | undefined;
    do {
      const page = await withBackoff(
        'Athena GetQueryResults',
        () => this.api.getQueryResults({ QueryExecutionId: id, MaxResults: MAX_RESULTS_PER_PAGE, ...(token ? { NextToken: token } : {}) }),
        this.backoff,
      );
      let pageRows = page.ResultSet?.Rows ?? [];
      if (index === undefined) {
        const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
        index = columnIndex(names, id);
        // The first row of the first page repeats the column labels.
        if (pageRows.length > 0 && isHeaderRow(pageRows[0], names)) pageRows = pageRows.slice(1);
      }
      for (const row of pageRows) rows.push(toUsageRow(row, index, id, batch));
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

function columnIndex(names: readonly string[], id: string): Map<OutputColumn, number> {
  const index = new Map<OutputColumn, number>();
  for (const column of OUTPUT_COLUMNS) {
    const at = names.indexOf(column);
    if (at < 0) {
      throw new AthenaQueryError(`Athena query ${id} returned columns [${names.join(', ')}], missing ${column}`, id, 'BAD_RESULT');
    }
    index.set(column, at);
  }
  return index;
}

function isHeaderRow(row: Row, names: readonly string[]): boolean {
  const values = (row.Data ?? []).map((d) => d.VarCharValue);
  return values.length === names.length && values.every((v, i) => v === names[i]);
}

function toUsageRow(row: Row, index: Map<OutputColumn, number>, id: string, batch: HourBatch): HourlyUsageRow {
  const data = row.Data ?? [];
  const text = (column: OutputColumn): string | undefined => data[index.get(column) ?? -1]?.VarCharValue;
  const count = (column: OutputColumn): number => {
    const value = text(column);
    const n = value === undefined ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new AthenaQueryError(`Athena query ${id} returned ${column}=${JSON.stringify(value)}, not a count`, id, 'BAD_RESULT');
    }
    return n;
  };
  const hour = text('hour_id');
  if (hour === undefined || !batch.hours.includes(hour)) {
    throw new AthenaQueryError(`Athena query ${id} returned hour_id=${JSON.stringify(hour)}, not one of the asked hours`, id, 'BAD_RESULT');
  }
  const month = text('usage_month');
  if (month === undefined || !/^\d{4}-\d{2}$/.test(month)) {
    throw new AthenaQueryError(`Athena query ${id} returned usage_month=${JSON.stringify(month)}`, id, 'BAD_RESULT');
  }
  const fp = text('apikey_fp');
  return {
    hour,
    month,
    apikeyFp: fp === undefined || fp === '' ? null : fp,
    requests: count('requests'),
    rejected: count('rejected'),
    errors: count('errors'),
    total: count('total'),
    bytesOut: count('bytes_out'),
    bytesIn: count('bytes_in'),
  };
}
