/**
 * What a deployed environment holds before the usage job's first run, created on moto for tests:
 * the log and usage buckets (in the environment's region), the usage-job deployment file the stack
 * writes, the key registry (a versioned bucket with the registry object the keys CLI writes) and
 * the Athena workgroup.
 */
import { CreateWorkGroupCommand, type AthenaClient } from '@aws-sdk/client-athena';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type BucketLocationConstraint,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { resourceNames, type NamedEnvironment, type ResourceNames } from '../../../contracts/resource-names';
import {
  KEY_REGISTRY_OBJECT,
  USAGE_JOB_DEPLOYMENT_KEY,
  usageJobDeployment,
  type DeployedTerms,
  type DeployedUsagePlan,
} from '../../../contracts/usage-job-deployment';
import type { PlanPrice } from '../../../contracts/prices';
import type { RegistryDocument } from '../../../keys/registry';
import { registryDocument, type TestCustomer } from '../../testing/registry';

export type { TestCustomer };

/** Writes the registry object (a new version in the versioned bucket). */
export function putRegistry(s3: S3Client, env: NamedEnvironment, doc: RegistryDocument): Promise<PutObjectCommandOutput> {
  return s3.send(new PutObjectCommand({ Bucket: resourceNames(env).keyRegistryBucket, Key: KEY_REGISTRY_OBJECT, Body: JSON.stringify(doc) }));
}

/** A one-tier price (0.5 per 1,000 requests, 0.09 per GB): what tests deploy unless they say otherwise. */
export const TEST_PLAN_PRICE: PlanPrice = {
  requests: { mode: 'graduated', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] },
  gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
};

/**
 * Creates the environment. The deployment file records `env`'s prices and quota thresholds when it
 * has them; otherwise TEST_PLAN_PRICE for every plan and thresholds [80, 100].
 */
export async function createUsageJobEnvironment(
  clients: { readonly s3: S3Client; readonly athena: AthenaClient },
  env: NamedEnvironment & { readonly region: string } & Partial<DeployedTerms>,
  distributionId: string,
  customers: readonly TestCustomer[],
): Promise<ResourceNames> {
  const names = resourceNames(env);
  for (const bucket of [names.usageBucket, names.logBucket, names.keyRegistryBucket]) {
    await clients.s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint } }),
    );
  }
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: names.keyRegistryBucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const plans: Record<string, DeployedUsagePlan> = {};
  for (const c of customers) plans[c.usagePlanId] = { usagePlanId: c.usagePlanId, monthlyQuota: c.monthlyQuota };
  const terms: DeployedTerms = {
    prices: env.prices ?? { currency: 'USD', plans: Object.fromEntries(Object.keys(plans).map((plan) => [plan, TEST_PLAN_PRICE])) },
    alarms: env.alarms ?? { quotaPercentThresholds: [80, 100] },
  };
  const deployment = usageJobDeployment({ ...env, ...terms }, distributionId, plans);
  await clients.s3.send(new PutObjectCommand({ Bucket: names.usageBucket, Key: USAGE_JOB_DEPLOYMENT_KEY, Body: JSON.stringify(deployment) }));
  await putRegistry(clients.s3, env, registryDocument(env.name, customers));
  await clients.athena.send(new CreateWorkGroupCommand({ Name: names.athenaWorkgroup, Configuration: {} }));
  return names;
}
