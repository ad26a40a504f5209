/**
 * The Athena engine with a controlled client: the cases moto cannot produce (FAILED with a reason,
 * result pages with NextToken, throttling, scanned bytes) and fault injection.
 */
import type {
  GetQueryExecutionCommandOutput,
  GetQueryResultsCommandInput,
  GetQueryResultsCommandOutput,
  QueryExecutionState,
  Row,
} from '@aws-sdk/client-athena';
import { AthenaEngine, AthenaQueryError, type AthenaApi } from './athena-engine';
import { RetriesExhaustedError } from './retry';
import { resultRow, USAGE_RESULT_COLUMNS } from './testing/usage-sql-result';

const row = (values: (string | null)[]): Row => resultRow(values);
const header = row([...USAGE_RESULT_COLUMNS]);

function throttle(name = 'ThrottlingException'): Error {
  return Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: 400 } });
}

interface Script {
  /** States GetQueryExecution reports, in order; the last one repeats. */
  states: QueryExecutionState[];
  reason?: string;
  scanned?: number;
  /** Result rows (without header) served in pages of `pageSize`. */
  rows: Row[];
  pageSize?: number;
}

/** A scripted Athena: one script per started query, in start order. Faults are injected per call. */
class ScriptedAthena implements AthenaApi {
  started: { sql: string; params: string[]; token?: string }[] = [];
  tokens: (string | undefined)[] = [];
  resultCalls: GetQueryResultsCommandInput[] = [];
  stopped: string[] = [];
  polls = 0;
  faults: { start: Error[]; get: Error[]; results: Error[] } = { start: [], get: [], results: [] };
  private readonly byId = new Map<string, { script: Script; poll: number }>();

  constructor(private readonly scripts: Script[]) {}

  async startQueryExecution(input: { QueryString?: string; ExecutionParameters?: string[]; ClientRequestToken?: string }) {
    this.tokens.push(input.ClientRequestToken);
    const fault = this.faults.start.shift();
    if (fault) throw fault;
    const id = `q${this.started.length + 1}`;
    const script = this.scripts[this.started.length];
    if (script === undefined) throw new Error('unexpected query');
    this.started.push({ sql: input.QueryString ?? '', params: input.ExecutionParameters ?? [] });
    this.byId.set(id, { script, poll: 0 });
    return { QueryExecutionId: id };
  }

  async getQueryExecution(input: { QueryExecutionId?: string }): Promise<Pick<GetQueryExecutionCommandOutput, 'QueryExecution'>> {
    const fault = this.faults.get.shift();
    if (fault) throw fault;
    this.polls += 1;
    const entry = this.byId.get(input.QueryExecutionId ?? '')!;
    const { states } = entry.script;
    const state = states[Math.min(entry.poll, states.length - 1)];
    entry.poll += 1;
    return {
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId,
        Status: { State: state, ...(state === 'FAILED' ? { StateChangeReason: entry.script.reason } : {}) },
        Statistics: { DataScannedInBytes: entry.script.scanned ?? 0 },
      },
    };
  }

  async getQueryResults(input: GetQueryResultsCommandInput): Promise<Pick<GetQueryResultsCommandOutput, 'ResultSet' | 'NextToken'>> {
    this.resultCalls.push(input);
    const fault = this.faults.results.shift();
    if (fault) throw fault;
    const { script } = this.byId.get(input.QueryExecutionId ?? '')!;
    const size = Math.min(script.pageSize ?? 1000, input.MaxResults ?? 1000);
    const all = [header, ...script.rows]; // like Athena: the header is the first row of the first page
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const end = start + size;
    return {
      ResultSet: { Rows: all.slice(start, end), ResultSetMetadata: { ColumnInfo: USAGE_RESULT_COLUMNS.map((Name) => ({ Name, Type: 'varchar' })) } },
      ...(end < all.length ? { NextToken: String(end) } : {}),
    };
  }

  async stopQueryExecution(input: { QueryExecutionId?: string }) {
    this.stopped.push(input.QueryExecutionId ?? '');
    return {};
  }
}

function usageRows(hour: string, n: number): Row[] {
  return Array.from({ length: n }, (_, i) =>
    row([hour, '2026-11', i.toString(16).padStart(16, '0'), String(i), '1', '0', String(i + 1), String(10 * i), String(i)]),
  );
}

const noWait = { sleep: async () => undefined, random: () => 0.5 };
const options = { workgroup: 'ubb-test-usage', database: 'ubb_test_logs', table: 'cloudfront_logs', ...noWait };

