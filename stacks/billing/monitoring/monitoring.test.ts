import { API_KEY_DIMENSION, METRIC_IDS, METRICS, metricsNamespace, THRESHOLD_DIMENSION, type MetricDefinition } from '../../../contracts/metrics';
import { resourceNames } from '../../../contracts/resource-names';
import { platformConfig } from '../../../config/environments';
import { configuredSinkNames } from '../../../config/sinks';
import { billingStackName } from '../../stack-names';
import { addressOf, asObject, onlyResource, resourcesOf, synthPlatform } from '../../testing/synth-platform';
import type { JsonObject } from '../../testing/synth-platform';
import { quotaAlarmName } from './alarms';
import { perSinkQuery, topKeysQuery } from './dashboard';
import { noticeRuleName } from './notice-route';
import { QUOTA_NOTICE_DETAIL_TYPE, quotaNoticeSource } from '../../../contracts/quota-notice';

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

  it('alarms once per configured quota threshold (not per key) on the notices the job sent', () => {
    for (const percent of env.alarms.quotaPercentThresholds) {
      const a = alarm(quotaAlarmName(env.prefix, percent));
      expect(a).toMatchObject({
        namespace: metricsNamespace(env.name),
        metric_name: METRICS.quotaNoticesSent.name,
        dimensions: { [THRESHOLD_DIMENSION]: String(percent) },
        statistic: 'Maximum',
        threshold: 1,
        comparison_operator: 'GreaterThanOrEqualToThreshold',
        alarm_actions: [topicArn],
        treat_missing_data: 'notBreaching',
      });
      expect(a.ok_actions).toBeUndefined();
      expect(String(a.alarm_description).length).toBeLessThanOrEqual(1024);
      expect(String(a.alarm_description)).toContain(`Which keys, by name: the "Quota notice" messages on this topic`);
      expect(String(a.alarm_description)).toContain(noticeRuleName(env.prefix));
    }
    expect(alarms).toHaveLength(env.alarms.quotaPercentThresholds.length + 3 + configuredSinkNames(env).length);
  });

  it('sends every quota notice to the alarm topic as one line naming customer, key, threshold, month and noticeId', () => {
    const rule = onlyResource(synth, 'aws_cloudwatch_event_rule');
    expect(rule.name).toBe(noticeRuleName(env.prefix));
    expect(rule.event_bus_name).toBe('default');
    expect(JSON.parse(String(rule.event_pattern))).toEqual({ source: [quotaNoticeSource(env.prefix)], 'detail-type': [QUOTA_NOTICE_DETAIL_TYPE] });
    const ruleRef = addressOf(synth, 'aws_cloudwatch_event_rule');
    const target = onlyResource(synth, 'aws_cloudwatch_event_target');
    expect(target).toMatchObject({ rule: `\${${ruleRef}.name}`, arn: topicArn, event_bus_name: 'default' });
    const transformer = asObject(target.input_transformer);
    const paths = asObject(transformer.input_paths);
    const template = String(transformer.input_template);
    for (const field of ['customer', 'keyId', 'thresholdPercent', 'month', 'noticeId']) {
      expect(paths[field]).toBe(`$.detail.${field}`);
      expect(template).toContain(`<${field}>`);
    }
    expect(template).not.toContain('\n');
    // What SNS would send for a notice (EventBridge substitutes each <name>).
    const detail: Record<string, unknown> = {
      customer: 'Acme Corp',
      keyId: 'acme',
      thresholdPercent: 80,
      quotaUsedPercent: 81.2,
      month: '2026-11',
      noticeId: 'prod:acme:2026-11:80',
    };
    expect(template.replace(/<(\w+)>/g, (_m, k: string) => String(detail[k]))).toBe(
      `Quota notice (${env.name}): Acme Corp (key acme) reached 80 % of its 2026-11 quota (81.2 % used), noticeId prod:acme:2026-11:80`,
    );
  });

  it('lets EventBridge publish to the topic for the notice rule only, and the alarms still publish', () => {
    const policyResource = onlyResource(synth, 'aws_sns_topic_policy');
    expect(policyResource.arn).toBe(topicArn);
    const statements = asObject(JSON.parse(String(policyResource.policy))).Statement as JsonObject[];
    const events = statements.filter((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(events).toEqual([
      {
        Sid: 'QuotaNoticeRulePublishes',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: { ArnEquals: { 'aws:SourceArn': `\${${addressOf(synth, 'aws_cloudwatch_event_rule')}.arn}` } },
      },
    ]);
    const alarmsPublish = statements.find((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(alarmsPublish).toMatchObject({ Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': env.accountId } } });
  });

  it('says what a breach means and what to do', () => {
    expect(String(alarm(quotaAlarmName(env.prefix, 100)).alarm_description)).toMatch(/^BREACH .*429.*a larger plan: npm run --silent keys -- set-plan ID PLAN/);
    expect(String(alarm(quotaAlarmName(env.prefix, 100)).alarm_description)).toContain('a key can get 429 a little before 100 %');
    expect(String(alarm(quotaAlarmName(env.prefix, 80)).alarm_description)).toMatch(/^WARNING /);
  });

  it('alarms on the unattributed share above the configured percentage', () => {
    expect(alarm(`${env.prefix}-unattributed-share`)).toMatchObject({
      metric_name: METRICS.unattributedPercent.name,
      threshold: env.alarms.unattributedPercentThreshold,
      comparison_operator: 'GreaterThanThreshold',
      statistic: 'Maximum',
    });
  });

  it('alarms when logs fall short of API Gateway by more than the configured share for three hourly runs', () => {
    const a = alarm(`${env.prefix}-log-shortfall`);
    expect(a).toMatchObject({
      metric_name: METRICS.logShortfallPercent.name,
      threshold: env.monitoring.logShortfallPercentThreshold,
      comparison_operator: 'GreaterThanThreshold',
      statistic: 'Maximum',
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      alarm_actions: [topicArn],
    });
    expect(String(a.alarm_description)).toContain('46328');
    expect(String(a.alarm_description).length).toBeLessThanOrEqual(1024);
  });

  it('fires the heartbeat alarm when the hourly job misses two runs (missing data breaches)', () => {
    const a = alarm(`${env.prefix}-usage-job-heartbeat`);
    expect(a).toMatchObject({
      metric_name: METRICS.heartbeat.name,
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
    const metricsOf = (title: string) => {
      const w = widgets.find((x) => x.title === title);
      if (!w) throw new Error(`no widget ${title}`);
      return { widget: w, metrics: w.metrics as unknown[][] };
    };

    it('is named per environment', () => {
      expect(board.dashboard_name).toBe(names.dashboard);
    });

    it('plots every metric of the table in the widget its entry names (none is marked not plotted)', () => {
      for (const id of METRIC_IDS) {
        const where = METRICS[id].dashboard as MetricDefinition['dashboard'];
        if (!('widget' in where)) throw new Error(`${METRICS[id].name} is not plotted: ${where.notPlotted}`);
        const { widget, metrics } = metricsOf(where.widget);
        expect(widget.region).toBe(env.region);
        if (METRICS[id].scope === 'key') {
          expect(metrics).toEqual([[{ expression: topKeysQuery(env.name, env.monitoring.dashboardTopKeys), label: 'quota used', id: 'top' }]]);
        } else if (METRICS[id].scope === 'sink') {
          const queries = metrics.map((m) => asObject(m[0]).expression);
          expect(queries).toContain(perSinkQuery(env.name, id as 'sinkHoursBehind' | 'sinkProblems'));
        } else {
          const lines = metrics.filter((m) => m[0] === metricsNamespace(env.name) && m[1] === METRICS[id].name);
          expect(lines).toHaveLength(METRICS[id].scope === 'threshold' ? env.alarms.quotaPercentThresholds.length : 1);
        }
      }
    });

    it('lists the keys nearest their quota with one Metrics Insights query, whatever the number of keys', () => {
      expect(topKeysQuery('prod', 20)).toBe(
        `SELECT MAX(QuotaUsedPercent) FROM SCHEMA("UsageBilling/prod", ${API_KEY_DIMENSION}) GROUP BY ${API_KEY_DIMENSION} ORDER BY MAX() DESC LIMIT 20`,
      );
      const lines = widgets.flatMap((w) => w.metrics as unknown[][]);
      expect(lines.some((m) => m.includes(API_KEY_DIMENSION))).toBe(false); // no per-key line anywhere
    });

    it('plots CloudFront 4xx/5xx rates from us-east-1 with Region=Global', () => {
      const { widget, metrics } = metricsOf('CloudFront error rates (%)');
      expect(widget.region).toBe('us-east-1');
      const dist = `\${${addressOf(synth, 'aws_cloudfront_distribution')}.id}`;
      expect(metrics.map((m) => m.slice(0, 6))).toEqual([
        ['AWS/CloudFront', '4xxErrorRate', 'DistributionId', dist, 'Region', 'Global'],
        ['AWS/CloudFront', '5xxErrorRate', 'DistributionId', dist, 'Region', 'Global'],
      ]);
    });
  });
});
