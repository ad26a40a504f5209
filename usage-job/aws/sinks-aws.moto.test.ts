/**
 * The billing sinks' AWS side against moto: an Athena run's ledger store is the usage bucket's
 * sinks/<env>/ prefix, and CloudWatch accepts and returns the per-sink metrics and the heartbeat's
 * UsageJobSinksPartial (what the alarms and the dashboard read).
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { METRICS, metricsNamespace, SINK_DIMENSION } from '../../contracts/metrics';
import { useMotoServer } from '../../test-support/moto-server';
import { findEnvironment } from '../cli';
import { publishRun } from '../publish-run';
import type { SinkReport } from '../sinks/sink';
import { athenaClient, cloudWatchClient, s3Client } from './clients';
import { cloudWatchUsagePublisher, createAwsUsageBackend } from './index';
import { createUsageJobEnvironment } from './testing/usage-job-environment';

const moto = useMotoServer();
const dev = findEnvironment('dev');

it('an Athena run keeps the sink ledgers in the usage bucket under sinks/<environment>/', async () => {
  const conn = { region: dev.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials };
  const names = await createUsageJobEnvironment({ s3: s3Client(conn), athena: athenaClient(conn) }, dev, 'E6SINKS', []);
  const backend = await createAwsUsageBackend({ env: dev, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
  const revision = await backend.sinkLedgers.write('stripe', '2026-11', { hours: { 'acme|2026-11-20T05': 3 } }, undefined);
  expect(backend.sinkLedgers.location('stripe', '2026-11')).toBe(`s3://${names.usageBucket}/sinks/dev/stripe/2026-11.json`);
  const object = await s3Client(conn).send(new GetObjectCommand({ Bucket: names.usageBucket, Key: 'sinks/dev/stripe/2026-11.json' }));
  expect(object.ETag).toBe(revision);
  expect(JSON.parse(await object.Body!.transformToString())).toEqual({ hours: { 'acme|2026-11-20T05': 3 } });
});

it('CloudWatch returns each sink its hours behind and problems, and the heartbeat partial, at the run hour', async () => {
  const now = new Date();
  const runHour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const oldest = new Date(runHour.getTime() - 30 * 3_600_000).toISOString().slice(0, 13);
  const environment = 'sinkmetrics';
  const connection = { region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials };
  const reports: SinkReport[] = [
    {
      sink: 'stripe',
      outcome: 'partial',
      sent: 4,
      unchanged: 10,
      problems: [{ customerId: 'globex', message: 'no Stripe customer id' }],
      oldestUnreportedHour: oldest,
    },
    { sink: 'marketplace', outcome: 'ok', sent: 2, unchanged: 0, problems: [], oldestUnreportedHour: null },
  ];
  const ledger = { location: 'memory', recorded: async () => new Set<string>(), record: async () => undefined };
  await publishRun({
    usage: { month: now.toISOString().slice(0, 7), keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
    env: { name: environment, alarms: dev.alarms, monitoring: dev.monitoring },
    now,
    publishing: {
      publisher: cloudWatchUsagePublisher({ environment, connection }),
      noticeSender: { batchSize: 10, send: async () => ({ accepted: [], failed: [] }) },
      noticeLedger: ledger,
    },
    sinkReports: reports,
  });

  const query = (id: string, metric: string, sink?: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: metricsNamespace(environment),
        MetricName: metric,
        ...(sink !== undefined ? { Dimensions: [{ Name: SINK_DIMENSION, Value: sink }] } : {}),
      },
      Period: 3600,
      Stat: 'Maximum',
    },
  });
  const out = await cloudWatchClient(connection).send(
    new GetMetricDataCommand({
      MetricDataQueries: [
        query('stripebehind', METRICS.sinkHoursBehind.name, 'stripe'),
        query('marketbehind', METRICS.sinkHoursBehind.name, 'marketplace'),
        query('stripeproblems', METRICS.sinkProblems.name, 'stripe'),
        query('partial', METRICS.sinksPartial.name),
        query('heartbeat', METRICS.heartbeat.name),
      ],
      StartTime: new Date(runHour.getTime() - 1_800_000),
      EndTime: new Date(runHour.getTime() + 3_600_000),
    }),
  );
  const values = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r.Values]));
  expect(values).toEqual({ stripebehind: [30], marketbehind: [0], stripeproblems: [1], partial: [1], heartbeat: [1] });
});
