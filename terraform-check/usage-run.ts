/**
 * The usage job against what Terraform created, run the way the scheduled workflow runs it
 * (.github/workflows/usage.yml): `npm run --silent usage -- --engine athena --env <env> --month <m>
 * --format table --invoice <file>` for the current UTC month (and, in the first three days of a
 * month, the previous one first), credentials and region from the environment, AWS endpoints from
 * the SDK's standard variables. The job reads the deployment file Terraform wrote and the key
 * registry the keys CLI wrote (seed-customers.ts; usage-job/aws/index.ts). moto's Athena runs no SQL, so every figure is zero; the check then reads
 * back from moto's CloudWatch that the run published every key's gauges and the heartbeat.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { API_KEY_DIMENSION, METRICS, metricsNamespace } from '../contracts/metrics';
import type { EnvironmentConfig } from '../config/types';
import { floorToHour } from '../sql/hours';
import { REPO_ROOT } from '../stacks/shared/repo';
import { getUsageServer } from '../usage-job/aws/testing/get-usage-server';
import { FAKE_CREDENTIALS } from '../test-support/moto-server';
import { awsClients } from './aws-clients';
import type { RecordedCall } from '../permissions/recorded-call';
import { startRecordingProxy } from './recording-proxy';

/** The months the hourly schedule computes at `now` (usage.yml: the previous month too on days 1 to 3). */
export function scheduledMonths(now: Date): string[] {
  const current = now.toISOString().slice(0, 7);
  if (now.getUTCDate() > 3) return [current];
  const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0)).toISOString().slice(0, 7);
  return [previous, current];
}

export interface UsageRunReport {
  readonly months: readonly string[];
  /** Lines in each run's invoice file (one per customer). */
  readonly invoiceLines: number;
  /** GetUsage calls the job made to the stand-in (reconciliation ran). */
  readonly getUsageCalls: number;
  /** Read back from CloudWatch over the run's hours: metric -> Maximum (Sum for the heartbeat). */
  readonly metrics: Readonly<Record<string, number | undefined>>;
  /** Every AWS call the job made (moto and the GetUsage stand-in), for the usage-job role's check. */
  readonly calls: readonly RecordedCall[];
}

function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'usage', '--', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

export async function runScheduledUsageJob(
  env: EnvironmentConfig,
  motoEndpoint: string,
  planKeys: Readonly<Record<string, readonly string[]>>,
  customerIds: readonly string[],
  workDir: string,
): Promise<UsageRunReport> {
  const plans = Object.fromEntries(Object.entries(planKeys).map(([plan, keys]) => [plan, Object.fromEntries(keys.map((k) => [k, {}]))]));
  const gateway = getUsageServer(plans);
  const gatewayEndpoint = await gateway.start();
  // The job's calls pass through recording proxies (recording-proxy.ts) on their way to moto and the stand-in.
  const motoProxy = await startRecordingProxy(motoEndpoint);
  const gatewayProxy = await startRecordingProxy(gatewayEndpoint);
  const started = new Date();
  const months = scheduledMonths(started);
  const invoiceDir = join(workDir, 'invoices');
  mkdirSync(invoiceDir, { recursive: true });
  let invoiceLines = 0;
  try {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(childEnv)) if (name.startsWith('AWS_')) delete childEnv[name];
    Object.assign(childEnv, {
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
      AWS_REGION: env.region,
      AWS_DEFAULT_REGION: env.region,
      AWS_ENDPOINT_URL: motoProxy.endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: gatewayProxy.endpoint,
    });
    for (const month of months) {
      const invoice = join(invoiceDir, `invoice-${env.name}-${month}.csv`);
      const run = await runCli(['--engine', 'athena', '--env', env.name, '--month', month, '--format', 'table', '--invoice', invoice], childEnv);
      if (run.code !== 0) {
        const reason =
          run.stderr
            .trim()
            .split('\n')
            .filter((l) => !l.includes('NodeVersionSupportWarning'))
            .pop() ?? '';
        throw new Error(`usage job (${env.name}, ${month}) exited ${run.code}: ${reason}`);
      }
      if (!existsSync(invoice)) throw new Error(`usage job (${env.name}, ${month}) wrote no invoice file ${invoice}`);
      invoiceLines = readFileSync(invoice, 'utf8').trim().split('\n').length - 1;
    }
  } finally {
    await gateway.stop();
    await motoProxy.stop();
    await gatewayProxy.stop();
  }
  const ended = new Date();

  const start = floorToHour(started);
  const end = new Date(floorToHour(ended).getTime() + 3_600_000);
  const period = Math.round((end.getTime() - start.getTime()) / 1000);
  const namespace = metricsNamespace(env.name);
  const queries: MetricDataQuery[] = [
    { Id: 'heartbeat', MetricStat: { Metric: { Namespace: namespace, MetricName: METRICS.heartbeat.name }, Period: period, Stat: 'Sum' } },
    {
      Id: 'unattributed',
      MetricStat: { Metric: { Namespace: namespace, MetricName: METRICS.unattributedRequests.name }, Period: period, Stat: 'Maximum' },
    },
    ...customerIds.flatMap((id, i) =>
      [METRICS.quotaUsedPercent.name].map((metric, j) => ({
        Id: `k${i}m${j}`,
        Label: `${metric}/${id}`,
        MetricStat: {
          Metric: { Namespace: namespace, MetricName: metric, Dimensions: [{ Name: API_KEY_DIMENSION, Value: id }] },
          Period: period,
          Stat: 'Maximum',
        },
      })),
    ),
  ];
  const cw = awsClients(motoEndpoint, env.region).cloudWatch;
  const data = await cw.send(new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: queries }));
  const metrics: Record<string, number | undefined> = {};
  for (const q of queries) {
    const name = q.Label ?? q.MetricStat?.Metric?.MetricName ?? q.Id ?? '';
    metrics[name] = data.MetricDataResults?.find((r) => r.Id === q.Id)?.Values?.[0];
  }
  const calls = [...motoProxy.calls, ...gatewayProxy.calls];
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  writeFileSync(join(workDir, 'logs', 'usage-job.calls.json'), `${JSON.stringify(calls, null, 1)}\n`);
  return { months, invoiceLines, getUsageCalls: gateway.requests.length, metrics, calls };
}
