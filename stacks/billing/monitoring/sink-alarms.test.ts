/** Per configured billing sink a "behind" alarm (SinkHoursBehind) and a "problems" alarm (SinkProblems > 0); none without sinks. */
import { Testing } from 'cdktf';
import { platformConfig } from '../../../config/environments';
import type { EnvironmentConfig, SinksConfig } from '../../../config/types';
import { METRICS, metricsNamespace, SINK_DIMENSION } from '../../../contracts/metrics';
import { MAX_ENVIRONMENT_NAME_LENGTH } from '../../../contracts/name-rules';
import { asObject, type JsonObject } from '../../testing/synth-platform';
import { sinkBehindAlarmName, sinkProblemsAlarmName, UsageAlarms } from './alarms';
import { perSinkQuery } from './dashboard';

const prod = platformConfig.environments.find((e) => e.name === 'prod')!;

/** The alarms UsageAlarms synthesizes for `env` (the construct alone: SinksConfig has no member the validated config could set yet). */
function alarmsOf(env: EnvironmentConfig): JsonObject[] {
  const json = asObject(JSON.parse(Testing.synthScope((scope) => new UsageAlarms(scope, 'alarms', { env, topicName: 'topic', workgroupName: 'wg' }))));
  return Object.values(asObject(asObject(json.resource).aws_cloudwatch_metric_alarm ?? {})).map((a) => asObject(a));
}

const sinkAlarms = (alarms: JsonObject[]) => alarms.filter((a) => a.metric_name === METRICS.sinkHoursBehind.name);
const problemAlarms = (alarms: JsonObject[]) => alarms.filter((a) => a.metric_name === METRICS.sinkProblems.name);

it('puts no sink alarm on an environment without billing sinks', () => {
  expect(sinkAlarms(alarmsOf(prod))).toEqual([]);
  expect(problemAlarms(alarmsOf(prod))).toEqual([]);
});

it('puts one problems alarm per configured sink: any problem in a run (a Stripe reconciliation mismatch included) alarms', () => {
  const env: EnvironmentConfig = { ...prod, sinks: { stripe: {}, marketplace: {} } as SinksConfig };
  const alarms = problemAlarms(alarmsOf(env));
  expect(alarms.map((a) => [a.alarm_name, a.dimensions])).toEqual([
    [sinkProblemsAlarmName('ubb-prod', 'marketplace'), { [SINK_DIMENSION]: 'marketplace' }],
    [sinkProblemsAlarmName('ubb-prod', 'stripe'), { [SINK_DIMENSION]: 'stripe' }],
  ]);
  for (const a of alarms) {
    expect(a).toMatchObject({
      namespace: metricsNamespace('prod'),
      statistic: 'Maximum',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      evaluation_periods: 1,
      period: 3600,
      treat_missing_data: 'notBreaching',
    });
    expect(String(a.alarm_description).length).toBeLessThanOrEqual(1024);
    expect(String(a.alarm_description)).toContain('reconciliation mismatch');
  }
  expect(sinkProblemsAlarmName('ubb-prod', 'stripe')).toBe('ubb-prod-sink-stripe-problems');
});

it('puts one alarm per configured sink, on its own Sink dimension, at the configured hours behind', () => {
  const env: EnvironmentConfig = {
    ...prod,
    sinks: { stripe: {}, marketplace: {} } as SinksConfig,
    monitoring: { ...prod.monitoring, sinkHoursBehindThreshold: 4 },
  };
  const alarms = sinkAlarms(alarmsOf(env));
  expect(alarms.map((a) => [a.alarm_name, a.dimensions])).toEqual([
    [sinkBehindAlarmName('ubb-prod', 'marketplace'), { [SINK_DIMENSION]: 'marketplace' }],
    [sinkBehindAlarmName('ubb-prod', 'stripe'), { [SINK_DIMENSION]: 'stripe' }],
  ]);
  for (const a of alarms) {
    expect(a).toMatchObject({
      namespace: metricsNamespace('prod'),
      statistic: 'Maximum',
      threshold: 4,
      comparison_operator: 'GreaterThanThreshold',
      period: 3600,
      treat_missing_data: 'notBreaching',
    });
    const description = String(a.alarm_description);
    expect(description.length).toBeLessThanOrEqual(1024);
    expect(description).toContain(`sinks[] entry "${String(asObject(a.dimensions)[SINK_DIMENSION])}"`);
    // SinkHoursBehind also carries the open work of the two earlier months (usage-job/sinks/open-work.ts).
    expect(description).toContain('open work of the two months before');
    expect(description).toContain('is still open');
    expect(description).toContain('--acknowledge-open-work');
  }
  expect(sinkBehindAlarmName('ubb-prod', 'stripe')).toBe('ubb-prod-sink-stripe-behind');
});

it("keeps the behind alarm's description within CloudWatch's 1024 characters for the longest environment name", () => {
  const env: EnvironmentConfig = {
    ...prod,
    name: 'e'.repeat(MAX_ENVIRONMENT_NAME_LENGTH),
    sinks: { stripe: {}, marketplace: {} } as SinksConfig,
    monitoring: { ...prod.monitoring, sinkHoursBehindThreshold: 9999 },
  };
  const lengths = sinkAlarms(alarmsOf(env)).map((a) => String(a.alarm_description).length);
  expect(lengths).toHaveLength(2);
  expect(Math.max(...lengths)).toBeLessThanOrEqual(1024);
});

it('plots every sink with one query per metric, whatever sinks are configured', () => {
  expect(perSinkQuery('prod', 'sinkHoursBehind')).toBe('SELECT MAX(SinkHoursBehind) FROM SCHEMA("UsageBilling/prod", Sink) GROUP BY Sink');
});
