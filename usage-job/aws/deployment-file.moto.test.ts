import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { useMotoServer } from '../../test-support/moto-server';
import { USAGE_JOB_DEPLOYMENT_KEY } from '../../contracts/usage-job-deployment';
import { s3Client } from './clients';
import { DeploymentFileError, parseUsageJobDeployment, readUsageJobDeployment, type LegacyUsageJobDeployment } from './deployment-file';

const moto = useMotoServer();
const BUCKET = 'ubb-dev-usage-111111111111';

const valid: LegacyUsageJobDeployment = {
  environment: 'dev',
  accountId: '111111111111',
  region: 'eu-west-1',
  distributionId: 'E2QWRUHAPOMQZL',
  logBucket: 'ubb-dev-cf-logs-111111111111',
  usageBucket: BUCKET,
  athenaWorkgroup: 'ubb-dev-usage',
  glueDatabase: 'ubb_dev_logs',
  glueTable: 'cloudfront_logs',
  keys: [
    { id: 'acme-dev', customer: 'Acme Corp (test)', fingerprint: '0123456789abcdef', apiGatewayKeyId: 'k1abc', usagePlanId: 'p1abc', monthlyQuota: 10000 },
    { id: 'smoke-test', customer: 'Smoke', fingerprint: 'fedcba9876543210', apiGatewayKeyId: 'k2abc', usagePlanId: 'p1abc', monthlyQuota: 10000 },
  ],
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
    await expect(readUsageJobDeployment(s3(), BUCKET)).resolves.toEqual(valid);
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
    [['keys'], {}, 'field "keys" must be an array, got {}'],
    [['keys', 1, 'fingerprint'], '0123456789ABCDEF', 'field "keys[1].fingerprint" must be 16 lowercase hex characters'],
    [['keys', 0, 'monthlyQuota'], 0, 'field "keys[0].monthlyQuota" must be a positive integer, got 0'],
    [['keys', 1, 'fingerprint'], '0123456789abcdef', 'field "keys[1].fingerprint" must be unique (keys[0] has the same fingerprint)'],
    [['keys', 1, 'id'], 'acme-dev', 'field "keys[1].id" must be unique (keys[0] has the same id)'],
  ])('rejects %j = %j with a message naming the field', (path, value, message) => {
    const run = () => parseUsageJobDeployment(withChange(path, value) as Parameters<typeof parseUsageJobDeployment>[0], 'test.json');
    expect(run).toThrow(DeploymentFileError);
    expect(run).toThrow(`test.json: ${message}`);
  });
});