describe('Athena engine (controlled client)', () => {
  it('reads every result page, 1,000 rows at most per call, skipping only the header row of the first page', async () => {
    const rows = usageRows('2026-11-03T07', 2_345);
    const athena = new ScriptedAthena([{ states: ['SUCCEEDED'], rows, scanned: 123_456 }]);
    const out = await new AthenaEngine(athena, options).queryHours(['2026-11-03T07']);

    expect(out.rows).toHaveLength(2_345);
    expect(out.rows[0]).toEqual({
      hour: '2026-11-03T07',
      month: '2026-11',
      apikeyFp: '0000000000000000',
      requests: 0,
      rejected: 1,
      errors: 0,
      total: 1,
      bytesOut: 0,
      bytesIn: 0,
    });
    expect(out.rows.map((r) => r.apikeyFp)).toEqual(rows.map((r) => r.Data?.[2].VarCharValue));
    expect(athena.resultCalls.map((c) => [c.MaxResults, c.NextToken])).toEqual([
      [1000, undefined],
      [1000, '1000'],
      [1000, '2000'],
    ]);
    expect(out.bytesScanned).toBe(123_456);
  });

  it('with one row per page, keeps every data row and skips the header only once', async () => {
    // A page boundary right after the header: the second page starts with data, which is kept.
    const athena = new ScriptedAthena([{ states: ['SUCCEEDED'], rows: usageRows('2026-11-03T07', 3), pageSize: 1 }]);
    const out = await new AthenaEngine(athena, options).queryHours(['2026-11-03T07']);
    expect(out.rows.map((r) => r.requests)).toEqual([0, 1, 2]);
    expect(athena.resultCalls).toHaveLength(4);
  });

  it('sums DataScannedInBytes over the queries of a run and passes integer hour filters', async () => {
    const athena = new ScriptedAthena([
      { states: ['SUCCEEDED'], rows: usageRows('2026-11-03T01', 1), scanned: 1_000 },
      { states: ['SUCCEEDED'], rows: usageRows('2026-11-03T05', 1), scanned: 2_500 },
    ]);
    const out = await new AthenaEngine(athena, { ...options, maxConcurrentQueries: 1 }).queryHours(['2026-11-03T05', '2026-11-03T01']);
    expect(out.bytesScanned).toBe(3_500);
    expect(athena.started.map((s) => s.params)).toEqual([
      ['2026', '11', '3', '1', '1'],
      ['2026', '11', '3', '5', '5'],
    ]);
  });

  it('polls with growing, capped delays until the query leaves QUEUED/RUNNING', async () => {
    const delays: number[] = [];
    const athena = new ScriptedAthena([{ states: ['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'], rows: [] }]);
    const engine = new AthenaEngine(athena, { ...options, pollInitialMs: 100, pollMaxMs: 1_000, random: () => 1, sleep: async (ms) => void delays.push(ms) });
    await engine.queryHours(['2026-11-03T07']);
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('turns FAILED into an error carrying the StateChangeReason and the hours', async () => {
    const athena = new ScriptedAthena([{ states: ['RUNNING', 'FAILED'], reason: 'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split', rows: [] }]);
    const run = new AthenaEngine(athena, options).queryHours(['2026-11-03T07', '2026-11-03T08']);
    await expect(run).rejects.toThrow(AthenaQueryError);
    await expect(run).rejects.toThrow('Athena query q1 for hours 2026-11-03T07 to 2026-11-03T08 FAILED: HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split');
    expect(athena.resultCalls).toHaveLength(0);
  });

  it('turns CANCELLED into a clear error and reads no results', async () => {
    const athena = new ScriptedAthena([{ states: ['QUEUED', 'CANCELLED'], rows: usageRows('2026-11-03T07', 2) }]);
    const run = new AthenaEngine(athena, options).queryHours(['2026-11-03T07']);
    await expect(run).rejects.toThrow('Athena query q1 for hour 2026-11-03T07 was CANCELLED');
    expect(athena.resultCalls).toHaveLength(0);
  });

  it('stops the query and fails after the overall timeout', async () => {
    let clock = 0;
    const athena = new ScriptedAthena([{ states: ['RUNNING'], rows: [] }]);
    const engine = new AthenaEngine(athena, { ...options, queryTimeoutMs: 60_000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    const run = engine.queryHours(['2026-11-03T07']);
    await expect(run).rejects.toThrow('did not finish within 60 s (last state RUNNING); it was stopped');
    expect(athena.stopped).toEqual(['q1']);
    expect(clock).toBe(60_000); // the last wait is cut to the deadline
  });

  it('starts no further queries once one has failed', async () => {
    const athena = new ScriptedAthena([
      { states: ['FAILED'], reason: 'broken', rows: [] },
      { states: ['SUCCEEDED'], rows: [] },
      { states: ['SUCCEEDED'], rows: [] },
    ]);
    const run = new AthenaEngine(athena, { ...options, maxConcurrentQueries: 1 }).queryHours(['2026-11-03T01', '2026-11-03T03', '2026-11-03T05']);
    await expect(run).rejects.toThrow('FAILED: broken');
    expect(athena.started).toHaveLength(1);
  });

  it('retries throttled StartQueryExecution, GetQueryExecution and GetQueryResults and returns each row once', async () => {
    const rows = usageRows('2026-11-03T07', 1_500);
    const athena = new ScriptedAthena([{ states: ['RUNNING', 'SUCCEEDED'], rows }]);
    athena.faults.start.push(throttle('TooManyRequestsException'));
    athena.faults.get.push(throttle());
    // First page fine, then the second page is throttled twice before it is served.
    const realResults = athena.getQueryResults.bind(athena);
    let call = 0;
    athena.getQueryResults = async (input) => {
      call += 1;
      if (call === 2 || call === 3) {
        athena.resultCalls.push(input);
        throw throttle();
      }
      return realResults(input);
    };
    const out = await new AthenaEngine(athena, options).queryHours(['2026-11-03T07']);
    expect(out.rows).toHaveLength(1_500);
    expect(new Set(out.rows.map((r) => r.apikeyFp)).size).toBe(1_500);
    expect(athena.resultCalls.map((c) => c.NextToken)).toEqual([undefined, '1000', '1000', '1000']);
    expect(athena.started).toHaveLength(1);
    // The throttled start and its retry carry the same idempotency token.
    expect(athena.tokens).toHaveLength(2);
    expect(athena.tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(athena.tokens[1]).toBe(athena.tokens[0]);
  });

  it('fails with a clear error when throttling outlasts the retries', async () => {
    const athena = new ScriptedAthena([{ states: ['SUCCEEDED'], rows: usageRows('2026-11-03T07', 1) }]);
    athena.faults.results.push(...Array.from({ length: 10 }, () => throttle()));
    const run = new AthenaEngine(athena, { ...options, backoff: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } }).queryHours(['2026-11-03T07']);
    await expect(run).rejects.toThrow(RetriesExhaustedError);
    await expect(run).rejects.toThrow('Athena GetQueryResults failed after 3 attempts: ThrottlingException');
  });

  it('rejects a result whose counts or hours are not what the SQL produces', async () => {
    const bad = new ScriptedAthena([{ states: ['SUCCEEDED'], rows: [row(['2026-11-03T07', '2026-11', null, 'x', '0', '0', '0', '0', '0'])] }]);
    await expect(new AthenaEngine(bad, options).queryHours(['2026-11-03T07'])).rejects.toThrow('returned requests="x", not a count');
    const other = new ScriptedAthena([{ states: ['SUCCEEDED'], rows: usageRows('2026-11-03T09', 1) }]);
    await expect(new AthenaEngine(other, options).queryHours(['2026-11-03T07'])).rejects.toThrow(
      'returned hour_id="2026-11-03T09", not one of the asked hours',
    );
  });

  it('after a FAILED, CANCELLED or timed-out query, a rerun returns exactly the rows of a clean run', async () => {
    const scripted = (first: Script) => {
      const rows = usageRows('2026-11-03T07', 1_200);
      return new ScriptedAthena([first, { states: ['RUNNING', 'SUCCEEDED'], rows }]);
    };
    const clean = await new AthenaEngine(new ScriptedAthena([{ states: ['SUCCEEDED'], rows: usageRows('2026-11-03T07', 1_200) }]), options).queryHours([
      '2026-11-03T07',
    ]);
    for (const first of [
      { states: ['FAILED'], reason: 'boom', rows: [] },
      { states: ['CANCELLED'], rows: [] },
      { states: ['RUNNING'], rows: [] },
    ] as Script[]) {
      let clock = 0;
      const athena = scripted(first);
      const engine = new AthenaEngine(athena, { ...options, queryTimeoutMs: 10_000, now: () => clock, sleep: async (ms) => void (clock += ms) });
      await expect(engine.queryHours(['2026-11-03T07'])).rejects.toThrow(AthenaQueryError);
      await expect(engine.queryHours(['2026-11-03T07'])).resolves.toEqual(clean);
    }
  });
});
