/**
 * The usage-job role reads what the apply deployed and the key registry, and may rewrite neither:
 * a run that could change its own deployment file or registry could bill from figures nobody
 * deployed. Evaluated with the IAM evaluator against the synthesized role policy.
 */
import { platformConfig } from '../config/environments';
import { resourceNames } from '../contracts/resource-names';
import { KEY_REGISTRY_OBJECT, USAGE_JOB_DEPLOYMENT_KEY } from '../contracts/usage-job-deployment';
import { evaluate } from './evaluate';
import { deployIdentity } from './testing/bootstrap-policies';

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('usage-job role of %s', (_name, env) => {
  const identity = deployIdentity(env, 'usage-job');
  const names = resourceNames(env);
  const deploymentFile = `arn:aws:s3:::${names.usageBucket}/${USAGE_JOB_DEPLOYMENT_KEY}`;
  const registry = `arn:aws:s3:::${names.keyRegistryBucket}/${KEY_REGISTRY_OBJECT}`;
  const rollup = `arn:aws:s3:::${names.usageBucket}/rollups/2026-12/x.json`;
  // A billing sink's ledger (usage-job/aws/s3-sink-ledger-store.ts): written with If-Match, which
  // needs s3:GetObject besides s3:PutObject (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
  const sinkLedger = `arn:aws:s3:::${names.usageBucket}/sinks/${env.name}/stripe/2026-12.json`;

  test.each([
    ['s3:GetObject', deploymentFile, 'Allowed'],
    ['s3:PutObject', deploymentFile, 'ExplicitlyDenied'],
    ['s3:DeleteObject', deploymentFile, 'ExplicitlyDenied'],
    ['s3:GetObject', registry, 'Allowed'],
    ['s3:PutObject', registry, 'ImplicitlyDenied'],
    ['s3:PutObject', rollup, 'Allowed'],
    ['s3:GetObject', sinkLedger, 'Allowed'],
    ['s3:PutObject', sinkLedger, 'Allowed'],
    // The customer usage summary GET /usage reads (usage-job/aws/customer-usage-store.ts), conditional writes.
    ['s3:GetObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-12.json`, 'Allowed'],
    ['s3:PutObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-12.json`, 'Allowed'],
    // The Marketplace sink meters; linking buyers (ResolveCustomer) is the keys operator's.
    ['aws-marketplace:BatchMeterUsage', '*', 'Allowed'],
    ['aws-marketplace:ResolveCustomer', '*', 'ImplicitlyDenied'],
  ] as const)('%s %s: %s', async (action, resource, decision) => {
    await expect(evaluate(identity, { action, resource, resourceAccount: env.accountId })).resolves.toBe(decision);
  });
});
