/**
 * What a deployed environment holds before the usage job's first run, created on moto for tests:
 * the log and usage buckets (in the environment's region), the usage-job deployment file the stack
 * writes, and the Athena workgroup.
 */
import { CreateWorkGroupCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { CreateBucketCommand, PutObjectCommand, type BucketLocationConstraint, type S3Client } from '@aws-sdk/client-s3';
import { resourceNames, type NamedEnvironment, type ResourceNames } from '../../../contracts/resource-names';
import { USAGE_JOB_DEPLOYMENT_KEY, usageJobDeployment } from '../../../contracts/usage-job-deployment';
import type { DeployedApiKey } from '../deployment-file';

export async function createUsageJobEnvironment(
  clients: { readonly s3: S3Client; readonly athena: AthenaClient },
  env: NamedEnvironment & { readonly region: string },
  distributionId: string,
  keys: readonly DeployedApiKey[],
): Promise<ResourceNames> {
  const names = resourceNames(env);
  for (const bucket of [names.usageBucket, names.logBucket]) {
    await clients.s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint } }),
    );
  }
  // Stopgap (keys-stacks): the legacy keys list the job still reads, next to the contract's fields.
  const deployment = { ...usageJobDeployment(env, distributionId, {}), keys };
  await clients.s3.send(new PutObjectCommand({ Bucket: names.usageBucket, Key: USAGE_JOB_DEPLOYMENT_KEY, Body: JSON.stringify(deployment) }));
  await clients.athena.send(new CreateWorkGroupCommand({ Name: names.athenaWorkgroup, Configuration: {} }));
  return names;
}
