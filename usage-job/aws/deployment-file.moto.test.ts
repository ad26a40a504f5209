import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { platformConfig } from '../../config/environments';
import { useMotoServer } from '../../test-support/moto-server';
import { USAGE_JOB_DEPLOYMENT_KEY, type UsageJobDeployment } from '../../contracts/usage-job-deployment';
import { s3Client } from './clients';
import { DeploymentFileError, parseUsageJobDeployment, readUsageJobDeployment } from './deployment-file';

const moto = useMotoServer();
const BUCKET = 'ubb-dev-usage-111111111111';

const valid: UsageJobDeployment = {
  environment: 'dev',
  accountId: '111111111111',
  region: 'eu-west-1',
  distributionId: 'E2QWRUHAPOMQZL',
  logBucket: 'ubb-dev-cf-logs-111111111111',
  usageBucket: BUCKET,
  athenaWorkgroup: 'ubb-dev-usage',
  glueDatabase: 'ubb_dev_logs',
  glueTable: 'cloudfront_logs',
  keyRegistry: { bucket: 'ubb-dev-key-registry-111111111111', key: 'registry.json' },
  usagePlans: { basic: { usagePlanId: 'p1abc', monthlyQuota: 10000 }, pro: { usagePlanId: 'p2abc', monthlyQuota: 1000000 } },
  // The example prices of config/environments.ts, as the billing stack writes them for dev.
  prices: platformConfig.environments.find((e) => e.name === 'dev')!.prices,
  quotaPercentThresholds: [50, 90, 100],
};

function withChange(path: (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  let target: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) target = target[part] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

describe('usage-job deployment file', () => {
  const s3 = () => s3Client({ region: 'eu-west-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });

  beforeAll(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  });

  it('reads and validates the file the billing stack writes to the usage bucket', async () => {
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: USAGE_JOB_DEPLOYMENT_KEY, Body: JSON.stringify(valid) }));
    const read = await readUsageJobDeployment(s3(), BUCKET);
    expect(read.deployment).toEqual(valid);
    expect(read.location).toBe(`s3://${BUCKET}/${USAGE_JOB_DEPLOYMENT_KEY}`);
    expect(read.etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('says the file is missing and what to do when the stack has not written it', async () => {
    await expect(readUsageJobDeployment(s3(), BUCKET, 'config/absent.json')).rejects.toThrow(
      `s3://${BUCKET}/config/absent.json not found (NoSuchKey): deploy the billing stack`,
    );
  });

  it('rejects a file that is not JSON, naming the file', async () => {
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'config/broken.json', Body: '{"environment":' }));
    await expect(readUsageJobDeployment(s3(), BUCKET, 'config/broken.json')).rejects.toThrow(
      new RegExp(`^s3://${BUCKET}/config/broken\\.json: not valid JSON`),
    );
  });

  it.each([
    [['glueTable'], 'cloudfront_logs; DROP TABLE x', 'field "glueTable" must be a lowercase SQL identifier'],
    [['glueDatabase'], 'Ubb-Dev', 'field "glueDatabase" must be a lowercase SQL identifier'],
    [['accountId'], '12345', 'field "accountId" must be a 12-digit AWS account id, got "12345"'],
    [['athenaWorkgroup'], undefined, 'field "athenaWorkgroup" must be a non-empty string, got nothing'],
    [['keyRegistry'], undefined, 'field "keyRegistry" must be an object, got nothing'],
    [['keyRegistry', 'bucket'], 'Not_A_Bucket', 'field "keyRegistry.bucket" must be an S3 bucket name'],
    [['keyRegistry', 'key'], '', 'field "keyRegistry.key" must be a non-empty string'],
    [['usagePlans'], [], 'field "usagePlans" must be an object, got []'],
    [['usagePlans', 'basic', 'monthlyQuota'], 0, 'field "usagePlans.basic.monthlyQuota" must be a positive integer, got 0'],
    [['usagePlans', 'pro', 'usagePlanId'], undefined, 'field "usagePlans.pro.usagePlanId" must be a non-empty string, got nothing'],
    [['usagePlans', 'Gold Plan'], { usagePlanId: 'p3', monthlyQuota: 5 }, 'field "usagePlans.Gold Plan" must be named like a plan'],
    // Prices and quota thresholds of record: a file written before they were recorded is refused, never filled in from config.
    [['prices'], undefined, 'field "prices" must be the prices of record (apply the billing stack of this commit to write them), got nothing'],
    [['prices', 'currency'], 'eur', 'field "prices.currency" must be an ISO 4217 code such as USD, got "eur"'],
    [['prices', 'plans', 'pro'], undefined, 'field "prices.plans.pro" must be the price of usage plan "pro", got nothing'],
    [
      ['prices', 'plans', 'basic', 'requests', 'tiers', 1, 'upTo'],
      5,
      'prices.plans.basic.requests.tiers[1].upTo must be null: the last tier is open-ended, got 5',
    ],
    [['prices', 'plans', 'pro', 'gbOut', 'mode'], 'tiered', 'prices.plans.pro.gbOut.mode must be "graduated" or "volume", got "tiered"'],
    [['quotaPercentThresholds'], undefined, 'field "quotaPercentThresholds" must be an array, got nothing'],
    [['quotaPercentThresholds', 1], 40, 'field "quotaPercentThresholds[1]" must be a percentage above 50 (ascending), got 40'],
  ])('rejects %j = %j with a message naming the field', (path, value, message) => {
    const run = () => parseUsageJobDeployment(withChange(path, value) as Parameters<typeof parseUsageJobDeployment>[0], 'test.json');
    expect(run).toThrow(DeploymentFileError);
    expect(run).toThrow(`test.json: ${message}`);
  });
});
