import { API_KEY_DIMENSION, ENVIRONMENT_METRICS, PER_KEY_METRICS, metricsNamespace } from '../../../contracts/metrics';
import { resourceNames } from '../../../contracts/resource-names';
import { platformConfig } from '../../../config/environments';
import { billingStackName } from '../../stack-names';
import { addressOf, asObject, onlyResource, resourcesOf, synthPlatform } from '../../testing/synth-platform';
import type { JsonObject } from '../../testing/synth-platform';
import { quotaAlarmName } from './alarms';

const stacks = synthPlatform(platformConfig, 'local');

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('monitoring of %s', (_name, env) => {
  const synth = stacks.get(billingStackName(env.name));
  if (!synth) throw new Error('missing stack');
  const names = resourceNames(env);
  const topicArn = `\${${addressOf(synth, 'aws_sns_topic')}.arn}`;
  const alarms = [...resourcesOf(synth, 'aws_cloudwatch_metric_alarm').values()];
  const alarm = (name: string): JsonObject => {
    const found = alarms.find((a) => a.alarm_name === name);
    if (!found) throw new Error(`no alarm ${name}`);
    return found;
  };

  it('has one SNS topic with the configured e-mail subscriptions', () => {
    expect(onlyResource(synth, 'aws_sns_topic').name).toBe(names.alarmTopic);
    const subs = [...resourcesOf(synth, 'aws_sns_topic_subscription').values()];
    expect(subs.map((s) => s.endpoint).sort()).toEqual([...env.alarms.emails].sort());
    for (const s of subs) expect(s).toMatchObject({ protocol: 'email', topic_arn: topicArn });
  });

  it('alarms per key at every configured quota percentage on the gauge Maximum', () => {
    for (const key of env.apiKeys) {
      for (const percent of env.alarms.quotaPercentThresholds) {
        const a = alarm(quotaAlarmName(env.prefix, key.id, percent));
        expect(a).toMatchObject({
          namespace: metricsNamespace(env.name),
          metric_name: PER_KEY_METRICS.quotaUsedPercent,
          dimensions: { [API_KEY_DIMENSION]: key.id },
          statistic: 'Maximum',
          threshold: percent,
          comparison_operator: 'GreaterThanOrEqualToThreshold',
          alarm_actions: [topicArn],
        });
        expect(String(a.alarm_description)).toContain(key.customer);
        expect(String(a.alarm_description).length).toBeLessThanOrEqual(1024);
      }
    }
    const quotaAlarms = alarms.filter((a) => a.metric_name === PER_KEY_METRICS.quotaUsedPercent);
    expect(quotaAlarms).toHaveLength(env.apiKeys.length * env.alarms.quotaPercentThresholds.length);
  });

  it('says what a breach means and what to do', () => {
    const key = env.apiKeys[0];
    expect(String(alarm(quotaAlarmName(env.prefix, key.id, 100)).alarm_description)).toMatch(/^BREACH .*429.*upgrade the plan/);
    expect(String(alarm(quotaAlarmName(env.prefix, key.id, 80)).alarm_description)).toMatch(/^WARNING /);
  });

  it('alarms on the unattributed share above the configured percentage', () => {
    expect(alarm(`${env.prefix}-unattributed-share`)).toMatchObject({
      metric_name: ENVIRONMENT_METRICS.unattributedPercent,
      threshold: env.alarms.unattributedPercentThreshold,
      comparison_operator: 'GreaterThanThreshold',
      statistic: 'Maximum',
    });
  });

  it('fires the heartbeat alarm when the hourly job misses two runs (missing data breaches)', () => {
    const a = alarm(`${env.prefix}-usage-job-heartbeat`);
    expect(a).toMatchObject({
      metric_name: ENVIRONMENT_METRICS.heartbeat,
      treat_missing_data: 'breaching',
      period: 3600,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      alarm_actions: [topicArn],
    });
    for (const other of alarms.filter((x) => x !== a)) expect(other.treat_missing_data).toBe('notBreaching');
  });

  describe('dashboard', () => {
    const board = onlyResource(synth, 'aws_cloudwatch_dashboard');
    const body = asObject(JSON.parse(String(board.dashboard_body)));
    const widgets = (body.widgets as JsonObject[]).filter((w) => w.type === 'metric').map((w) => asObject(w.properties));
    const metricsOf = (title: RegExp) => {
      const w = widgets.find((x) => title.test(String(x.title)));
      if (!w) throw new Error(`no widget ${title}`);
      return { widget: w, metrics: w.metrics as unknown[][] };
    };

    it('is named per environment', () => {
      expect(board.dashboard_name).toBe(names.dashboard);
    });

    it.each([
      [/^Billable requests/, PER_KEY_METRICS.billableRequests],
      [/^Quota used/, PER_KEY_METRICS.quotaUsedPercent],
      [/^Bytes out/, PER_KEY_METRICS.bytesOut],
      [/^Reconciliation gap/, PER_KEY_METRICS.reconciliationGap],
    ])('plots %s per key', (title, metric) => {
      const { widget, metrics } = metricsOf(title);
      expect(widget.region).toBe(env.region);
      expect(metrics.map((m) => m.slice(0, 4))).toEqual(env.apiKeys.map((k) => [metricsNamespace(env.name), metric, API_KEY_DIMENSION, k.id]));
    });

    it('plots unattributed traffic and the heartbeat', () => {
      expect(metricsOf(/^Unattributed/).metrics.map((m) => m[1])).toEqual([ENVIRONMENT_METRICS.unattributedRequests, ENVIRONMENT_METRICS.unattributedPercent]);
      expect(metricsOf(/heartbeat/).metrics.map((m) => m[1])).toEqual([ENVIRONMENT_METRICS.heartbeat]);
    });

    it('plots CloudFront 4xx/5xx rates from us-east-1 with Region=Global', () => {
      const { widget, metrics } = metricsOf(/^CloudFront error rates/);
      expect(widget.region).toBe('us-east-1');
      const dist = `\${${addressOf(synth, 'aws_cloudfront_distribution')}.id}`;
      expect(metrics.map((m) => m.slice(0, 6))).toEqual([
        ['AWS/CloudFront', '4xxErrorRate', 'DistributionId', dist, 'Region', 'Global'],
        ['AWS/CloudFront', '5xxErrorRate', 'DistributionId', dist, 'Region', 'Global'],
      ]);
    });
  });
});
