/**
 * The three buckets of an environment (names from contracts/resource-names.ts):
 * - log bucket: CloudFront standard logging v2 writes Parquet here; its policy lets the log
 *   delivery service write only under AWSLogs/, only for this account and this environment's
 *   delivery source (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html);
 *   objects expire after accessLogExpirationDays;
 * - Athena results bucket: short expiry;
 * - usage bucket: hourly rollups, run manifest, invoices and the usage-job deployment file.
 */
import { Construct } from 'constructs';
import type { ResourceNames } from '../../../contracts/resource-names';
import type { EnvironmentConfig } from '../../../config/types';
import { s3BucketArn } from '../../shared/iam';
import { PrivateBucket } from '../../shared/private-bucket';

/** CloudFront is global; its log delivery source lives in us-east-1. */
export const CLOUDFRONT_LOG_REGION = 'us-east-1';

export function logDeliverySourceName(env: Pick<EnvironmentConfig, 'prefix'>): string {
  return `${env.prefix}-cf-access-logs`;
}

export class LogBuckets extends Construct {
  readonly logs: PrivateBucket;
  readonly athenaResults: PrivateBucket;
  readonly usage: PrivateBucket;

  constructor(scope: Construct, id: string, props: { readonly env: EnvironmentConfig; readonly names: ResourceNames }) {
    super(scope, id);
    const { env, names } = props;
    const logArn = s3BucketArn(names.logBucket);
    const sourceArn = `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${env.accountId}:delivery-source:${logDeliverySourceName(env)}`;

    this.logs = new PrivateBucket(this, 'logs', {
      bucketName: names.logBucket,
      expirationDays: env.accessLogExpirationDays,
      policyStatements: [
        {
          Sid: 'AWSLogDeliveryWrite',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `${logArn}/AWSLogs/*`,
          Condition: {
            StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': env.accountId },
            ArnLike: { 'aws:SourceArn': sourceArn },
          },
        },
        {
          Sid: 'AWSLogDeliveryAclCheck',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: ['s3:GetBucketAcl', 's3:ListBucket'],
          Resource: logArn,
          Condition: { StringEquals: { 'aws:SourceAccount': env.accountId }, ArnLike: { 'aws:SourceArn': sourceArn } },
        },
      ],
    });
    this.athenaResults = new PrivateBucket(this, 'athena-results', {
      bucketName: names.athenaResultsBucket,
      expirationDays: env.athenaResultsExpirationDays,
      forceDestroy: true,
    });
    // Versioned: rollups, manifests and invoices are finance records; an overwrite or a bad run
    // can be undone for 90 days.
    this.usage = new PrivateBucket(this, 'usage', { bucketName: names.usageBucket, versioned: true, noncurrentVersionExpirationDays: 90 });
  }
}
