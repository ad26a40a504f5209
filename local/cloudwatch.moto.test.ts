/**
 * `npm start -- --cloudwatch-endpoint URL` against moto in server mode: after a usage run the
 * platform's month-to-date figures are in CloudWatch under the usage job's metric names.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { API_KEY_DIMENSION, METRICS, metricsNamespace } from '../contracts/metrics';
import { platformConfig } from '../config/environments';
import { useMotoServer } from '../test-support/moto-server';
import { LOCAL_SEED_KEYS } from './seed-keys';
import { removeTempDirs, startPlatformProcess, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(120_000);

const moto = useMotoServer();
let platform: PlatformProcess;

afterAll(async () => {
  if (platform !== undefined && platform.child.exitCode === null) expect(await platform.stop('SIGTERM')).toBe(0);
  removeTempDirs();
});

test("usage runs publish the usage job's metrics to the endpoint", async () => {
  platform = await startPlatformProcess({ args: ['--cloudwatch-endpoint', moto.endpoint], env: { LOCAL_USAGE_MS: '60000' } });
  expect(platform.stdout()).toContain(`metrics published to ${moto.endpoint}`);
  const key = platform.keys.find((k) => k.id === 'acme')!.value;
  for (let i = 0; i < 4; i++) expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': key } })).status).toBe(200);
  const usage = (await (await fetch(`${platform.url}/_usage.json?refresh=1`)).json()) as { keys: { id: string; requests: number }[] };
  expect(usage.keys.find((k) => k.id === 'acme')!.requests).toBe(4);

  const cloudwatch = new CloudWatchClient({ ...moto.clientConfig(platformConfig.local.region), protocol: AwsQueryProtocol });
  const now = Date.now();
  const maximum = async (metric: string, dimensions: { Name: string; Value: string }[] = []) =>
    (
      await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: metricsNamespace('local'),
          MetricName: metric,
          Dimensions: dimensions,
          StartTime: new Date(now - 3 * 3_600_000),
          EndTime: new Date(now + 3_600_000),
          Period: 3600,
          Statistics: ['Maximum'],
        }),
      )
    ).Datapoints?.map((d) => d.Maximum);
  const quota = platformConfig.local.usagePlans[LOCAL_SEED_KEYS.find((k) => k.id === 'acme')!.plan].monthlyQuota;
  expect(await maximum(METRICS.quotaUsedPercent.name, [{ Name: API_KEY_DIMENSION, Value: 'acme' }])).toEqual([(100 * 4) / quota]);
  expect(await maximum(METRICS.billableRequests.name)).toEqual([4]);
  expect(platform.stderr()).not.toContain('publishing metrics failed');
});
