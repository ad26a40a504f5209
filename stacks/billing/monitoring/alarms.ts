/**
 * Alarms on the usage job's metrics (contracts/metrics.ts), all to one SNS topic per
 * environment (optional e-mail subscriptions from config):
 * - per key and configured threshold, QuotaUsedPercent (a month-to-date gauge; Maximum, so a rerun
 *   that re-puts the same value cannot inflate it) at or above the threshold;
 * - UnattributedPercent above the configured share;
 * - UsageJobHeartbeat missing for two hourly periods (missing data is breaching).
 * Descriptions say what the alarm means and what to do (limit 1024 characters).
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { API_KEY_DIMENSION, ENVIRONMENT_METRICS, PER_KEY_METRICS, metricsNamespace } from '../../../contracts/metrics';
import { resourceNames } from '../../../contracts/resource-names';
import type { EnvironmentConfig } from '../../../config/types';

/** The usage job runs hourly; gauges are evaluated per hour. */
export const USAGE_JOB_PERIOD_SECONDS = 3600;
/** Heartbeat alarm fires after this many hourly periods without a successful run. */
export const HEARTBEAT_MISSED_PERIODS = 2;

export function quotaAlarmName(prefix: string, keyId: string, percent: number): string {
  return `${prefix}-quota-${keyId}-${percent}pct`;
}

export class UsageAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: { readonly env: EnvironmentConfig; readonly topicName: string; readonly workgroupName: string }) {
    super(scope, id);
    const { env } = props;
    const namespace = metricsNamespace(env.name);
    this.topic = new SnsTopic(this, 'topic', { name: props.topicName, displayName: `Usage billing alarms (${env.name})` });
    env.alarms.emails.forEach((email, i) => {
      new SnsTopicSubscription(this, `email-${i}`, { topicArn: this.topic.arn, protocol: 'email', endpoint: email });
    });
    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    const thresholds = env.alarms.quotaPercentThresholds;
    const top = thresholds[thresholds.length - 1];

    for (const key of env.apiKeys) {
      const plan = env.usagePlans[key.plan];
      for (const percent of thresholds) {
        const breach = percent >= 100;
        const what = breach
          ? `API Gateway now answers this key with 429 (quota exceeded) until the quota resets on the 1st (UTC). Contact the customer: upgrade the plan (apiKeys[].plan in config/environments.ts) or agree to wait.`
          : `At 100 % API Gateway will answer this key with 429 until the month ends. Tell the customer's account owner; consider a larger plan before the quota runs out.`;
        this.alarms.push(
          new CloudwatchMetricAlarm(this, `quota-${key.id}-${percent}`, {
            alarmName: quotaAlarmName(env.prefix, key.id, percent),
            alarmDescription:
              `${breach ? 'BREACH' : 'WARNING'} (${env.name}): ${key.customer} (key ${key.id}, plan ${key.plan}, ${plan.monthlyQuota} requests a month) ` +
              `has used ${percent} % or more of its monthly quota, month to date, from CloudFront logs. ${what} ` +
              `Dashboard: per-key quota panel. ${percent === top ? '' : 'A higher threshold alarm follows.'}`.trim(),
            namespace,
            metricName: PER_KEY_METRICS.quotaUsedPercent,
            dimensions: { [API_KEY_DIMENSION]: key.id },
            statistic: 'Maximum',
            period: USAGE_JOB_PERIOD_SECONDS,
            evaluationPeriods: 1,
            threshold: percent,
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            // No data means no run this hour; the heartbeat alarm covers that.
            treatMissingData: 'notBreaching',
            ...actions,
          }),
        );
      }
    }

    this.alarms.push(
      new CloudwatchMetricAlarm(this, 'unattributed', {
        alarmName: `${env.prefix}-unattributed-share`,
        alarmDescription:
          `More than ${env.alarms.unattributedPercentThreshold} % of this month's requests in ${env.name} carry no known key fingerprint (log field viewer_request_log_data), so they are never billed. ` +
          `Usual causes: keys created outside Terraform, a stale usage-job deployment file (config/usage-job.json in the usage bucket; re-apply the stack), traffic rejected at the edge (missing/malformed keys, 403); ` +
          `if nearly every request is unattributed, the log delivery does not select viewer-request-log-data or the edge function is not attached. ` +
          `Check the dashboard's unattributed panel, then query the log table for recent requests whose viewer_request_log_data is '-' or empty.`,
        namespace,
        metricName: ENVIRONMENT_METRICS.unattributedPercent,
        statistic: 'Maximum',
        period: USAGE_JOB_PERIOD_SECONDS,
        evaluationPeriods: 1,
        threshold: env.alarms.unattributedPercentThreshold,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        ...actions,
      }),
    );

    this.alarms.push(
      new CloudwatchMetricAlarm(this, 'heartbeat', {
        alarmName: `${env.prefix}-usage-job-heartbeat`,
        alarmDescription:
          `The usage job of ${env.name} has not completed a run for ${HEARTBEAT_MISSED_PERIODS} hours: usage metrics, quota alarms and invoice data are going stale. ` +
          `Check the runs of the GitHub Actions workflow "usage", job "usage ${env.name}" (failed runs, disabled schedule, missing AWS_USAGE_ROLE_ARN_* variable, OIDC trust), then Athena (workgroup ${props.workgroupName}: failed or cancelled queries, bytes-scanned cutoff). ` +
          `A rerun is safe: it recomputes the late window and never double counts. ` +
          `To finish a month the job missed: once ${env.usageJob.lateWindowHours} h past its end, run gh workflow run usage -f environment=${env.name} -f month=YYYY-MM; ` +
          `its final invoice lines land in s3://${resourceNames(env).usageBucket}/invoices/${env.name}/YYYY-MM/.`,
        namespace,
        metricName: ENVIRONMENT_METRICS.heartbeat,
        statistic: 'Sum',
        period: USAGE_JOB_PERIOD_SECONDS,
        evaluationPeriods: HEARTBEAT_MISSED_PERIODS,
        datapointsToAlarm: HEARTBEAT_MISSED_PERIODS,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
        ...actions,
      }),
    );
  }
}
