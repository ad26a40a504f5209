/**
 * AWS SDK clients pointed at the stack's moto server, with moto's fake credentials. S3, Athena,
 * CloudWatch and API Gateway come from the usage job's own factory (usage-job/aws/clients.ts: path
 * style S3, CloudWatch over the Query protocol moto speaks); the others are plain SDK clients.
 * CloudFront is global and CloudFront's log delivery lives in us-east-1.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GlueClient } from '@aws-sdk/client-glue';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { FAKE_CREDENTIALS } from '../test-support/moto-server';
import { apiGatewayClient, athenaClient, cloudWatchClient, s3Client } from '../usage-job/aws/clients';

/** CloudFront's log delivery and the distribution's metrics live here. */
export const GLOBAL_REGION = 'us-east-1';

export interface AwsClients {
  readonly region: string;
  readonly s3: S3Client;
  readonly athena: AthenaClient;
  readonly cloudWatch: CloudWatchClient;
  readonly apiGateway: APIGatewayClient;
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  readonly cloudFront: CloudFrontClient;
  /** CloudWatch Logs in the stack's region (Lambda log groups). */
  readonly logs: CloudWatchLogsClient;
  /** CloudWatch Logs in us-east-1 (CloudFront's log delivery). */
  readonly globalLogs: CloudWatchLogsClient;
  readonly glue: GlueClient;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
}

export function awsClients(endpoint: string, region: string): AwsClients {
  const connection = { region, endpoint, credentials: { ...FAKE_CREDENTIALS } };
  const plain = (r: string) => ({ region: r, endpoint, credentials: { ...FAKE_CREDENTIALS }, maxAttempts: 3 });
  return {
    region,
    s3: s3Client(connection),
    athena: athenaClient(connection),
    cloudWatch: cloudWatchClient(connection),
    apiGateway: apiGatewayClient(connection),
    lambda: new LambdaClient(plain(region)),
    iam: new IAMClient(plain(GLOBAL_REGION)),
    cloudFront: new CloudFrontClient(plain(GLOBAL_REGION)),
    logs: new CloudWatchLogsClient(plain(region)),
    globalLogs: new CloudWatchLogsClient(plain(GLOBAL_REGION)),
    glue: new GlueClient(plain(region)),
    sns: new SNSClient(plain(region)),
    secrets: new SecretsManagerClient(plain(region)),
  };
}
