/**
 * The usage CLI with --engine athena end to end against moto in server mode, run as users run it
 * (`npm run usage` = tsx usage-job/cli.ts) in a child process. The CLI loads the AWS side
 * lazily, which takes its endpoints from the SDK's standard variables (AWS_ENDPOINT_URL, and
 * AWS_ENDPOINT_URL_API_GATEWAY for the loopback GetUsage server, as moto has no GetUsage).
 * The run uses the real clock (the current month): CloudWatch refuses data older than two weeks.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { hourPrefix } from '../../sql/log-columns';
import { useMotoServer } from '../../test-support/moto-server';
import { API_KEY_DIMENSION, METRICS, metricsNamespace } from '../../contracts/metrics';
import { resourceNames } from '../../contracts/resource-names';
import { findEnvironment } from '../cli';
import { floorToHour, hourStart } from '../../sql/hours';
import { runUsageCli } from '../testing/usage-cli';
import { athenaClient, cloudWatchClient, s3Client } from './clients';
import { getUsageServer } from './testing/get-usage-server';
import { createUsageJobEnvironment } from './testing/usage-job-environment';
import { seededUsageResult } from './testing/usage-sql-result';

const moto = useMotoServer();
const dev = findEnvironment('dev');
const names = resourceNames(dev);
const DIST = 'E3CLITEST';
const ACME_FP = '1111111111111111';
const now = new Date();
const month = now.toISOString().slice(0, 7);
const firstHour = `${month}-01T00`;
/**
 * The prices and quota thresholds the environment's apply deployed (the deployment file's), unlike
 * the code's config: the run must bill and alarm with these (docs/prices.md, prices of record).
 */
const deployed = {
  ...dev,
  prices: {
    currency: 'EUR',
    plans: {
      'plan-basic': {
        requests: { mode: 'volume', unitSize: 1, tiers: [{ upTo: null, unitPrice: 1, flatFee: 2.5 }] },
        gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
      },
    },
  },
  alarms: { ...dev.alarms, quotaPercentThresholds: [5, 50] },
} as const;
const gateway = getUsageServer({ 'plan-basic': { 'key-acme': { [`${month}-01`]: 9 } } });

let childEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  const gatewayEndpoint = await gateway.start();
  childEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_API_GATEWAY: gatewayEndpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete childEnv[name];

  const conn = { region: dev.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials };
  const s3 = s3Client(conn);
  await createUsageJobEnvironment({ s3, athena: athenaClient(conn) }, deployed, DIST, [
    { id: 'acme-dev', customer: 'Acme Corp (test)', fingerprint: ACME_FP, apiGatewayKeyId: 'key-acme', usagePlanId: 'plan-basic', monthlyQuota: 10_000 },
    {
      id: 'smoke-test',
      customer: 'Platform smoke test',
      fingerprint: '2222222222222222',
      apiGatewayKeyId: 'key-smoke',
      usagePlanId: 'plan-basic',
      monthlyQuota: 10_000,
    },
  ]);
  await s3.send(
    new PutObjectCommand({ Bucket: names.logBucket, Key: `${hourPrefix(dev.accountId, DIST, hourStart(firstHour))}${DIST}.part-0.parquet`, Body: 'parquet' }),
  );
  const result = seededUsageResult([
    [firstHour, month, ACME_FP, '10', '1', '0', '11', '4096', '300'],
    [firstHour, month, null, '0', '2', '0', '2', '0', '0'],
  ]);
  await moto.seedAthenaResults([result], dev.region, '123456789012');
});

afterAll(() => gateway.stop());

const cli = (args: string[]) => runUsageCli(args, { env: childEnv });

