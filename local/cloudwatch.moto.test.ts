/**
 * `npm start -- --cloudwatch-endpoint URL` against moto in server mode: after a usage run the
 * platform's month-to-date figures are in CloudWatch under the usage job's metric names.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { API_KEY_DIMENSION, metricsNamespace, PER_KEY_METRICS } from '../contracts/metrics';
import { platformConfig } from '../config/environments';
import { useMotoServer } from '../test-support/moto-server';
import { removeTempDirs, startPlatformProcess, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(120_000);

const moto = useMotoServer();
let platform: PlatformProcess;

afterAll(async () => {
  if (platform !== undefined && platform.child.exitCode === null) expect(await platform.stop('SIGTERM')).toBe(0);
  removeTempDirs();
});

test('usage runs publish per-key month-to-date metrics to the endpoint', async () => {
  platform = await startPlatformProcess({ args: ['--cloudwatch-endpoint', moto.endpoint], env: { LOCAL_USAGE_MS: '60000' } });
  expect(platform.stdout()).toContain(`metrics published to ${moto.endpoint}`);
  const key = platform.keys.find((k) => k.id === 'acme')!.value;
  for (let i = 0; i < 4; i++) expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': key } })).status).toBe(200);
  const usage = (await (await fetch(`${platform.url}/_usage.json?refresh=1`)).json()) as { keys: { id: string; requests: number }[] };
  expect(usage.keys.find((k) => k.id === 'acme')!.requests).toBe(4);

  const cloudwatch = new CloudWatchClient({ ...moto.clientConfig(platformConfig.local.region), protocol: AwsQueryProtocol });
  const now = Date.now();
  const stats = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: metricsNamespace('local'),
      MetricName: PER_KEY_METRICS.billableRequests,
      Dimensions: [{ Name: API_KEY_DIMENSION, Value: 'acme' }],
      StartTime: new Date(now - 3 * 3_600_000),
      EndTime: new Date(now + 3_600_000),
      Period: 3600,
      Statistics: ['Maximum'],
    }),
  );
  expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([4]);
  expect(platform.stderr()).not.toContain('publishing metrics failed');
});
