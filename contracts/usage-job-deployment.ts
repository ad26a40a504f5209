/**
 * The usage-job deployment file: written by Terraform (billing stack) as a JSON object in the
 * usage bucket, read by the usage job in AWS. It names the environment's resources, the key
 * registry the job reads its customers from (keys/registry.ts; the registry holds fingerprints,
 * never key values) and the usage plans' API Gateway ids (for quotas and GetUsage).
 */
import { resourceNames, type NamedEnvironment } from './resource-names';

export const USAGE_JOB_DEPLOYMENT_KEY = 'config/usage-job.json';

/** The key registry's object in its bucket (one JSON document per environment). */
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
  readonly keyRegistry: { readonly bucket: string; readonly key: string };
  /** By plan name as in config/environments.ts. */
  readonly usagePlans: Readonly<Record<string, DeployedUsagePlan>>;
}

/** The deployment file of an environment: names from resource-names.ts, plus what AWS generated. */
export function usageJobDeployment(
  env: NamedEnvironment & { readonly region: string },
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
  };
}
