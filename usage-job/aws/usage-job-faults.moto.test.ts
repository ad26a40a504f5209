/**
 * Faults in the usage job on AWS, against moto in server mode plus a loopback GetUsage
 * server. Each scenario runs the CLI's sequence (incremental run -> month sums -> publish) on its
 * own environment (buckets, workgroup, metric namespace), injects one fault by wrapping the real
 * API client, checks the run fails (the CLI exits non-zero on a rejection) and sends no heartbeat,
 * then reruns and checks the rollups and the metric statistics alarms use (Maximum) equal those
 * of a clean run: nothing lost, nothing counted twice.
 *
 * moto runs no SQL: each Athena query takes the next result queued through moto's API, so each
 * scenario queues exactly the results its runs will start (queries run one at a time here).
 * Each environment lives in its own region: moto 5.2.5's GetMetricData drops the namespace filter
 * when a query has dimensions (moto/cloudwatch/models.py get_metric_data), so per-key series of
 * two namespaces in one region would mix; regions keep them apart.
 */
import type { QueryExecutionState } from '@aws-sdk/client-athena';
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPrefix } from '../../sql/log-columns';
import { useMotoServer, type SeededAthenaResult } from '../../test-support/moto-server';
import { API_KEY_DIMENSION, METRIC_IDS, METRICS, metricsNamespace, THRESHOLD_DIMENSION } from '../../contracts/metrics';
import { resourceNames, type NamedEnvironment } from '../../contracts/resource-names';
import { floorToHour, hourStart } from '../../sql/hours';
import { runIncremental } from '../incremental-run';
import { monthUsage } from '../month-usage';
import type { HourId } from '../types';
import { publishRun, PublishRunError, type PublishedRun } from '../publish-run';
import { AthenaQueryError, type AthenaApi } from './athena-engine';
import { athenaClient, cloudWatchClient, s3Client } from './clients';
import { PublishError, type CloudWatchApi } from './cloudwatch-publisher';
import type { EventBridgeApi } from './eventbridge-notices';
import { createAwsUsageBackend, type AwsBackendOptions, type AwsUsageBackend } from './index';
import { getUsageServer } from './testing/get-usage-server';
import { createUsageJobEnvironment } from './testing/usage-job-environment';
import { seededUsageResult } from './testing/usage-sql-result';

const moto = useMotoServer();
const REGIONS = [
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'sa-east-1',
];
const THRESHOLDS = [80, 100];
/** What publishRun reads of the environment's configuration. */
const settings = (name: string) => ({
  name,
  alarms: { quotaPercentThresholds: THRESHOLDS, unattributedPercentThreshold: 5, emails: [] },
  monitoring: {
    perKeyMetrics: { mode: 'all' as const },
    dashboardTopKeys: 20,
    logShortfallPercentThreshold: 10,
    logShortfallMinRequests: 1,
    sinkHoursBehindThreshold: 3,
  },
});
const ACCOUNT = '000000000000';
const DIST = 'E2FAULTTEST';
const MONTH = '2026-11';
const NOW = new Date('2026-11-02T10:30:00Z');
const RERUN = new Date('2026-11-02T10:50:00Z'); // same hour: the gauges land on the same timestamp
const ACME_FP = 'aaaaaaaaaaaaaaaa';
const GLOBEX_FP = 'bbbbbbbbbbbbbbbb';
const LOG_HOURS: HourId[] = ['2026-11-01T08', '2026-11-01T09', '2026-11-02T03'];

const gateway = getUsageServer({
  'plan-pro': { 'key-acme': { '2026-11-01': 30, '2026-11-02': 24 } },
  'plan-basic': { 'key-globex': { '2026-11-01': 12 } },
});
let gatewayEndpoint: string;
let s3: S3Client;
const conn = (region: string) => ({ region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });

beforeAll(async () => {
  gatewayEndpoint = await gateway.start();
  s3 = s3Client(conn('us-east-1'));
});
afterAll(() => gateway.stop());
afterEach(() => moto.unsetTransition('athena::execution'));

