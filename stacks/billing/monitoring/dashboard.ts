/**
 * One CloudWatch dashboard per environment with a fixed set of widgets, whatever the number of
 * keys (docs/monitoring.md): environment totals, per-threshold key counts, and the keys nearest
 * their quota through one Metrics Insights query (GROUP BY ApiKeyId ORDER BY MAX() DESC LIMIT N),
 * which reads the per-key metric of every published key (a query processes up to 10,000 metrics
 * and returns up to 500 series; API Gateway allows 10,000 keys per account and Region). Every
 * metric comes from the table in contracts/metrics.ts, each plotted in the widget its entry names.
 * CloudFront metrics live in us-east-1 under AWS/CloudFront with dimensions DistributionId and
 * Region=Global (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html).
 * Dashboard body format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { API_KEY_DIMENSION, METRICS, metricsNamespace, SINK_DIMENSION, THRESHOLD_DIMENSION, type MetricId } from '../../../contracts/metrics';
import { QUOTA_NOTICE_DETAIL_TYPE, quotaNoticeSource } from '../../../contracts/quota-notice';
import type { EnvironmentConfig } from '../../../config/types';
import { USAGE_JOB_PERIOD_SECONDS } from './alarms';

type MetricOptions = { readonly label?: string; readonly stat?: string; readonly region?: string; readonly expression?: string; readonly id?: string };
type MetricLine = readonly (string | MetricOptions)[];

interface MetricWidget {
  readonly type: 'metric';
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: 'timeSeries' | 'singleValue' | 'bar';
    readonly stat: string;
    readonly period: number;
    readonly metrics: readonly MetricLine[];
    readonly annotations?: { readonly horizontal: readonly { readonly value: number; readonly label: string }[] };
    readonly yAxis?: { readonly left: { readonly min: number } };
  };
}

interface TextWidget {
  readonly type: 'text';
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly markdown: string };
}

/** The Metrics Insights query of the "nearest their quota" widget. */
export function topKeysQuery(environment: string, limit: number): string {
  return (
    `SELECT MAX(${METRICS.quotaUsedPercent.name}) FROM SCHEMA("${metricsNamespace(environment)}", ${API_KEY_DIMENSION}) ` +
    `GROUP BY ${API_KEY_DIMENSION} ORDER BY MAX() DESC LIMIT ${limit}`
  );
}

/** A Metrics Insights query over every billing sink's series of a per-sink metric: the widget needs no change when sinks are configured. */
export function perSinkQuery(environment: string, id: 'sinkHoursBehind' | 'sinkProblems'): string {
  return `SELECT MAX(${METRICS[id].name}) FROM SCHEMA("${metricsNamespace(environment)}", ${SINK_DIMENSION}) GROUP BY ${SINK_DIMENSION}`;
}

/** Widget title of a table entry that is plotted. */
function widgetOf(id: MetricId): string {
  const where = METRICS[id].dashboard;
  if (!('widget' in where)) throw new Error(`metric ${METRICS[id].name} is marked not plotted`);
  return where.widget;
}

