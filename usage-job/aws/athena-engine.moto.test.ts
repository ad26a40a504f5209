/**
 * The Athena engine against moto in server mode: the real SDK, real HTTP, moto's Athena.
 * moto runs no SQL: results are queued through its /moto-api/static/athena/query-results
 * endpoint (in the shape Athena returns them, header row first), and its state manager makes
 * executions stay QUEUED/RUNNING for a number of polls. moto 5.2.5 returns every seeded row in one
 * GetQueryResults page (it ignores MaxResults/NextToken), so pagination across pages is covered by
 * athena-engine.test.ts with a controlled client.
 */
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { usageHourlySql } from '../../sql/usage-query';
import { useMotoServer } from '../../test-support/moto-server';
import { AthenaEngine, AthenaQueryError, athenaApi, type AthenaApi } from './athena-engine';
import { athenaClient } from './clients';
import { seededUsageResult } from './testing/usage-sql-result';

const moto = useMotoServer();
const REGION = 'us-east-1';
const WORKGROUP = 'ubb-test-usage';
const result = (rows: (string | null)[][]) => seededUsageResult(rows, (i) => (i < 3 ? 'varchar' : 'bigint'));

/** Counts calls to the real API so the test can see the polling happen. */
function counting(api: AthenaApi): AthenaApi & { calls: Record<string, number> } {
  const calls: Record<string, number> = { start: 0, get: 0, results: 0, stop: 0 };
  return {
    calls,
    startQueryExecution: (i) => (calls.start++, api.startQueryExecution(i)),
    getQueryExecution: (i) => (calls.get++, api.getQueryExecution(i)),
    getQueryResults: (i) => (calls.results++, api.getQueryResults(i)),
    stopQueryExecution: (i) => (calls.stop++, api.stopQueryExecution(i)),
  };
}

