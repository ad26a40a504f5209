/**
 * Routes every quota notice of the environment to its alarm SNS topic, one line per notice, so
 * on-call gets the names of the keys that crossed, every time a key crosses (the per-threshold
 * alarm pages only when its state changes: docs/monitoring.md, "Alarms").
 * Three resources whatever the number of keys: a rule on the default bus matching the job's source
 * and detail-type, its SNS target with an input transformer, and the topic policy that lets
 * EventBridge publish, for this rule only (aws:SourceArn). The policy replaces the topic's default
 * one, so it also lets the account manage the topic and the environment's alarms publish.
 */
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { QUOTA_NOTICE_DETAIL_TYPE, quotaNoticeSource, type QuotaNoticeDetail } from '../../../contracts/quota-notice';
import type { EnvironmentConfig } from '../../../config/types';

export function noticeRuleName(prefix: string): string {
  return `${prefix}-quota-notices-to-alarms`;
}

/** The fields of the notice the message names (EventBridge input paths into `detail`). */
const PATHS = ['customer', 'keyId', 'thresholdPercent', 'quotaUsedPercent', 'month', 'noticeId'] as const satisfies readonly (keyof QuotaNoticeDetail)[];

export const NOTICE_INPUT_PATHS: Readonly<Record<(typeof PATHS)[number], string>> = Object.fromEntries(PATHS.map((p) => [p, `$.detail.${p}`])) as Record<
  (typeof PATHS)[number],
  string
>;

/** One line; a plain string template (not a JSON object), so SNS sends it as the message text. */
export function noticeMessageTemplate(envName: string): string {
  return `Quota notice (${envName}): <customer> (key <keyId>) reached <thresholdPercent> % of its <month> quota (<quotaUsedPercent> % used), noticeId <noticeId>`;
}

export class QuotaNoticeRoute extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: { readonly env: EnvironmentConfig; readonly topic: SnsTopic }) {
    super(scope, id);
    const { env, topic } = props;
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: noticeRuleName(env.prefix),
      description: `Quota notices of ${env.name} to the alarm topic, one message per key, threshold and month`,
      eventBusName: 'default',
      eventPattern: JSON.stringify({ source: [quotaNoticeSource(env.prefix)], 'detail-type': [QUOTA_NOTICE_DETAIL_TYPE] }),
    });
    new CloudwatchEventTarget(this, 'to-topic', {
      rule: this.rule.name,
      eventBusName: 'default',
      targetId: 'alarm-topic',
      arn: topic.arn,
      inputTransformer: { inputPaths: NOTICE_INPUT_PATHS, inputTemplate: noticeMessageTemplate(env.name) },
    });
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: topic.arn,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OwnerManages',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${env.accountId}:root` },
            Action: [
              'sns:GetTopicAttributes',
              'sns:SetTopicAttributes',
              'sns:AddPermission',
              'sns:RemovePermission',
              'sns:DeleteTopic',
              'sns:Subscribe',
              'sns:ListSubscriptionsByTopic',
              'sns:Publish',
            ],
            Resource: topic.arn,
          },
          {
            // Replacing the default policy: the environment's alarms keep publishing.
            Sid: 'AlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic.arn,
            Condition: {
              StringEquals: { 'aws:SourceAccount': env.accountId },
              ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${env.region}:${env.accountId}:alarm:${env.prefix}-*` },
            },
          },
          {
            Sid: 'QuotaNoticeRulePublishes',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
          },
        ],
      }),
    });
  }
}