describe('usage CLI --engine athena on moto', () => {
  it('computes from Athena, stores rollups in S3, publishes to CloudWatch and reports the reconciliation', async () => {
    const { code, stdout: out, stderr: err } = await cli(['--engine', 'athena', '--env', 'dev', '--month', month, '--format', 'json']);
    expect(err).not.toContain('usage: error');
    expect(
      err
        .trimEnd()
        .split('\n')
        .filter((line) => !line.startsWith('usage: ')),
    ).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      keys: { id: string; requests: number; rejected: number; bytesOut: number; quotaUsedPercent: number }[];
      unattributed: { requests: number };
      reconciliation: { keys: { id: string; logRequests: number; apiGatewayRequests: number; gap: number }[]; lastCompleteDay: unknown };
      quotaThresholds: number[];
      quotaNotices: { due: number; sent: string[] };
      run: { engine: string; published: boolean; attribution: unknown };
    };
    expect(report.keys).toEqual([
      expect.objectContaining({ id: 'acme-dev', requests: 10, rejected: 1, bytesOut: 4096, quotaUsedPercent: 0.1 }),
      expect.objectContaining({ id: 'smoke-test', requests: 0, rejected: 0, bytesOut: 0, quotaUsedPercent: 0 }),
    ]);
    expect(report.unattributed).toEqual({ requests: 2 });
    expect(report.quotaThresholds).toEqual([5, 50]); // the deployment file's, not config's
    expect(dev.alarms.quotaPercentThresholds).not.toEqual([5, 50]);
    expect(report.quotaNotices).toMatchObject({ due: 0, sent: [] });
    expect(report.reconciliation.keys.map((r) => [r.id, r.logRequests, r.apiGatewayRequests, r.gap])).toEqual([
      ['acme-dev', 10, 9, 1],
      ['smoke-test', 0, 0, 0],
    ]);
    expect(report.run).toMatchObject({ engine: 'athena', published: true });
    // Bound to what it was computed from: the registry object's version and the deployment file's.
    expect(report.run).toMatchObject({
      attribution: {
        registry: { location: `s3://${names.keyRegistryBucket}/registry.json`, revision: 1, etag: expect.any(String), versionId: expect.any(String) },
        deployment: { location: `s3://${names.usageBucket}/config/usage-job.json`, etag: expect.any(String) },
      },
    });

    const cw = cloudWatchClient({ region: dev.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
    const hour = floorToHour(now);
    const metric = (name: string, id?: string) => ({
      Namespace: metricsNamespace('dev'),
      MetricName: name,
      ...(id ? { Dimensions: [{ Name: API_KEY_DIMENSION, Value: id }] } : {}),
    });
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: hour,
        EndTime: new Date(hour.getTime() + 2 * 3_600_000),
        MetricDataQueries: [
          { Id: 'quota', MetricStat: { Metric: metric(METRICS.quotaUsedPercent.name, 'acme-dev'), Period: 3600, Stat: 'Maximum' } },
          { Id: 'billable', MetricStat: { Metric: metric(METRICS.billableRequests.name), Period: 3600, Stat: 'Maximum' } },
          { Id: 'heartbeat', MetricStat: { Metric: metric(METRICS.heartbeat.name), Period: 7200, Stat: 'Maximum' } },
        ],
      }),
    );
    const values = (id: string) => data.MetricDataResults?.find((r) => r.Id === id)?.Values;
    expect(values('quota')?.[0]).toBe(0.1);
    expect(values('billable')?.[0]).toBe(10);
    expect(values('heartbeat')?.[0]).toBe(1);

    // The customer usage summary GET /usage reads: the report's figures per customer, no fingerprint.
    const s3 = s3Client({ region: dev.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
    const text = await (await s3.send(new GetObjectCommand({ Bucket: names.usageBucket, Key: `customer-usage/${month}.json` }))).Body!.transformToString();
    const summary = JSON.parse(text) as {
      environment: string;
      month: string;
      customers: Record<string, { requests: number; bytesOut: number; remaining: number }>;
    };
    expect(summary).toMatchObject({ environment: 'dev', month });
    expect(summary.customers['acme-dev']).toMatchObject({ requests: 10, bytesOut: 4096, remaining: 9_990 });
    expect(Object.keys(summary.customers)).toEqual(['acme-dev', 'smoke-test']);
    expect(text).not.toContain(ACME_FP);
  }, 120_000); // each run reads ~700 hourly rollups one by one late in a month

  it('a rerun reads no new hour and reports the same figures', async () => {
    const { code, stdout: out, stderr: err } = await cli(['--engine', 'athena', '--env', 'dev', '--month', month, '--format', 'json', '--dry-run']);
    expect(code).toBe(0);
    expect(err).toMatch(/computed 0 of \d+ hours, read 0 bytes/);
    expect((JSON.parse(out) as { keys: { requests: number }[] }).keys[0].requests).toBe(10);
  }, 120_000);

  it('prices the invoice lines at the prices of record in the deployment file, not at the config', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invoice-')), 'invoice.json');
    const { code, stderr: err } = await cli(['--engine', 'athena', '--env', 'dev', '--month', month, '--dry-run', '--invoice', file]);
    expect(code).toBe(0);
    expect(err).toContain(`prices and quota thresholds of record from s3://${names.usageBucket}/config/usage-job.json (plan-basic; EUR)`);
    const lines = (
      JSON.parse(readFileSync(file, 'utf8')) as { lines: { customerId: string; plan: string; requestsTiers: string; amount: number; currency: string }[] }
    ).lines;
    // 10 requests at 1 per request in the one volume tier, plus its flat fee 2.5; 4,096 bytes out round to 0.00.
    expect(lines.map((l) => [l.customerId, l.plan, l.requestsTiers, l.amount, l.currency])).toEqual([
      ['acme-dev', 'plan-basic', 'volume tier 1: 10 at 1 per 1 + 2.5 flat = 12.5', 12.5, 'EUR'],
      ['smoke-test', 'plan-basic', 'none', 0, 'EUR'],
    ]);
  }, 120_000);

  it('exits non-zero with a one-line reason when the environment has no deployment file', async () => {
    const { code, stdout: out, stderr: err } = await cli(['--engine', 'athena', '--env', 'prod', '--month', month]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trim().split('\n').pop()).toMatch(
      /^usage: error: s3:\/\/ubb-prod-usage-222222222222\/config\/usage-job\.json not found \(NoSuchBucket\): deploy the billing stack/,
    );
  });
});