// --- fixtures -------------------------------------------------------------------------------

const result = (rows: (string | null)[][]) => seededUsageResult(rows);
/** What the usage SQL returns for the two batches of LOG_HOURS (01T08-09, then 02T03). */
const BATCH_A = result([
  ['2026-11-01T08', '2026-11', ACME_FP, '30', '2', '0', '32', '30720', '600'],
  ['2026-11-01T09', '2026-11', GLOBEX_FP, '12', '0', '0', '12', '6000', '100'],
  ['2026-11-01T09', '2026-11', null, '0', '4', '0', '4', '0', '0'],
]);
const BATCH_B = result([
  ['2026-11-02T03', '2026-11', ACME_FP, '25', '0', '1', '26', '25600', '500'],
  ['2026-11-02T03', '2026-11', 'cccccccccccccccc', '3', '0', '0', '3', '300', '30'],
]);

let envSeq = 0;
/**
 * A fresh environment with its buckets, deployment file, workgroup and log objects. With the
 * default quotas the clean run crosses no threshold; `quotas` lets notice scenarios make keys cross.
 */
async function environment(quotas: { acme: number; globex: number } = { acme: 100, globex: 50 }): Promise<NamedEnvironment & { region: string }> {
  const name = `f${++envSeq}`;
  const region = REGIONS[envSeq - 1];
  const env = { name, prefix: `ubb-${name}`, accountId: ACCOUNT, region };
  const names = await createUsageJobEnvironment({ s3, athena: athenaClient(conn(region)) }, env, DIST, [
    { id: 'acme', customer: 'Acme', fingerprint: ACME_FP, apiGatewayKeyId: 'key-acme', usagePlanId: 'plan-pro', monthlyQuota: quotas.acme },
    { id: 'globex', customer: 'Globex', fingerprint: GLOBEX_FP, apiGatewayKeyId: 'key-globex', usagePlanId: 'plan-basic', monthlyQuota: quotas.globex },
  ]);
  for (const hour of LOG_HOURS) {
    const key = `${hourPrefix(ACCOUNT, DIST, hourStart(hour))}${DIST}.${hour}.part-0.parquet`;
    await s3.send(new PutObjectCommand({ Bucket: names.logBucket, Key: key, Body: `parquet bytes of ${hour}` }));
  }
  return env;
}

const seed = (env: { region: string }, ...results: SeededAthenaResult[]) => moto.seedAthenaResults(results, env.region, '123456789012');

function backend(env: NamedEnvironment & { region: string }, now: Date, extra: Partial<AwsBackendOptions> = {}): Promise<AwsUsageBackend> {
  return createAwsUsageBackend({
    env,
    endpoint: moto.endpoint,
    endpoints: { apiGateway: gatewayEndpoint },
    credentials: moto.clientConfig().credentials,
    now: () => now,
    backoff: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
    athena: { maxConcurrentQueries: 1, pollInitialMs: 1, pollMaxMs: 2, ...extra.athena },
  });
}

/** The CLI's sequence for one run (usage-job/cli.ts main, without printing): figures, then notices and metrics. */
async function runJob(parts: AwsUsageBackend, now: Date, env: { name: string } = { name: 'f' }): Promise<PublishedRun> {
  const run = await runIncremental({
    month: MONTH,
    now,
    lateWindowHours: 48,
    engine: parts.engine,
    lister: parts.lister,
    store: parts.store,
    attribution: parts.attribution,
  });
  const usage = monthUsage(MONTH, run.rows, parts.customers.customers);
  return publishRun({ usage, env: settings(env.name), now, publishing: parts });
}

interface Snapshot {
  rollups: Record<HourId, unknown>;
  maximum: Record<string, number[]>;
  heartbeat: number[];
}

