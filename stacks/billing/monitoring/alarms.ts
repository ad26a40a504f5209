/**
 * Alarms on the usage job's metrics (contracts/metrics.ts), all to one SNS topic per environment
 * (optional e-mail subscriptions from config). Their number does not depend on the number of keys
 * (docs/monitoring.md): per configured quota threshold one alarm, plus three, plus one per
 * configured billing sink.
 * - per threshold, QuotaNoticesSent >= 1: keys newly crossed the threshold this hour. Which keys,
 *   by name: the quota notices, which the rule in notice-route.ts forwards to the same topic, one
 *   message per key, threshold and month. Metrics Insights alarms with a
 *   contributor per key were not chosen: AWS bills them per metric the query analyzes, so they grow
 *   with the key count (docs/monitoring.md, "Why not one alarm contributor per key");
 * - UnattributedPercent above the configured share;
 * - LogShortfallPercent above the configured share for three hourly runs: logs stopped reaching
 *   the billing record (API Gateway metered more requests than the logs hold);
 * - UsageJobHeartbeat missing for two hourly periods (missing data is breaching);
 * - per configured billing sink (config sinks, docs/sinks.md), SinkHoursBehind of that sink above
 *   monitoring.sinkHoursBehindThreshold: the alarm's name says which sink is behind;
 * - per configured billing sink, SinkProblems of that sink above 0 in a run (a customer it could not
 *   bill, a reconciliation mismatch such as a Stripe total that differs from what was sent).
 * Descriptions say what the alarm means and what to do, in at most 1024 characters (AlarmDescription:
 * "Maximum length of 1024", https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html).
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { METRICS, metricsNamespace, SINK_DIMENSION, THRESHOLD_DIMENSION } from '../../../contracts/metrics';
import { QUOTA_NOTICE_DETAIL_TYPE, quotaNoticeSource } from '../../../contracts/quota-notice';
import { resourceNames } from '../../../contracts/resource-names';
import { noticeRuleName } from './notice-route';
import { configuredSinkNames } from '../../../config/sinks';
import type { EnvironmentConfig } from '../../../config/types';

/** The usage job runs hourly; gauges are evaluated per hour. */
export const USAGE_JOB_PERIOD_SECONDS = 3600;
/** Heartbeat alarm fires after this many hourly periods without a successful run. */
export const HEARTBEAT_MISSED_PERIODS = 2;
/** The log-shortfall alarm needs this many hourly runs in a row over the threshold (late logs of the day's last hour settle meanwhile). */
export const LOG_SHORTFALL_PERIODS = 3;

export function quotaAlarmName(prefix: string, percent: number): string {
  return `${prefix}-quota-${percent}pct-crossed`;
}

export function sinkBehindAlarmName(prefix: string, sink: string): string {
  return `${prefix}-sink-${sink}-behind`;
}

