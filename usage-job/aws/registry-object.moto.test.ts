/**
 * The key registry as the usage job reads it in AWS: the S3 object the deployment file names, in a
 * versioned bucket on moto. The run gets the object's ETag and VersionId (the revision it
 * attributes with); no object yet is no customer; a missing bucket or another environment's
 * registry fails in one line.
 */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { useMotoServer } from '../../test-support/moto-server';
import { usageJobDeployment } from '../../contracts/usage-job-deployment';
import { s3Client } from './clients';
import { readRegistryObject } from './registry-object';
import { registryDocument } from '../testing/registry';
import { putRegistry, TEST_PLAN_PRICE } from './testing/usage-job-environment';

const moto = useMotoServer();
const env = { name: 'dev', prefix: 'ubb-rg', accountId: '111111111111', region: 'eu-west-1' as const };
const terms = { prices: { currency: 'USD', plans: { basic: TEST_PLAN_PRICE } }, alarms: { quotaPercentThresholds: [80, 100] } };
const deployment = usageJobDeployment({ ...env, ...terms }, 'E2REGISTRY', { basic: { usagePlanId: 'p-basic', monthlyQuota: 100 } });
const acme = { id: 'acme', customer: 'Acme', fingerprint: '0123456789abcdef', apiGatewayKeyId: 'k1', usagePlanId: 'basic', monthlyQuota: 100 };
const s3 = () => s3Client({ region: env.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });

test('fails in one line while the registry bucket does not exist', async () => {
  await expect(readRegistryObject(s3(), deployment, { backoff: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } })).rejects.toThrow(
    /^key registry s3:\/\/ubb-rg-key-registry-111111111111\/registry\.json: could not read it: NoSuchBucket \(deploy the registry bucket first\)/,
  );
});

test('no registry object yet: no customer, said in a progress line', async () => {
  const bucket = deployment.keyRegistry.bucket;
  await s3().send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: env.region } }));
  await s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const progress: string[] = [];
  await expect(readRegistryObject(s3(), deployment, { progress: (m) => progress.push(m) })).resolves.toEqual({
    customers: [],
    registry: { location: `s3://${bucket}/registry.json`, revision: 0 },
  });
  expect(progress).toEqual([`key registry s3://${bucket}/registry.json does not exist yet: no customers, every request is unattributed`]);
});

test('each read names the exact version it attributed with', async () => {
  const first = await putRegistry(s3(), env, registryDocument(env.name, [acme], 1));
  const read1 = await readRegistryObject(s3(), deployment);
  expect(read1.registry).toEqual({
    location: `s3://${deployment.keyRegistry.bucket}/registry.json`,
    revision: 1,
    etag: first.ETag,
    versionId: first.VersionId,
  });
  expect(read1.customers.map((c) => [c.id, c.quota, c.keys.map((k) => k.apiKeyId)])).toEqual([['acme', 100, ['k1']]]);

  const second = await putRegistry(
    s3(),
    env,
    registryDocument(env.name, [acme, { ...acme, id: 'globex', fingerprint: 'fedcba9876543210', apiGatewayKeyId: 'k2' }], 2),
  );
  const read2 = await readRegistryObject(s3(), deployment);
  expect(read2.registry).toMatchObject({ revision: 2, versionId: second.VersionId });
  expect(second.VersionId).not.toBe(first.VersionId);
  expect(read2.customers.map((c) => c.id)).toEqual(['acme', 'globex']);
});

test("another environment's registry fails the run in one line", async () => {
  await putRegistry(s3(), env, registryDocument('prod', [acme], 3));
  await expect(readRegistryObject(s3(), deployment)).rejects.toThrow(
    `registry s3://${deployment.keyRegistry.bucket}/registry.json belongs to environment "prod", not "dev"; check --env`,
  );
});
