/**
 * Reads the usage-job deployment file (contracts/usage-job-deployment.ts) from the usage
 * bucket and validates every field before the job uses it. An invalid file fails the run with a
 * message naming the file and the field (e.g. `usagePlans.basic.monthlyQuota`); nothing is half-used.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { USAGE_JOB_DEPLOYMENT_KEY, type DeployedUsagePlan, type UsageJobDeployment } from '../../contracts/usage-job-deployment';
import { planPriceProblems, type PlanPrice, type PriceList } from '../../contracts/prices';
import { awsErrorCode } from './retry';
import { ACCOUNT_ID, BUCKET_NAME, NAME, REGION } from '../../contracts/name-rules';

/**
 * Glue database and table names the job puts into SQL text. Stricter than Glue's own rule (a
 * lowercase UTF-8 string of 1 to 255 bytes,
 * https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html): only names
 * that never need quoting in Trino or DuckDB are accepted, so an identifier can never carry SQL.
 */
export const SQL_IDENTIFIER = /^[a-z][a-z0-9_]{0,254}$/;
/** Athena workgroup names: 1-128 of letters, digits, '.', '_' and '-'. */
const WORKGROUP_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const DISTRIBUTION_ID = /^[A-Z0-9]{1,64}$/;
/** S3 object keys the job reads: 1 to 1024 printable characters. */
const OBJECT_KEY = /^[\x21-\x7e][\x20-\x7e]{0,1023}$/;

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

  /** A problem whose text names its field (contracts/prices.ts). */
  invalid(problem: string): never {
    throw new DeploymentFileError(`${this.source}: ${problem}`);
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

const CURRENCY = /^[A-Z]{3}$/;

/**
 * The prices of record: a valid price (contracts/prices.ts) for every deployed usage plan. A file
 * written before prices were recorded has none: the run refuses rather than fall back on the
 * code's config, whose prices the environment may not have applied.
 */
function parsePrices(r: Reader, root: { [key: string]: Json }, plans: readonly string[]): PriceList {
  if (root.prices === undefined) r.fail('prices', 'the prices of record (apply the billing stack of this commit to write them)', undefined);
  const prices = r.object(root.prices, 'prices');
  const currency = r.string(prices, 'currency', 'prices.currency', CURRENCY, 'an ISO 4217 code such as USD');
  const byPlan = r.object(prices.plans, 'prices.plans');
  for (const plan of plans) if (byPlan[plan] === undefined) r.fail(`prices.plans.${plan}`, `the price of usage plan "${plan}"`, undefined);
  const problems = Object.entries(byPlan).flatMap(([plan, price]) => planPriceProblems(price, `prices.plans.${plan}`));
  if (problems.length > 0) r.invalid(problems[0]);
  return { currency, plans: byPlan as unknown as Readonly<Record<string, PlanPrice>> };
}

function parseThresholds(r: Reader, root: { [key: string]: Json }): number[] {
  const list = r.array(root.quotaPercentThresholds, 'quotaPercentThresholds');
  list.forEach((t, i) => {
    const previous = i === 0 ? 0 : (list[i - 1] as number);
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= previous) r.fail(`quotaPercentThresholds[${i}]`, `a percentage above ${previous} (ascending)`, t);
  });
  return list as number[];
}

/** Validates a parsed deployment file. `source` names it in errors (e.g. s3://bucket/key). */
export function parseUsageJobDeployment(value: Json, source: string): UsageJobDeployment {
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
  const registry = r.object(root.keyRegistry, 'keyRegistry');
  const keyRegistry = {
    bucket: r.string(registry, 'bucket', 'keyRegistry.bucket', BUCKET_NAME, 'an S3 bucket name'),
    key: r.string(registry, 'key', 'keyRegistry.key', OBJECT_KEY, 'an S3 object key'),
  };
  const usagePlans: Record<string, DeployedUsagePlan> = {};
  for (const [name, item] of Object.entries(r.object(root.usagePlans, 'usagePlans'))) {
    const at = `usagePlans.${name}`;
    if (!NAME.test(name)) r.fail(at, 'named like a plan of config/environments.ts (lowercase letters, digits and single dashes)', name);
    const plan = r.object(item, at);
    usagePlans[name] = {
      usagePlanId: r.string(plan, 'usagePlanId', `${at}.usagePlanId`),
      monthlyQuota: r.positiveInteger(plan, 'monthlyQuota', `${at}.monthlyQuota`),
    };
  }
  const prices = parsePrices(r, root, Object.keys(usagePlans));
  return { ...header, keyRegistry, usagePlans, prices, quotaPercentThresholds: parseThresholds(r, root) };
}

/** The deployment file as read, with the identity of the object (recorded beside the registry revision). */
export interface ReadDeployment {
  readonly deployment: UsageJobDeployment;
  readonly location: string;
  readonly etag?: string;
  readonly versionId?: string;
}

/** Reads s3://<bucket>/config/usage-job.json and validates it. */
export async function readUsageJobDeployment(s3: S3Client, bucket: string, key: string = USAGE_JOB_DEPLOYMENT_KEY): Promise<ReadDeployment> {
  const source = `s3://${bucket}/${key}`;
  let text: string;
  let identity: { etag?: string; versionId?: string };
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new DeploymentFileError(`${source}: the object has no body`);
    text = await object.Body.transformToString('utf-8');
    identity = { ...(object.ETag !== undefined ? { etag: object.ETag } : {}), ...(object.VersionId !== undefined ? { versionId: object.VersionId } : {}) };
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
  return { deployment: parseUsageJobDeployment(parsed, source), location: source, ...identity };
}