/** Rollup rows of the log hours and the Maximum of every gauge at the run hour. */
async function snapshot(parts: AwsUsageBackend, env: NamedEnvironment & { region: string }): Promise<Snapshot> {
  const cloudWatch: CloudWatchClient = cloudWatchClient(conn(env.region));
  const rollups: Record<HourId, unknown> = {};
  for (const hour of LOG_HOURS) rollups[hour] = (await parts.store.getHour(hour))?.rows ?? null;
  const ns = metricsNamespace(env.name);
  // Every metric of the table but the heartbeat (read apart) and what goes with it, and the
  // per-sink metrics (no billing sink here): per key, per threshold, environment.
  type Series = [string, { Name: string; Value: string } | undefined];
  const series: Series[] = METRIC_IDS.filter((id) => id !== 'heartbeat' && id !== 'sinksPartial' && METRICS[id].scope !== 'sink').flatMap((id): Series[] => {
    const m = METRICS[id];
    if (m.scope === 'key') return ['acme', 'globex'].map((k): [string, { Name: string; Value: string }] => [m.name, { Name: API_KEY_DIMENSION, Value: k }]);
    if (m.scope === 'threshold')
      return THRESHOLDS.map((t): [string, { Name: string; Value: string }] => [m.name, { Name: THRESHOLD_DIMENSION, Value: String(t) }]);
    return [[m.name, undefined]];
  });
  const query = (metric: string, dimension: { Name: string; Value: string } | undefined, i: number): MetricDataQuery => ({
    Id: `q${i}`,
    MetricStat: {
      Metric: { Namespace: ns, MetricName: metric, ...(dimension ? { Dimensions: [dimension] } : {}) },
      Period: 3600,
      Stat: 'Maximum',
    },
  });
  const hour = floorToHour(NOW);
  const out = await cloudWatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: [...series.map(([m, d], i) => query(m, d, i)), query(METRICS.heartbeat.name, undefined, series.length)],
      StartTime: hour,
      EndTime: new Date(hour.getTime() + 3_600_000),
    }),
  );
  const values = (i: number) => out.MetricDataResults?.find((r) => r.Id === `q${i}`)?.Values ?? [];
  const maximum: Record<string, number[]> = {};
  series.forEach(([m, d], i) => (maximum[`${m}${d ? `/${d.Value}` : ''}`] = values(i)));
  return { rollups, maximum, heartbeat: values(series.length) };
}

/** Wraps Athena so that the first query reports `state` (FAILED or CANCELLED) instead of its own. */
function athenaEndingFirstQueryAs(state: QueryExecutionState) {
  let victim: string | undefined;
  return (api: AthenaApi): AthenaApi => ({
    ...api,
    startQueryExecution: async (input) => {
      const out = await api.startQueryExecution(input);
      victim ??= out.QueryExecutionId;
      return out;
    },
    getQueryExecution: async (input) => {
      const out = await api.getQueryExecution(input);
      if (input.QueryExecutionId !== victim || out.QueryExecution === undefined) return out;
      return {
        QueryExecution: {
          ...out.QueryExecution,
          Status: { ...out.QueryExecution.Status, State: state, ...(state === 'FAILED' ? { StateChangeReason: 'HIVE_BAD_DATA: injected fault' } : {}) },
        },
      };
    },
  });
}

const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

// --- the clean run every scenario is compared with --------------------------------------------

let clean: Snapshot;