export function dashboardBody(env: EnvironmentConfig, distributionId: string): string {
  const ns = metricsNamespace(env.name);
  const thresholds = env.alarms.quotaPercentThresholds;
  const line = (id: MetricId, label: string, dimension?: readonly [string, string]): MetricLine => [
    ns,
    METRICS[id].name,
    ...(dimension ?? []),
    { label, stat: METRICS[id].statistic },
  ];
  const widget = (title: string, metrics: readonly MetricLine[], extra: Partial<MetricWidget['properties']> = {}): MetricWidget => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: {
      title,
      region: env.region,
      view: 'timeSeries',
      stat: 'Maximum',
      period: USAGE_JOB_PERIOD_SECONDS,
      metrics,
      yAxis: { left: { min: 0 } },
      ...extra,
    },
  });
  const perKey = env.monitoring.perKeyMetrics;
  const topKeys = env.monitoring.dashboardTopKeys;
  const perThreshold = (id: MetricId, label: (t: number) => string): MetricLine[] =>
    thresholds.map((t) => line(id, label(t), [THRESHOLD_DIMENSION, String(t)]));

  const widgets: (MetricWidget | TextWidget)[] = [
    {
      type: 'text',
      width: 24,
      height: 3,
      properties: {
        markdown:
          `## Usage billing: ${env.name}\n` +
          `Month-to-date figures published hourly by the usage job from CloudFront logs (gauges: Maximum per hour). Quota thresholds: ${thresholds.map((t) => `${t} %`).join(', ')}. ` +
          `Per-key metric: ${perKey.mode === 'all' ? 'every key' : `the ${perKey.keys} keys nearest their quota each hour`}. ` +
          `Keys that crossed a threshold, by name: quota notices (EventBridge default bus, source \`${quotaNoticeSource(env.prefix)}\`, detail-type "${QUOTA_NOTICE_DETAIL_TYPE}"), ` +
          `the widget below, or \`npm run usage -- --engine athena --env ${env.name} --month YYYY-MM --dry-run --format table\`. Per-key history: the hourly rollups in the usage bucket (docs/monitoring.md).`,
      },
    },
    widget(widgetOf('quotaUsedPercent'), [[{ expression: topKeysQuery(env.name, topKeys), label: 'quota used', id: 'top' }]], {
      annotations: { horizontal: thresholds.map((t) => ({ value: t, label: `${t} %` })) },
    }),
    widget(widgetOf('keysAtThreshold'), [
      ...perThreshold('keysAtThreshold', (t) => `keys at or over ${t} %`),
      ...perThreshold('quotaNoticesSent', (t) => `notices sent this hour, ${t} %`),
    ]),
    widget(widgetOf('billableRequests'), [line('billableRequests', 'billable (200-399)'), line('rejectedRequests', 'rejected (4xx)')]),
    widget(widgetOf('bytesOut'), [line('bytesOut', 'bytes out')]),
    widget(widgetOf('unattributedRequests'), [line('unattributedRequests', 'requests, month to date'), line('unattributedPercent', '% of all requests')], {
      annotations: { horizontal: [{ value: env.alarms.unattributedPercentThreshold, label: 'alarm (%)' }] },
    }),
    widget(widgetOf('logShortfallPercent'), [line('logShortfallPercent', "% of API Gateway's requests missing from the logs (last complete day)")], {
      annotations: { horizontal: [{ value: env.monitoring.logShortfallPercentThreshold, label: 'alarm (%)' }] },
    }),
    widget(widgetOf('heartbeat'), [line('heartbeat', 'runs'), line('sinksPartial', 'a billing sink partial (1)')]),
    widget(
      widgetOf('sinkHoursBehind'),
      [
        [{ expression: perSinkQuery(env.name, 'sinkHoursBehind'), label: 'hours behind', id: 'behind' }],
        [{ expression: perSinkQuery(env.name, 'sinkProblems'), label: 'problems', id: 'problems' }],
      ],
      { annotations: { horizontal: [{ value: env.monitoring.sinkHoursBehindThreshold, label: 'alarm (hours behind)' }] } },
    ),
    {
      type: 'metric',
      width: 12,
      height: 6,
      properties: {
        title: 'CloudFront error rates (%)',
        region: 'us-east-1',
        view: 'timeSeries',
        stat: 'Average',
        period: 300,
        metrics: [
          ['AWS/CloudFront', '4xxErrorRate', 'DistributionId', distributionId, 'Region', 'Global', { label: '4xx' }],
          ['AWS/CloudFront', '5xxErrorRate', 'DistributionId', distributionId, 'Region', 'Global', { label: '5xx' }],
        ],
        yAxis: { left: { min: 0 } },
      },
    },
  ];
  return JSON.stringify({ widgets });
}

export class UsageDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: { readonly env: EnvironmentConfig; readonly name: string; readonly distributionId: string }) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.name,
      dashboardBody: dashboardBody(props.env, props.distributionId),
    });
  }
}
