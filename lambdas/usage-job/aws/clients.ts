/**
 * The AWS SDK clients of the usage job, built in one place from a region and, optionally, an
 * endpoint (any AWS-compatible server: moto in tests, the local platform). Retries are off in the
 * SDK (`maxAttempts: 1`) because ./retry.ts is the single retry layer.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsConnection {
  readonly region: string;
  /** e.g. http://127.0.0.1:5000; when set, S3 uses path-style addressing. Default: AWS itself. */
  readonly endpoint?: string;
  /** Default: the SDK's credential chain (environment, profile, role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

function common(connection: AwsConnection) {
  return {
    region: connection.region,
    maxAttempts: 1,
    ...(connection.endpoint !== undefined ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials !== undefined ? { credentials: { ...connection.credentials } } : {}),
  };
}

export const s3Client = (c: AwsConnection): S3Client => new S3Client({ ...common(c), forcePathStyle: c.endpoint !== undefined });
export const athenaClient = (c: AwsConnection): AthenaClient => new AthenaClient(common(c));
export const cloudWatchClient = (c: AwsConnection): CloudWatchClient => new CloudWatchClient(common(c));
export const apiGatewayClient = (c: AwsConnection): APIGatewayClient => new APIGatewayClient(common(c));
