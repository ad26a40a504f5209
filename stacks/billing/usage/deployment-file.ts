/**
 * The usage-job deployment file (contracts/usage-job-deployment.ts) as an S3 object in the
 * usage bucket. Terraform computes its JSON: each key's fingerprint is
 * substr(sha256(key value), 0, 16) (docs/contracts.md), so the job attributes traffic without ever
 * reading a key value, and the file (like the state's copy of it) holds no key value.
 */
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { FINGERPRINT_HEX_LENGTH } from '../../../contracts/api-key';
import { USAGE_JOB_DEPLOYMENT_KEY, usageJobDeployment } from '../../../contracts/usage-job-deployment';
import type { DeployedApiKey } from '../../../contracts/usage-job-deployment';
import type { EnvironmentConfig } from '../../../config/types';
import type { DeployedKey } from '../api/keys-and-plans';

export interface DeploymentFileProps {
  readonly env: EnvironmentConfig;
  /** The usage bucket's id (a reference, so the object waits for the bucket). */
  readonly bucketId: string;
  readonly distributionId: string;
  readonly keys: readonly DeployedKey[];
}

/** Terraform expression of a key's fingerprint (same rule as contracts/api-key.ts). */
export function fingerprintExpression(keyValue: string): string {
  return Fn.substr(Fn.sha256(keyValue), 0, FINGERPRINT_HEX_LENGTH);
}

export class DeploymentFile extends Construct {
  readonly object: S3Object;

  constructor(scope: Construct, id: string, props: DeploymentFileProps) {
    super(scope, id);
    const { env } = props;
    const keys: DeployedApiKey[] = props.keys.map((k) => ({
      id: k.config.id,
      customer: k.config.customer,
      fingerprint: fingerprintExpression(k.key.value),
      apiGatewayKeyId: k.key.id,
      usagePlanId: k.plan.id,
      monthlyQuota: k.monthlyQuota,
    }));
    const deployment = usageJobDeployment(env, props.distributionId, keys);
    this.object = new S3Object(this, 'object', {
      bucket: props.bucketId,
      key: USAGE_JOB_DEPLOYMENT_KEY,
      contentType: 'application/json',
      content: Fn.jsonencode(deployment),
    });
  }
}
