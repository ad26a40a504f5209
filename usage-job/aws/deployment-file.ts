/**
 * Reads the usage-job deployment file (contracts/usage-job-deployment.ts) from the usage
 * bucket and validates every field before the job uses it. An invalid file fails the run with a
 * message naming the file and the field (e.g. `keys[1].fingerprint`); nothing is half-used.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FINGERPRINT_HEX_LENGTH } from '../../contracts/api-key';
import { USAGE_JOB_DEPLOYMENT_KEY, type UsageJobDeployment } from '../../contracts/usage-job-deployment';
import { awsErrorCode } from './retry';
import { ACCOUNT_ID, BUCKET_NAME, KEY_ID, MAX_KEY_ID_LENGTH, NAME, REGION } from '../../contracts/name-rules';

/**
 * Glue database and table names the job puts into SQL text. Stricter than Glue's own rule (a
 * lowercase UTF-8 string of 1 to 255 bytes,
 * https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html): only names
 * that never need quoting in Trino or DuckDB are accepted, so an identifier can never carry SQL.
 */
/**
 * Stopgap (branch keys-stacks): the per-key list left the contract (customers are registry data).
 * Until the job reads the registry (keys-runtime), it still requires this legacy `keys` list, so a
 * deployment file without it fails the run loudly instead of billing nobody.
 */
export interface DeployedApiKey {
  readonly id: string;
  readonly customer: string;
  readonly fingerprint: string;
  readonly apiGatewayKeyId: string;
  readonly usagePlanId: string;
  readonly monthlyQuota: number;
}
export type LegacyUsageJobDeployment = Omit<UsageJobDeployment, 'keyRegistry' | 'usagePlans'> & { readonly keys: readonly DeployedApiKey[] };

export const SQL_IDENTIFIER = /^[a-z][a-z0-9_]{0,254}$/;
/** Athena workgroup names: 1-128 of letters, digits, '.', '_' and '-'. */
const WORKGROUP_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const DISTRIBUTION_ID = /^[A-Z0-9]{1,64}$/;
const FINGERPRINT = new RegExp(`^[0-9a-f]{${FINGERPRINT_HEX_LENGTH}}$`);

export class DeploymentFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentFileError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function describe(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

class Reader {
  constructor(private readonly source: string) {}

  fail(field: string, expected: string, got: Json | undefined): never {
    throw new DeploymentFileError(`${this.source}: field "${field}" must be ${expected}, got ${describe(got)}`);
  }

  object(value: Json | undefined, field: string): { [key: string]: Json } {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'an object', value);
    return value;
  }

  array(value: Json | undefined, field: string): Json[] {
    if (!Array.isArray(value)) this.fail(field, 'an array', value);
    return value;
  }

  string(obj: { [key: string]: Json }, name: string, field: string, pattern?: RegExp, expected?: string): string {
    const value = obj[name];
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'a non-empty string', value);
    if (pattern !== undefined && !pattern.test(value)) this.fail(field, expected ?? `a string matching ${pattern}`, value);
    return value;
  }

  positiveInteger(obj: { [key: string]: Json }, name: string, field: string): number {
    const value = obj[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) this.fail(field, 'a positive integer', value);
    return value;
  }
}

/** Validates a parsed deployment file. `source` names it in errors (e.g. s3://bucket/key). */
export function parseUsageJobDeployment(value: Json, source: string): LegacyUsageJobDeployment {
  const r = new Reader(source);
  const root = r.object(value, '(root)');
  const header = {
    environment: r.string(root, 'environment', 'environment', NAME, 'a lowercase environment name starting with a letter'),
    accountId: r.string(root, 'accountId', 'accountId', ACCOUNT_ID, 'a 12-digit AWS account id'),
    region: r.string(root, 'region', 'region', REGION, 'an AWS region such as eu-west-1'),
    distributionId: r.string(root, 'distributionId', 'distributionId', DISTRIBUTION_ID, 'a CloudFront distribution id (uppercase letters and digits)'),
    logBucket: r.string(root, 'logBucket', 'logBucket', BUCKET_NAME, 'an S3 bucket name'),
    usageBucket: r.string(root, 'usageBucket', 'usageBucket', BUCKET_NAME, 'an S3 bucket name'),
    athenaWorkgroup: r.string(root, 'athenaWorkgroup', 'athenaWorkgroup', WORKGROUP_NAME, 'an Athena workgroup name'),
    glueDatabase: r.string(root, 'glueDatabase', 'glueDatabase', SQL_IDENTIFIER, 'a lowercase SQL identifier (letters, digits, underscores)'),
    glueTable: r.string(root, 'glueTable', 'glueTable', SQL_IDENTIFIER, 'a lowercase SQL identifier (letters, digits, underscores)'),
  };
  const keys: DeployedApiKey[] = r.array(root.keys, 'keys').map((item, i) => {
    const at = `keys[${i}]`;
    const key = r.object(item, at);
    return {
      id: r.string(key, 'id', `${at}.id`, KEY_ID, `1 to ${MAX_KEY_ID_LENGTH} lowercase letters, digits and single dashes`),
      customer: r.string(key, 'customer', `${at}.customer`),
      fingerprint: r.string(key, 'fingerprint', `${at}.fingerprint`, FINGERPRINT, `${FINGERPRINT_HEX_LENGTH} lowercase hex characters`),
      apiGatewayKeyId: r.string(key, 'apiGatewayKeyId', `${at}.apiGatewayKeyId`),
      usagePlanId: r.string(key, 'usagePlanId', `${at}.usagePlanId`),
      monthlyQuota: r.positiveInteger(key, 'monthlyQuota', `${at}.monthlyQuota`),
    };
  });
  const seenIds = new Map<string, number>();
  const seenFingerprints = new Map<string, number>();
  keys.forEach((key, i) => {
    const id = seenIds.get(key.id);
    if (id !== undefined) r.fail(`keys[${i}].id`, `unique (keys[${id}] has the same id)`, key.id);
    seenIds.set(key.id, i);
    const fp = seenFingerprints.get(key.fingerprint);
    if (fp !== undefined) r.fail(`keys[${i}].fingerprint`, `unique (keys[${fp}] has the same fingerprint)`, key.fingerprint);
    seenFingerprints.set(key.fingerprint, i);
  });

  return { ...header, keys };
}

/** Reads s3://<bucket>/config/usage-job.json and validates it. */
export async function readUsageJobDeployment(s3: S3Client, bucket: string, key: string = USAGE_JOB_DEPLOYMENT_KEY): Promise<LegacyUsageJobDeployment> {
  const source = `s3://${bucket}/${key}`;
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new DeploymentFileError(`${source}: the object has no body`);
    text = await object.Body.transformToString('utf-8');
  } catch (error) {
    if (error instanceof DeploymentFileError) throw error;
    const code = awsErrorCode(error);
    if (code === 'NoSuchKey' || code === 'NoSuchBucket') {
      throw new DeploymentFileError(
        `${source} not found (${code}): deploy the billing stack for this environment first; it writes the usage-job deployment file`,
      );
    }
    throw new DeploymentFileError(`${source}: could not read it: ${code ?? 'error'}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    throw new DeploymentFileError(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseUsageJobDeployment(parsed, source);
}