describe('usage job on AWS: faults, then a rerun that converges to a clean run', () => {
  beforeAll(async () => {
    const env = await environment();
    const parts = await backend(env, NOW);
    await seed(env, BATCH_A, BATCH_B);
    const published = await runJob(parts, NOW);
    expect(published.reconciliation?.keys.map((r) => [r.id, r.logRequests, r.apiGatewayRequests, r.gap])).toEqual([
      ['acme', 55, 54, 1],
      ['globex', 12, 12, 0],
    ]);
    // 1 November: API Gateway metered 30 + 12, the logs hold 32 + 12 records with a 2xx-5xx status (acme's 2 rejected included)
    expect(published.reconciliation?.lastCompleteDay).toEqual({ day: '2026-11-01', apiGatewayRequests: 42, logRequests: 44, shortfallPercent: 0 });
    clean = await snapshot(parts, env);
  }, 60_000);

  it('the clean run publishes what the logs hold', () => {
    expect(clean.maximum[`${METRICS.quotaUsedPercent.name}/acme`]).toEqual([55]);
    expect(clean.maximum[`${METRICS.quotaUsedPercent.name}/globex`]).toEqual([24]);
    expect(clean.maximum[METRICS.billableRequests.name]).toEqual([67]);
    expect(clean.maximum[METRICS.logShortfallPercent.name]).toEqual([0]);
    expect(clean.maximum[`${METRICS.keysAtThreshold.name}/80`]).toEqual([0]);
    expect(clean.maximum[`${METRICS.quotaNoticesSent.name}/80`]).toEqual([0]);
    expect(clean.maximum[METRICS.unattributedRequests.name]).toEqual([7]);
    expect(clean.heartbeat).toEqual([1]);
    expect(Object.values(clean.rollups).every((rows) => Array.isArray(rows) && rows.length > 0)).toBe(true);
  });

  it.each([['FAILED' as const], ['CANCELLED' as const]])('Athena query %s: the run fails, nothing is published, the rerun converges', async (state) => {
    const env = await environment();
    await seed(env, BATCH_A); // the first query starts, then ends in the injected state; no second query starts
    const faulty = await backend(env, NOW, { wrap: { athena: athenaEndingFirstQueryAs(state) } });
    const error = await runJob(faulty, NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as Error).message).toContain(state === 'FAILED' ? 'FAILED: HIVE_BAD_DATA: injected fault' : 'was CANCELLED');
    const afterFault = await snapshot(faulty, env);
    expect(afterFault.heartbeat).toEqual([]);
    expect(Object.values(afterFault.maximum).every((v) => v.length === 0)).toBe(true);

    await seed(env, BATCH_A, BATCH_B);
    const parts = await backend(env, RERUN);
    await runJob(parts, RERUN);
    expect(await snapshot(parts, env)).toEqual(clean);
  });

  it('Athena query timing out: it is stopped, the run fails, the rerun converges', async () => {
    const env = await environment();
    await moto.setTransition('athena::execution', { progression: 'manual', times: 1_000_000 });
    await seed(env, BATCH_A);
    let clock = 0;
    const faulty = await backend(env, NOW, {
      athena: { queryTimeoutMs: 60_000, pollInitialMs: 1_000, pollMaxMs: 8_000, now: () => clock, sleep: async (ms) => void (clock += ms) },
    });
    const error = await runJob(faulty, NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).state).toBe('TIMEOUT');
    expect((await snapshot(faulty, env)).heartbeat).toEqual([]);

    await moto.unsetTransition('athena::execution');
    await seed(env, BATCH_A, BATCH_B);
    const parts = await backend(env, RERUN);
    await runJob(parts, RERUN);
    expect(await snapshot(parts, env)).toEqual(clean);
  });

  it('throttling on GetQueryResults: retried, every row counted once, equal to the clean run; a rerun changes nothing', async () => {
    const env = await environment();
    await seed(env, BATCH_A, BATCH_B);
    let throttled = 0;
    const parts = await backend(env, NOW, {
      wrap: {
        athena: (api) => ({
          ...api,
          getQueryResults: async (input) => {
            if (throttled < 3) {
              throttled += 1;
              throw throttle();
            }
            return api.getQueryResults(input);
          },
        }),
      },
    });
    await runJob(parts, NOW);
    expect(throttled).toBe(3);
    expect(await snapshot(parts, env)).toEqual(clean);
    await runJob(await backend(env, RERUN), RERUN); // nothing left to compute: no Athena result needed
    expect(await snapshot(parts, env)).toEqual(clean);
  });

  it('throttling on PutMetricData: retried, then everything is published', async () => {
    const env = await environment();
    await seed(env, BATCH_A, BATCH_B);
    let throttled = 0;
    const wrapCloudWatch = (api: CloudWatchApi): CloudWatchApi => ({
      putMetricData: async (input) => {
        if (throttled < 2) {
          throttled += 1;
          throw throttle();
        }
        return api.putMetricData(input);
      },
    });
    const parts = await backend(env, NOW, { wrap: { cloudWatch: wrapCloudWatch } });
    await runJob(parts, NOW);
    expect(throttled).toBe(2);
    expect(await snapshot(parts, env)).toEqual(clean);
  });

  it('PutMetricData failing for one batch: the run fails without a heartbeat; the rerun republishes and converges', async () => {
    const env = await environment();
    await seed(env, BATCH_A, BATCH_B);
    let calls = 0;
    let armed = true;
    const wrapCloudWatch = (api: CloudWatchApi): CloudWatchApi => ({
      putMetricData: async (input) => {
        calls += 1;
        if (armed && calls === 2)
          throw Object.assign(new Error('injected: batch refused'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
        return api.putMetricData(input);
      },
    });
    const faulty = await backend(env, NOW, { wrap: { cloudWatch: wrapCloudWatch }, publisher: { batchSize: 4 } });
    const error = await runJob(faulty, NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRunError);
    expect((error as PublishRunError).cause).toBeInstanceOf(PublishError);
    expect(((error as PublishRunError).cause as PublishError).failedData).toBe(4);
    const afterFault = await snapshot(faulty, env);
    expect(afterFault.heartbeat).toEqual([]);
    expect(afterFault.rollups).toEqual(clean.rollups); // rollups and manifest were written before publishing
    expect(afterFault.maximum).not.toEqual(clean.maximum); // one batch is missing

    armed = false;
    const parts = await backend(env, RERUN, { wrap: { cloudWatch: wrapCloudWatch }, publisher: { batchSize: 4 } });
    await runJob(parts, RERUN); // no Athena result queued: the rerun computes nothing, it republishes
    expect(await snapshot(parts, env)).toEqual(clean);
  });
});