export function sinkProblemsAlarmName(prefix: string, sink: string): string {
  return `${prefix}-sink-${sink}-problems`;
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

    for (const percent of env.alarms.quotaPercentThresholds) {
      const breach = percent >= 100;
      const what = breach
        ? 'API Gateway now answers those keys with 429 (quota exceeded) until the quota resets on the 1st (UTC): contact the customers (a larger plan: npm run --silent keys -- set-plan ID PLAN, or wait). ' +
          'The percentage counts billable requests only; API Gateway also counts requests the handler rejected, so a key can get 429 a little before 100 % (aws apigateway get-usage: remaining 0).'
        : 'At 100 % API Gateway will answer those keys with 429 until the month ends: tell the customers; consider a larger plan.';
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `quota-${percent}`, {
          alarmName: quotaAlarmName(env.prefix, percent),
          alarmDescription:
            `${breach ? 'BREACH' : 'WARNING'} (${env.name}): keys newly reached ${percent} % of their monthly quota this hour (month to date, from CloudFront logs). ${what} ` +
            `Which keys, by name: the "Quota notice" messages on this topic, one per key, threshold and month (rule ${noticeRuleName(env.prefix)} forwards the notices, source ${quotaNoticeSource(env.prefix)}, detail-type "${QUOTA_NOTICE_DETAIL_TYPE}"). ` +
            `This alarm pages only when it goes to ALARM: while keys keep crossing hour after hour it stays in ALARM and only those messages arrive. It returns to OK at the next run without new crossings.`,
          namespace,
          metricName: METRICS.quotaNoticesSent.name,
          dimensions: { [THRESHOLD_DIMENSION]: String(percent) },
          statistic: METRICS.quotaNoticesSent.statistic,
          period: USAGE_JOB_PERIOD_SECONDS,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          // No data means no run this hour; the heartbeat alarm covers that.
          treatMissingData: 'notBreaching',
          // Pages on the transition to ALARM only (CloudWatch runs actions on state changes): crossings in
          // consecutive hours keep it in ALARM without paging again. Every crossing still reaches the
          // topic as its own message, through the notice rule (notice-route.ts). Back to OK is not news.
          alarmActions: [this.topic.arn],
        }),
      );
    }

    this.alarms.push(
      new CloudwatchMetricAlarm(this, 'unattributed', {
        alarmName: `${env.prefix}-unattributed-share`,
        alarmDescription:
          `More than ${env.alarms.unattributedPercentThreshold} % of this month's requests in ${env.name} carry no known key fingerprint (log field viewer_request_log_data), so they are never billed. ` +
          `Usual causes: keys the registry does not know (made outside the keys CLI: keys sync reports them; or unknown keys the edge refused with 403), traffic rejected at the edge for a missing/malformed key (403), a key registry the usage job cannot read (s3://${resourceNames(env).keyRegistryBucket}/registry.json); ` +
          `if nearly every request is unattributed, the log delivery does not select viewer-request-log-data or the edge function is not attached. ` +
          `Check the dashboard's unattributed panel, then query the log table for recent requests whose viewer_request_log_data is '-' or empty.`,
        namespace,
        metricName: METRICS.unattributedPercent.name,
        statistic: METRICS.unattributedPercent.statistic,
        period: USAGE_JOB_PERIOD_SECONDS,
        evaluationPeriods: 1,
        threshold: env.alarms.unattributedPercentThreshold,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        ...actions,
      }),
    );

    this.alarms.push(
      new CloudwatchMetricAlarm(this, 'log-shortfall', {
        alarmName: `${env.prefix}-log-shortfall`,
        alarmDescription:
          `Logs stopped reaching the billing record in ${env.name}: on the last complete UTC day API Gateway metered more than ${env.monitoring.logShortfallPercentThreshold} % more requests ` +
          `than the CloudFront logs hold for the same keys, so those requests are not billed. Check the v2 log delivery's path first ` +
          `(aws logs get-delivery --region us-east-1; terraform-provider-aws issue 46328: an in-place update can move where logs land), then new files under AWSLogs/ in the log bucket, ` +
          `then the unattributed alarm (a missing viewer_request_log_data field leaves every request without a key). The job's report holds the day and both counts (reconciliation.lastCompleteDay).`,
        namespace,
        metricName: METRICS.logShortfallPercent.name,
        statistic: METRICS.logShortfallPercent.statistic,
        period: USAGE_JOB_PERIOD_SECONDS,
        evaluationPeriods: LOG_SHORTFALL_PERIODS,
        datapointsToAlarm: LOG_SHORTFALL_PERIODS,
        threshold: env.monitoring.logShortfallPercentThreshold,
        comparisonOperator: 'GreaterThanThreshold',
        // Missing: no run, or too few API Gateway requests that day to judge (logShortfallMinRequests).
        treatMissingData: 'notBreaching',
        ...actions,
      }),
    );

    this.alarms.push(
      new CloudwatchMetricAlarm(this, 'heartbeat', {
        alarmName: `${env.prefix}-usage-job-heartbeat`,
        alarmDescription:
          `The usage job of ${env.name} has not completed a run for ${HEARTBEAT_MISSED_PERIODS} hours: usage metrics, quota alarms, quota notices and invoice data are going stale. ` +
          `Check the runs of the GitHub Actions workflow "usage", job "usage ${env.name}" (failed runs, disabled schedule, missing AWS_USAGE_ROLE_ARN_* variable, OIDC trust), then Athena (workgroup ${props.workgroupName}: failed or cancelled queries, bytes-scanned cutoff) and EventBridge PutEvents. ` +
          `A rerun is safe: it never double counts and sends only notices not recorded as sent. ` +
          `To finish a missed month: once ${env.usageJob.lateWindowHours} h past its end, gh workflow run usage -f environment=${env.name} -f month=YYYY-MM; ` +
          `its final invoice lines land in s3://${resourceNames(env).usageBucket}/invoices/${env.name}/YYYY-MM/.`,
        namespace,
        metricName: METRICS.heartbeat.name,
        statistic: METRICS.heartbeat.statistic,
        period: USAGE_JOB_PERIOD_SECONDS,
        evaluationPeriods: HEARTBEAT_MISSED_PERIODS,
        datapointsToAlarm: HEARTBEAT_MISSED_PERIODS,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
        ...actions,
      }),
    );

    for (const sink of configuredSinkNames(env)) {
      const hours = env.monitoring.sinkHoursBehindThreshold;
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `sink-${sink}-behind`, {
          alarmName: sinkBehindAlarmName(env.prefix, sink),
          alarmDescription:
            `Billing sink ${sink} of ${env.name} has usage not reported for more than ${hours} hours (metric ${METRICS.sinkHoursBehind.name}, ${SINK_DIMENSION}=${sink}): customers are not billed for it there yet. ` +
            `It also counts open work of the two months before the run's: a month whose last run left this sink partial or failed, or ended before the month was final. ` +
            `Read the latest run's report, sinks[] entry "${sink}" (stderr: "sink ${sink}: ..."): each problem names its customer, hour or month and what to do; a line "YYYY-MM is still open" is an earlier month. ` +
            `Fix the cause (a missing billing id, a revoked key, the service down), then rerun the month named: the sink sends only what its ledger lacks, never twice. ` +
            `Work a rerun cannot do (usage older than the service accepts): resolve it by hand, then run that month once with --acknowledge-open-work (docs/sinks.md, Earlier months).`,
          namespace,
          metricName: METRICS.sinkHoursBehind.name,
          dimensions: { [SINK_DIMENSION]: sink },
          statistic: METRICS.sinkHoursBehind.statistic,
          period: USAGE_JOB_PERIOD_SECONDS,
          evaluationPeriods: 1,
          threshold: hours,
          comparisonOperator: 'GreaterThanThreshold',
          // No data means no run this hour; the heartbeat alarm covers that.
          treatMissingData: 'notBreaching',
          ...actions,
        }),
      );
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `sink-${sink}-problems`, {
          alarmName: sinkProblemsAlarmName(env.prefix, sink),
          alarmDescription:
            `Billing sink ${sink} of ${env.name} reported problems in its last run (metric ${METRICS.sinkProblems.name}, ${SINK_DIMENSION}=${sink}): a customer it could not bill, ` +
            `or a reconciliation mismatch (Stripe, once a UTC day: Stripe holds another total than the sink sent, e.g. a mistyped stripeCustomerId whose events Stripe accepted and dropped). ` +
            `Each problem is named, with what to do, in the usage job's report, sinks[] entry "${sink}", and its stderr lines "sink ${sink}: ...". ` +
            `The alarm returns to OK at the next run without problems; a mismatch is reported again by the next day's reconciliation until it is fixed (docs/stripe.md, docs/sinks.md).`,
          namespace,
          metricName: METRICS.sinkProblems.name,
          dimensions: { [SINK_DIMENSION]: sink },
          statistic: METRICS.sinkProblems.statistic,
          period: USAGE_JOB_PERIOD_SECONDS,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
          ...actions,
        }),
      );
    }
  }
}