describe('Athena engine on moto server', () => {
  let client: AthenaClient;

  beforeAll(async () => {
    client = athenaClient({ region: REGION, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
    await client.send(new CreateWorkGroupCommand({ Name: WORKGROUP, Configuration: {} }));
  });
  afterEach(async () => {
    await moto.unsetTransition('athena::execution');
  });

  it('starts the usage SQL in the workgroup with the hour filters as execution parameters, polls until SUCCEEDED and maps the rows', async () => {
    await moto.setTransition('athena::execution', { progression: 'manual', times: 2 });
    await moto.seedAthenaResults([
      result([
        ['2026-11-03T07', '2026-11', '0123456789abcdef', '10', '2', '1', '14', '5120', '900'],
        ['2026-11-03T07', '2026-11', null, '0', '3', '0', '3', '0', '0'],
        ['2026-11-03T08', '2026-10', 'fedcba9876543210', '1', '0', '0', '1', '77', '12'],
      ]),
    ]);
    const api = counting(athenaApi(client));
    const engine = new AthenaEngine(api, { workgroup: WORKGROUP, database: 'ubb_test_logs', table: 'cloudfront_logs', sleep: async () => undefined });

    const out = await engine.queryHours(['2026-11-03T08', '2026-11-03T07']);

    expect(out.rows).toEqual([
      { hour: '2026-11-03T07', month: '2026-11', apikeyFp: '0123456789abcdef', requests: 10, rejected: 2, errors: 1, total: 14, bytesOut: 5120, bytesIn: 900 },
      { hour: '2026-11-03T07', month: '2026-11', apikeyFp: null, requests: 0, rejected: 3, errors: 0, total: 3, bytesOut: 0, bytesIn: 0 },
      { hour: '2026-11-03T08', month: '2026-10', apikeyFp: 'fedcba9876543210', requests: 1, rejected: 0, errors: 0, total: 1, bytesOut: 77, bytesIn: 12 },
    ]);
    expect(out.bytesScanned).toBe(0); // moto reports 0 scanned bytes; summing is covered with a controlled client
    expect(api.calls.start).toBe(1); // two consecutive hours: one query
    expect(api.calls.get).toBeGreaterThanOrEqual(3); // QUEUED, RUNNING, SUCCEEDED
    expect(api.calls.stop).toBe(0);

    const ids = (await client.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }))).QueryExecutionIds ?? [];
    const seen = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: ids[ids.length - 1] }));
    expect(seen.QueryExecution?.Query).toBe(usageHourlySql());
    expect(seen.QueryExecution?.ExecutionParameters).toEqual(['2026', '11', '3', '7', '8']);
    expect(seen.QueryExecution?.QueryExecutionContext).toEqual({ Catalog: 'AwsDataCatalog', Database: 'ubb_test_logs' });
    expect(seen.QueryExecution?.WorkGroup).toBe(WORKGROUP);
  });

  it('runs one query per run of consecutive hours of a day and concatenates their rows', async () => {
    await moto.seedAthenaResults([
      result([['2026-11-30T23', '2026-11', '0123456789abcdef', '4', '0', '0', '4', '40', '4']]),
      result([['2026-12-01T00', '2026-12', '0123456789abcdef', '6', '0', '0', '6', '60', '6']]),
    ]);
    const api = counting(athenaApi(client));
    const engine = new AthenaEngine(api, { workgroup: WORKGROUP, database: 'ubb_test_logs', table: 'cloudfront_logs', maxConcurrentQueries: 1 });

    const out = await engine.queryHours(['2026-12-01T00', '2026-11-30T23']);

    expect(api.calls.start).toBe(2); // the two hours are consecutive but on different days
    expect(out.rows.map((r) => [r.hour, r.month, r.requests])).toEqual([
      ['2026-11-30T23', '2026-11', 4],
      ['2026-12-01T00', '2026-12', 6],
    ]);
  });

  it('stops a query that does not finish in time and says so; moto then reports it CANCELLED', async () => {
    await moto.setTransition('athena::execution', { progression: 'manual', times: 1_000_000 });
    let clock = 0;
    const api = counting(athenaApi(client));
    const engine = new AthenaEngine(api, {
      workgroup: WORKGROUP,
      database: 'ubb_test_logs',
      table: 'cloudfront_logs',
      queryTimeoutMs: 30_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms; // virtual time: the test never waits
      },
    });

    const error = await engine.queryHours(['2026-11-05T10']).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).state).toBe('TIMEOUT');
    expect((error as Error).message).toMatch(/for hour 2026-11-05T10 did not finish within 30 s \(last state QUEUED\); it was stopped/);
    expect(api.calls.stop).toBe(1);
    const after = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: (error as AthenaQueryError).queryExecutionId }));
    expect(after.QueryExecution?.Status?.State).toBe('CANCELLED');
  });

  it('rejects a Glue table or database name that is not a plain identifier before calling Athena', () => {
    const api = counting(athenaApi(client));
    expect(() => new AthenaEngine(api, { workgroup: WORKGROUP, database: 'ubb_test_logs', table: 'logs; DROP TABLE x' })).toThrow(
      'Glue table name "logs; DROP TABLE x" is not a plain lowercase SQL identifier',
    );
    expect(() => new AthenaEngine(api, { workgroup: WORKGROUP, database: 'Bad-Name', table: 'cloudfront_logs' })).toThrow(
      'Glue database name "Bad-Name" is not a plain lowercase SQL identifier',
    );
    expect(api.calls.start).toBe(0);
  });

  it('reads a Glue table with another name by pointing the one FROM at it', async () => {
    await moto.seedAthenaResults([result([])]);
    const engine = new AthenaEngine(athenaApi(client), { workgroup: WORKGROUP, database: 'ubb_test_logs', table: 'cf_logs_v2' });
    await expect(engine.queryHours(['2026-11-05T11'])).resolves.toEqual({ rows: [], bytesScanned: 0 });
    const ids = (await client.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }))).QueryExecutionIds ?? [];
    const queries = await Promise.all(ids.map((id) => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))));
    const query = queries.map((q) => q.QueryExecution?.Query ?? '').find((q) => q.includes('cf_logs_v2'));
    expect(query).toBe(usageHourlySql().replace('FROM cloudfront_logs', 'FROM cf_logs_v2'));
  });
});