// --- quota notices: one per (key, threshold, month), at least once, a stable id ----------------

/** Wraps EventBridge: records the noticeIds of every entry EventBridge accepted; `fault` may fail entries or throw. */
function recordingEventBridge(fault: (call: number, noticeIds: string[]) => 'throttle' | string[] | undefined = () => undefined) {
  const accepted: string[] = [];
  let calls = 0;
  const wrap = (api: EventBridgeApi): EventBridgeApi => ({
    putEvents: async (input) => {
      calls += 1;
      const ids = (input.Entries ?? []).map((e) => (JSON.parse(e.Detail ?? '{}') as { noticeId: string }).noticeId);
      const injected = fault(calls, ids);
      if (injected === 'throttle') throw throttle();
      const failing = new Set(injected ?? []);
      const sent = (input.Entries ?? []).filter((_, i) => !failing.has(ids[i]));
      const out = sent.length > 0 ? await api.putEvents({ ...input, Entries: sent }) : { Entries: [], FailedEntryCount: 0 };
      // Put the moto answers back in request order, with the injected failures where they belong.
      const answers = [...(out.Entries ?? [])];
      const entries = ids.map((id) => (failing.has(id) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'injected' } : (answers.shift() ?? {})));
      ids.forEach((id, i) => entries[i].EventId !== undefined && accepted.push(id));
      return { Entries: entries, FailedEntryCount: entries.filter((e) => e.ErrorCode !== undefined).length };
    },
  });
  return { wrap, accepted, calls: () => calls };
}

/** acme 55 of 60 (91.7 %: the 80 % notice), globex 12 of 10 (120 %: 80 % and 100 %). */
const CROSSING = { acme: 60, globex: 10 };
const ids = (env: { name: string }) => [`${env.name}:acme:${MONTH}:80`, `${env.name}:globex:${MONTH}:80`, `${env.name}:globex:${MONTH}:100`];

