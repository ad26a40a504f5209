/**
 * The usage-job deployment file: written by Terraform (billing stack) as a JSON object in the
 * usage bucket, read by the usage job in AWS. It is the fingerprint map (docs/contracts.md, key fingerprint): Terraform
 * computes each key's fingerprint from the key value (substr(sha256(value), 0, 16)), so the job
 * attributes traffic without ever reading a key value.
 */
import { resourceNames, type NamedEnvironment } from './resource-names';

export const USAGE_JOB_DEPLOYMENT_KEY = 'config/usage-job.json';

export interface DeployedApiKey {
  /** ApiKeyConfig.id, e.g. "acme". */
  readonly id: string;
  readonly customer: string;
  /** Fingerprint (docs/contracts.md) of the key value. */
  readonly fingerprint: string;
  /** API Gateway's id of the key (not its value), for GetUsage. */
  readonly apiGatewayKeyId: string;
  /** API Gateway's id of the key's usage plan, for GetUsage and the quota. */
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
  readonly keys: readonly DeployedApiKey[];
}

/** The deployment file of an environment: names from resource-names.ts, plus what AWS generated. */
export function usageJobDeployment(
  env: NamedEnvironment & { readonly region: string },
  distributionId: string,
  keys: readonly DeployedApiKey[],
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
    keys,
  };
}
