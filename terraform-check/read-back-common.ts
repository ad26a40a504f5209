/**
 * Read-back shared by every stack: what the test copy told Terraform, compared with what the AWS
 * API (moto) returns for it.
 * - every bucket: default encryption (SSE-S3 with a bucket key), all four public-access blocks,
 *   ACLs disabled (BucketOwnerEnforced), versioning where configured, lifecycle rules as configured;
 * - every bucket policy, role trust policy, inline role policy and managed-policy attachment: the
 *   document AWS holds equals the configured one, references resolved from the state.
 */
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { AwsClients } from './aws-clients';
import type { Findings } from './findings';
import { blocksOf, isObject, referencedAddress, type Json, type JsonObject } from './terraform-json';
import type { StateIndex } from './terraform-state';

/** AWS returns IAM documents URL-encoded (RFC 3986); moto may not. */
export function decodePolicy(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  return JSON.parse(text.trimStart().startsWith('%') ? decodeURIComponent(text) : text) as unknown;
}

function resolvedString(state: StateIndex, value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string in the test copy`);
  return state.resolve(value);
}

/** A nested block as cdktf writes it: an object, or a list of one. */
function first(block: Json | undefined): JsonObject | undefined {
  if (isObject(block)) return block;
  return Array.isArray(block) && isObject(block[0]) ? block[0] : undefined;
}

interface LifecycleRuleView {
  readonly id: string | undefined;
  readonly status: string | undefined;
  readonly expirationDays: number | undefined;
  readonly noncurrentDays: number | undefined;
  readonly abortDays: number | undefined;
}

function configuredRules(body: JsonObject): LifecycleRuleView[] {
  const rules = Array.isArray(body.rule) ? body.rule.filter(isObject) : [];
  return rules.map((r) => ({
    id: typeof r.id === 'string' ? r.id : undefined,
    status: typeof r.status === 'string' ? r.status : undefined,
    expirationDays: (first(r.expiration)?.days as number | undefined) ?? undefined,
    noncurrentDays: (first(r.noncurrent_version_expiration)?.noncurrent_days as number | undefined) ?? undefined,
    abortDays: (first(r.abort_incomplete_multipart_upload)?.days_after_initiation as number | undefined) ?? undefined,
  }));
}

export async function readBackBuckets(stack: JsonObject, state: StateIndex, aws: AwsClients, f: Findings): Promise<string[]> {
  const blocks = blocksOf(stack);
  const buckets = blocks.filter((b) => b.type === 'aws_s3_bucket');
  const configFor = (type: string, address: string) => blocks.find((b) => b.type === type && referencedAddress(b.body.bucket) === address);
  const names: string[] = [];
  for (const bucket of buckets) {
    const name = resolvedString(state, bucket.body.bucket, `${bucket.address}.bucket`);
    names.push(name);
    const encryption = await f.read(`encryption of ${name}`, () => aws.s3.send(new GetBucketEncryptionCommand({ Bucket: name })));
    const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
    f.equal(`${name} default encryption`, [rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, rule?.BucketKeyEnabled], ['AES256', true]);
    const block = await f.read(`public access block of ${name}`, () => aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: name })));
    const pab = block?.PublicAccessBlockConfiguration;
    f.equal(
      `${name} public access block`,
      [pab?.BlockPublicAcls, pab?.IgnorePublicAcls, pab?.BlockPublicPolicy, pab?.RestrictPublicBuckets],
      [true, true, true, true],
    );
    const ownership = await f.read(`ownership controls of ${name}`, () => aws.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: name })));
    f.equal(`${name} object ownership`, ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership, 'BucketOwnerEnforced');
    const versioningConfig = configFor('aws_s3_bucket_versioning', bucket.address);
    if (versioningConfig !== undefined) {
      const versioning = await f.read(`versioning of ${name}`, () => aws.s3.send(new GetBucketVersioningCommand({ Bucket: name })));
      f.equal(`${name} versioning`, versioning?.Status, first(versioningConfig.body.versioning_configuration)?.status);
    }
    const lifecycleConfig = configFor('aws_s3_bucket_lifecycle_configuration', bucket.address);
    if (lifecycleConfig !== undefined) {
      const lifecycle = await f.read(`lifecycle of ${name}`, () => aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: name })));
      const actual: LifecycleRuleView[] = (lifecycle?.Rules ?? []).map((r) => ({
        id: r.ID,
        status: r.Status,
        expirationDays: r.Expiration?.Days,
        noncurrentDays: r.NoncurrentVersionExpiration?.NoncurrentDays,
        abortDays: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
      }));
      f.equal(`${name} lifecycle rules`, actual, configuredRules(lifecycleConfig.body));
    }
  }
  return names;
}

/** Every configured policy document against the one AWS holds. Returns how many were compared. */
export async function readBackPolicies(stack: JsonObject, state: StateIndex, aws: AwsClients, f: Findings): Promise<number> {
  let compared = 0;
  const blocks = blocksOf(stack);
  const configured = (value: Json | undefined, what: string) => JSON.parse(resolvedString(state, value, what)) as unknown;
  for (const b of blocks) {
    if (b.mode !== 'resource') continue;
    if (b.type === 'aws_s3_bucket_policy') {
      const bucket = resolvedString(state, b.body.bucket, `${b.address}.bucket`);
      const policy = await f.read(`policy of ${bucket}`, () => aws.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
      f.equal(`bucket policy of ${bucket}`, decodePolicy(policy?.Policy), configured(b.body.policy, `${b.address}.policy`));
      compared += 1;
    } else if (b.type === 'aws_iam_role') {
      const name = resolvedString(state, b.body.name, `${b.address}.name`);
      const role = await f.read(`role ${name}`, () => aws.iam.send(new GetRoleCommand({ RoleName: name })));
      f.equal(
        `trust policy of role ${name}`,
        decodePolicy(role?.Role?.AssumeRolePolicyDocument),
        configured(b.body.assume_role_policy, `${b.address}.assume_role_policy`),
      );
      compared += 1;
    } else if (b.type === 'aws_iam_role_policy') {
      const role = resolvedString(state, b.body.role, `${b.address}.role`);
      const name = resolvedString(state, b.body.name, `${b.address}.name`);
      const policy = await f.read(`policy ${name} of role ${role}`, () => aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name })));
      f.equal(`inline policy ${name} of role ${role}`, decodePolicy(policy?.PolicyDocument), configured(b.body.policy, `${b.address}.policy`));
      compared += 1;
    } else if (b.type === 'aws_iam_role_policy_attachment') {
      const role = resolvedString(state, b.body.role, `${b.address}.role`);
      const arn = resolvedString(state, b.body.policy_arn, `${b.address}.policy_arn`);
      const attached = await f.read(`attached policies of ${role}`, () => aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role })));
      f.that(
        `${arn} attached to role ${role}`,
        (attached?.AttachedPolicies ?? []).some((p) => p.PolicyArn === arn),
      );
      compared += 1;
    }
  }
  return compared;
}
