/**
 * The usage-job deployment file (contracts/usage-job-deployment.ts) as an S3 object in the
 * usage bucket: names and AWS-generated ids (distribution, usage plans) plus where the key
 * registry is. It holds no customer and no key: the job reads those from the registry, so this
 * object, like the rest of the state, does not grow with customers and never sees a key value.
 */
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { USAGE_JOB_DEPLOYMENT_KEY, usageJobDeployment, type DeployedUsagePlan } from '../../../contracts/usage-job-deployment';
import type { EnvironmentConfig } from '../../../config/types';
import type { UsagePlans } from '../api/usage-plans';

export interface DeploymentFileProps {
  readonly env: EnvironmentConfig;
  /** The usage bucket's id (a reference, so the object waits for the bucket). */
  readonly bucketId: string;
  readonly distributionId: string;
  readonly usagePlans: UsagePlans;
}

export class DeploymentFile extends Construct {
  readonly object: S3Object;

  constructor(scope: Construct, id: string, props: DeploymentFileProps) {
    super(scope, id);
    const usagePlans: Record<string, DeployedUsagePlan> = Object.fromEntries(
      [...props.usagePlans.plans].map(([name, p]) => [name, { usagePlanId: p.plan.id, monthlyQuota: p.monthlyQuota }]),
    );
    this.object = new S3Object(this, 'object', {
      bucket: props.bucketId,
      key: USAGE_JOB_DEPLOYMENT_KEY,
      contentType: 'application/json',
      content: Fn.jsonencode(usageJobDeployment(props.env, props.distributionId, usagePlans)),
    });
  }
}
