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
import type { EnvironmentConfig, PlatformConfig } from '../config/types';
import type { MarketplaceSinkConfig } from '../config/marketplace-sink';
import { deployRoleNames, roleArn } from '../stacks/bootstrap/deploy-roles';
import { bootstrapStackName } from '../stacks/stack-names';
import { resourcesOf, synthPlatform } from '../stacks/testing/synth-platform';
import type { Identity, PolicyDocument } from './evaluate';

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('usage-job role of %s', (_name, env) => {
  const identity = deployIdentity(env, 'usage-job');
  const names = resourceNames(env);
  const deploymentFile = `arn:aws:s3:::${names.usageBucket}/${USAGE_JOB_DEPLOYMENT_KEY}`;
  const registry = `arn:aws:s3:::${names.keyRegistryBucket}/${KEY_REGISTRY_OBJECT}`;
  const rollup = `arn:aws:s3:::${names.usageBucket}/rollups/2026-12/x.json`;
  // A billing sink's ledger (usage-job/aws/s3-sink-ledger-store.ts): written with If-Match, which
  // needs s3:GetObject besides s3:PutObject (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
  const sinkLedger = `arn:aws:s3:::${names.usageBucket}/sinks/${env.name}/stripe/2026-12.json`;
  const sinkLedgerShard = `arn:aws:s3:::${names.usageBucket}/sinks/${env.name}/stripe/2026-12/shard-007.json`;

  test.each([
    ['s3:GetObject', deploymentFile, 'Allowed'],
    ['s3:PutObject', deploymentFile, 'ExplicitlyDenied'],
    ['s3:DeleteObject', deploymentFile, 'ExplicitlyDenied'],
    ['s3:GetObject', registry, 'Allowed'],
    ['s3:PutObject', registry, 'ImplicitlyDenied'],
    ['s3:PutObject', rollup, 'Allowed'],
    ['s3:GetObject', sinkLedger, 'Allowed'],
    ['s3:PutObject', sinkLedger, 'Allowed'],
    ['s3:GetObject', sinkLedgerShard, 'Allowed'],
    ['s3:PutObject', sinkLedgerShard, 'Allowed'],
    // A shard never written must read as 404 NoSuchKey, not 403: S3 says "no such key" only to an
    // identity with s3:ListBucket on the bucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, Permissions).
    ['s3:ListBucket', `arn:aws:s3:::${names.usageBucket}`, 'Allowed'],
    // The customer usage summary GET /usage reads (usage-job/aws/customer-usage-store.ts), conditional writes.
    ['s3:GetObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-12.json`, 'Allowed'],
    ['s3:PutObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-12.json`, 'Allowed'],
    // The next month's opening summary (usage-job/opening-summary.ts), written by December's runs:
    // GET /usage reads it on the 1st, before January's first run.
    ['s3:GetObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2027-01.json`, 'Allowed'],
    ['s3:PutObject', `arn:aws:s3:::${names.usageBucket}/customer-usage/2027-01.json`, 'Allowed'],
    // Metering only where the Marketplace sink is configured (below); linking buyers is the keys operator's.
    ['aws-marketplace:BatchMeterUsage', '*', env.sinks?.marketplace !== undefined ? 'Allowed' : 'ImplicitlyDenied'],
    ['aws-marketplace:ResolveCustomer', '*', 'ImplicitlyDenied'],
  ] as const)('%s %s: %s', async (action, resource, decision) => {
    await expect(evaluate(identity, { action, resource, resourceAccount: env.accountId })).resolves.toBe(decision);
  });
});

/** The usage-job role's policy synthesized from a variant of the platform config (not the TypeScript that builds it). */
function usageJobIdentity(platform: PlatformConfig, env: EnvironmentConfig): Identity {
  const synth = synthPlatform(platform, 'local').get(bootstrapStackName(env.accountId, platform.bootstrap.accountId));
  const found = [...resourcesOf(synth!, 'aws_iam_role_policy').values()].filter((p) => String(p.role).includes(`aws_iam_role.roles-${env.name}_usage-job_`));
  if (found.length !== 1) throw new Error(`expected one usage-job policy for ${env.name}, found ${found.length}`);
  return {
    arn: roleArn(env.accountId, deployRoleNames(env).usageJob),
    policies: [{ name: 'usage-job', document: JSON.parse(String(found[0]!.policy)) as PolicyDocument }],
  };
}

describe('BatchMeterUsage only where the Marketplace sink is configured', () => {
  const marketplace: MarketplaceSinkConfig = {
    productCode: 'prod-1',
    identity: 'license',
    region: 'us-east-1',
    dimensions: { requests: { name: 'requests', requestsPerUnit: 1 }, bytesOut: { name: 'gb_out', bytesPerUnit: 1_000_000_000 } },
  };
  const [first, ...others] = platformConfig.environments as readonly EnvironmentConfig[];
  const variant: PlatformConfig = { ...platformConfig, environments: [{ ...first!, sinks: { ...first!.sinks, marketplace } }, ...others] };
  test.each([
    [`${first!.name}, sink configured`, variant.environments[0]!, 'Allowed'],
    ...others.map((e) => [`${e.name}, no sink`, e, 'ImplicitlyDenied'] as const),
  ] as const)('%s: %s', async (_what, env, decision) => {
    await expect(
      evaluate(usageJobIdentity(variant, env), { action: 'aws-marketplace:BatchMeterUsage', resource: '*', resourceAccount: env.accountId }),
    ).resolves.toBe(decision);
  });
});