describe('quota notices on AWS (EventBridge on moto, ledger in the usage bucket)', () => {
  it('a run sends each due notice once with its stable id; reruns never repeat a notice that was sent and recorded', async () => {
    const env = await environment(CROSSING);
    await seed(env, BATCH_A, BATCH_B);
    const events = recordingEventBridge();
    const first = await runJob(await backend(env, NOW, { wrap: { eventBridge: events.wrap } }), NOW, env);
    expect(first.notices).toMatchObject({ due: 3, alreadySent: 0, sent: ids(env), failed: [] });
    expect(events.accepted).toEqual(ids(env));
    // The ledger is per environment inside the usage bucket.
    const ledger = await s3.send(new ListObjectsV2Command({ Bucket: resourceNames(env).usageBucket, Prefix: 'notices/' }));
    expect((ledger.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      ['acme/80', 'globex/80', 'globex/100'].map((e) => `notices/${env.name}/${MONTH}/${e}.json`).sort(),
    );
    const parts = await backend(env, NOW);
    const after = await snapshot(parts, env);
    expect(after.maximum[`${METRICS.quotaNoticesSent.name}/80`]).toEqual([2]);
    expect(after.maximum[`${METRICS.quotaNoticesSent.name}/100`]).toEqual([1]);
    expect(after.maximum[`${METRICS.keysAtThreshold.name}/80`]).toEqual([2]);
    expect(after.heartbeat).toEqual([1]);

    // Rerun in the same hour, then a run an hour later: nothing is sent again.
    const rerun = await runJob(await backend(env, RERUN, { wrap: { eventBridge: events.wrap } }), RERUN, env);
    expect(rerun.notices).toMatchObject({ due: 3, alreadySent: 3, sent: [], failed: [] });
    const later = new Date('2026-11-02T11:40:00Z');
    const next = await runJob(await backend(env, later, { wrap: { eventBridge: events.wrap } }), later, env);
    expect(next.notices).toMatchObject({ due: 3, alreadySent: 3, sent: [] });
    expect(events.accepted).toEqual(ids(env));
    expect(events.calls()).toBe(1);
  });

  it('a failed send is not recorded: the run fails without a heartbeat, and the next run sends that notice, same id, and only it', async () => {
    const env = await environment(CROSSING);
    await seed(env, BATCH_A, BATCH_B);
    const failing = `${env.name}:globex:${MONTH}:100`;
    let armed = true;
    const events = recordingEventBridge(() => (armed ? [failing] : undefined));
    const error = await runJob(await backend(env, NOW, { wrap: { eventBridge: events.wrap } }), NOW, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRunError);
    expect((error as PublishRunError).message).toContain('no heartbeat: 1 of 3 quota notices were not sent');
    expect((error as PublishRunError).notices).toMatchObject({ sent: ids(env).slice(0, 2), failed: [failing] });
    const afterFault = await snapshot(await backend(env, NOW), env);
    expect(afterFault.heartbeat).toEqual([]);
    expect(afterFault.maximum[`${METRICS.quotaUsedPercent.name}/globex`]).toEqual([120]); // the gauges went out

    armed = false;
    const rerun = await runJob(await backend(env, RERUN, { wrap: { eventBridge: events.wrap } }), RERUN, env);
    expect(rerun.notices).toMatchObject({ due: 3, alreadySent: 2, sent: [failing], failed: [] });
    expect(events.accepted).toEqual(ids(env)); // each notice reached the bus exactly once
    expect((await snapshot(await backend(env, RERUN), env)).heartbeat).toEqual([1]);
  });

  it('PutEvents throttled past the retries: outcome unknown, nothing recorded; the next run sends every notice', async () => {
    const env = await environment(CROSSING);
    await seed(env, BATCH_A, BATCH_B);
    let armed = true;
    const events = recordingEventBridge(() => (armed ? 'throttle' : undefined));
    const error = await runJob(await backend(env, NOW, { wrap: { eventBridge: events.wrap } }), NOW, env).catch((e: unknown) => e);
    expect((error as PublishRunError).message).toMatch(/3 of 3 quota notices were not sent \(EventBridge PutEvents failed after 4 attempts: Throttling/);
    expect(events.accepted).toEqual([]);
    armed = false;
    const rerun = await runJob(await backend(env, RERUN, { wrap: { eventBridge: events.wrap } }), RERUN, env);
    expect(rerun.notices.sent).toEqual(ids(env));
    expect(events.accepted).toEqual(ids(env));
  });
});
