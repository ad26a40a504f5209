/**
 * The AWS SDK clients of the usage job, built in one place from a region and, optionally, an
 * endpoint (any AWS-compatible server: moto in tests, the local platform). Retries are off in the
 * SDK (`maxAttempts: 1`) because ./retry.ts is the single retry layer.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';

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

/** followRegionRedirects: the log bucket may live in another region than the job. */
export const s3Client = (c: AwsConnection): S3Client => new S3Client({ ...common(c), forcePathStyle: c.endpoint !== undefined, followRegionRedirects: true });
export const athenaClient = (c: AwsConnection): AthenaClient => new AthenaClient(common(c));
/**
 * CloudWatch accepts the AWS Query protocol and, since 2025, AWS JSON 1.0 (the SDK's default;
 * the service model is `awsQueryCompatible`). AWS-compatible servers do not all speak JSON yet:
 * moto decides by the botocore service model installed beside it, and in .venv that is botocore
 * 1.35.x (checkov 3.3.30 pins boto3==1.35.49), whose model lists Query only (moto/core/request.py
 * determine_request_protocol: "Unsupported protocol [json] for service cloudwatch"). So with an endpoint override the client
 * speaks Query, which every such server implements; against AWS itself it keeps the SDK default.
 * https://github.com/localstack/localstack/issues/13028 (AWS SDK team on the protocol change)
 */
export const cloudWatchClient = (c: AwsConnection): CloudWatchClient =>
  new CloudWatchClient({ ...common(c), ...(c.endpoint !== undefined ? { protocol: AwsQueryProtocol } : {}) });
export const apiGatewayClient = (c: AwsConnection): APIGatewayClient => new APIGatewayClient(common(c));
export const eventBridgeClient = (c: AwsConnection): EventBridgeClient => new EventBridgeClient(common(c));
