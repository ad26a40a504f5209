/**
 * The usage-job deployment file: written by Terraform (billing stack) as a JSON object in the
 * usage bucket, read by the usage job in AWS. It names what the stack created and AWS generated:
 * the distribution, the buckets, the Athena and Glue names, each usage plan's API Gateway id and
 * quota, and where the key registry lives. Customers and their key fingerprints are not in it:
 * they are data in the key registry (docs/keys.md), which the job reads at run time, so Terraform
 * never sees a key. It also carries the prices and quota thresholds of record: the ones the
 * environment's apply deployed, which the job in AWS uses instead of the code's config
 * (docs/prices.md), so a merge waiting for an approval changes no bill.
 */
import type { PriceList } from './prices';
import { resourceNames, type NamedEnvironment } from './resource-names';

export const USAGE_JOB_DEPLOYMENT_KEY = 'config/usage-job.json';

/** The key registry's object in the registry bucket (keys/registry-s3.ts). */
export const KEY_REGISTRY_OBJECT = 'registry.json';

export interface DeployedUsagePlan {
  readonly usagePlanId: string;
  readonly monthlyQuota: number;
}

export interface UsageJobDeployment {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly distributionId: string;
  readonly logBucket: string;
  readonly usageBucket: string;
  readonly athenaWorkgroup: string;
  readonly glueDatabase: string;
  readonly glueTable: string;
  /** Where the key registry is: s3://<bucket>/<key>. */
  readonly keyRegistry: { readonly bucket: string; readonly key: string };
  /** The environment's usage plans by name (as in config/environments.ts usagePlans). */
  readonly usagePlans: Readonly<Record<string, DeployedUsagePlan>>;
  /** The prices of record: a price for every usage plan (config prices as applied). */
  readonly prices: PriceList;
  /** The quota thresholds of record, ascending percentages (config alarms.quotaPercentThresholds as applied). */
  readonly quotaPercentThresholds: readonly number[];
}

/** What the deployment file records of an environment's config beside its names. */
export interface DeployedTerms {
  readonly prices: PriceList;
  readonly alarms: { readonly quotaPercentThresholds: readonly number[] };
}

/** The deployment file of an environment: names from resource-names.ts, plus what AWS generated. */
export function usageJobDeployment(
  env: NamedEnvironment & { readonly region: string } & DeployedTerms,
  distributionId: string,
  usagePlans: Readonly<Record<string, DeployedUsagePlan>>,
): UsageJobDeployment {
  const names = resourceNames(env);
  return {
    environment: env.name,
    accountId: env.accountId,
    region: env.region,
    distributionId,
    logBucket: names.logBucket,
    usageBucket: names.usageBucket,
    athenaWorkgroup: names.athenaWorkgroup,
    glueDatabase: names.glueDatabase,
    glueTable: names.glueTable,
    keyRegistry: { bucket: names.keyRegistryBucket, key: KEY_REGISTRY_OBJECT },
    usagePlans,
    prices: env.prices,
    quotaPercentThresholds: env.alarms.quotaPercentThresholds,
  };
}
