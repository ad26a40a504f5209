/**
 * The usage-job deployment file: written by Terraform (billing stack) as a JSON object in the
 * usage bucket, read by the usage job in AWS. It is the fingerprint map of contract 1: Terraform
 * computes each key's fingerprint from the key value (substr(sha256(value), 0, 16)), so the job
 * attributes traffic without ever reading a key value.
 */
export const USAGE_JOB_DEPLOYMENT_KEY = 'config/usage-job.json';

export interface DeployedApiKey {
  /** ApiKeyConfig.id, e.g. "acme". */
  readonly id: string;
  readonly customer: string;
  /** Contract 1 fingerprint of the key value. */
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
