/**
 * One CloudWatch dashboard per environment: per-key month-to-date requests and quota percent,
 * bytes out, rejected requests, unattributed traffic, reconciliation gap, the job heartbeat, and
 * CloudFront's 4xx/5xx error rates. CloudFront metrics live in us-east-1 under AWS/CloudFront with
 * dimensions DistributionId and Region=Global
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html).
 * Dashboard body format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { API_KEY_DIMENSION, ENVIRONMENT_METRICS, PER_KEY_METRICS, metricsNamespace } from '../../../contracts/metrics';
import type { EnvironmentConfig } from '../../../config/types';
import { USAGE_JOB_PERIOD_SECONDS } from './alarms';

type MetricLine = readonly (string | { readonly label?: string; readonly stat?: string; readonly region?: string })[];

interface MetricWidget {
  readonly type: 'metric';
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: 'timeSeries' | 'singleValue';
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

export function dashboardBody(env: EnvironmentConfig, distributionId: string): string {
  const ns = metricsNamespace(env.name);
  const perKey = (metric: string): MetricLine[] => env.apiKeys.map((k) => [ns, metric, API_KEY_DIMENSION, k.id, { label: `${k.id} (${k.customer})` }]);
  const usage = (title: string, metrics: readonly MetricLine[], extra: Partial<MetricWidget['properties']> = {}): MetricWidget => ({
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
  const widgets: (MetricWidget | TextWidget)[] = [
    {
      type: 'text',
      width: 24,
      height: 2,
      properties: {
        markdown:
          `## Usage billing: ${env.name}\nMonth-to-date figures published hourly by the usage job from CloudFront logs (gauges: Maximum per hour). ` +
          `Quota alarms at ${env.alarms.quotaPercentThresholds.join(' % and ')} %.`,
      },
    },
    usage('Billable requests, month to date', perKey(PER_KEY_METRICS.billableRequests)),
    usage('Quota used (%)', perKey(PER_KEY_METRICS.quotaUsedPercent), {
      annotations: { horizontal: env.alarms.quotaPercentThresholds.map((t) => ({ value: t, label: `${t} %` })) },
    }),
    usage('Bytes out, month to date', perKey(PER_KEY_METRICS.bytesOut)),
    usage('Rejected requests (4xx), month to date', perKey(PER_KEY_METRICS.rejectedRequests)),
    usage(
      'Unattributed requests',
      [
        [ns, ENVIRONMENT_METRICS.unattributedRequests, { label: 'requests, month to date' }],
        [ns, ENVIRONMENT_METRICS.unattributedPercent, { label: '% of all requests' }],
      ],
      { annotations: { horizontal: [{ value: env.alarms.unattributedPercentThreshold, label: 'alarm (%)' }] } },
    ),
    usage('Reconciliation gap (logs minus API Gateway counters)', perKey(PER_KEY_METRICS.reconciliationGap)),
    usage('Usage job heartbeat (successful runs per hour)', [[ns, ENVIRONMENT_METRICS.heartbeat, { stat: 'Sum', label: 'runs' }]]),
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
