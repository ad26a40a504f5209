/**
 * What the GET /usage function may read, and where it is told to read it (lambdas/handlers/usage-source.ts):
 * the key registry object and the customer usage summaries of the usage bucket, GetObject only
 * (no list, no write, no other prefix: not the rollups, invoices or the deployment file). The
 * environment's permissions boundary allows exactly these reads (stacks/bootstrap/role-boundary.ts).
 */
import { CUSTOMER_USAGE_PREFIX } from '../../../contracts/customer-usage';
import { resourceNames, type NamedEnvironment } from '../../../contracts/resource-names';
import { KEY_REGISTRY_OBJECT } from '../../../contracts/usage-job-deployment';
import type { PolicyStatement } from '../../shared/iam';

/** The handler whose function gets this access (lambdas/routes.ts). */
export const USAGE_LOOKUP_HANDLER = 'usage';

/** The two object ARNs the lookup reads: the registry object and every month's summary. */
export function usageLookupObjectArns(env: NamedEnvironment): string[] {
  const names = resourceNames(env);
  return [`arn:aws:s3:::${names.keyRegistryBucket}/${KEY_REGISTRY_OBJECT}`, `arn:aws:s3:::${names.usageBucket}/${CUSTOMER_USAGE_PREFIX}*`];
}

export function usageLookupStatements(env: NamedEnvironment): PolicyStatement[] {
  return [{ Sid: 'ReadRegistryAndCustomerUsage', Effect: 'Allow', Action: ['s3:GetObject'], Resource: usageLookupObjectArns(env) }];
}

export function usageLookupEnvironment(env: NamedEnvironment): Record<string, string> {
  const names = resourceNames(env);
  return {
    USAGE_ENVIRONMENT: env.name,
    USAGE_REGISTRY_BUCKET: names.keyRegistryBucket,
    USAGE_REGISTRY_KEY: KEY_REGISTRY_OBJECT,
    USAGE_SUMMARY_BUCKET: names.usageBucket,
  };
}
