/**
 * The usage-job deployment file (contracts/usage-job-deployment.ts) as an S3 object in the
 * usage bucket: resource names, the key registry's location and the usage plans' ids and quotas.
 * It holds no key and no key value: the job reads its customers from the key registry.
 */
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { FINGERPRINT_HEX_LENGTH } from '../../../contracts/api-key';
import { USAGE_JOB_DEPLOYMENT_KEY, usageJobDeployment } from '../../../contracts/usage-job-deployment';
import type { DeployedUsagePlan } from '../../../contracts/usage-job-deployment';
import type { EnvironmentConfig } from '../../../config/types';
import type { ApiGatewayUsagePlan } from '@cdktf/provider-aws/lib/api-gateway-usage-plan';

export interface DeploymentFileProps {
  readonly env: EnvironmentConfig;
  /** The usage bucket's id (a reference, so the object waits for the bucket). */
  readonly bucketId: string;
  readonly distributionId: string;
  /** The usage plans by plan name. */
  readonly plans: ReadonlyMap<string, ApiGatewayUsagePlan>;
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
    const usagePlans: Record<string, DeployedUsagePlan> = {};
    for (const [name, plan] of props.plans) usagePlans[name] = { usagePlanId: plan.id, monthlyQuota: env.usagePlans[name]?.monthlyQuota ?? 0 };
    const deployment = usageJobDeployment(env, props.distributionId, usagePlans);
    this.object = new S3Object(this, 'object', {
      bucket: props.bucketId,
      key: USAGE_JOB_DEPLOYMENT_KEY,
      contentType: 'application/json',
      content: Fn.jsonencode(deployment),
    });
  }
}
