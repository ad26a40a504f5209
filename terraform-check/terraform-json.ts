/**
 * The synthesized stack (cdk.tf.json) as data: Terraform's JSON configuration syntax
 * (https://developer.hashicorp.com/terraform/language/syntax/json). Only what the check reads or
 * rewrites is typed; everything else passes through untouched.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: Json | undefined, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not an object`);
  return value;
}

/** Meta-arguments Terraform itself handles; no provider schema lists them. */
/**
 * Resource types Terraform itself provides (terraform.io/builtin/terraform), not the AWS provider:
 * no AWS schema, endpoint or permission applies. The log delivery's replacement trigger
 * (stacks/billing/logs/access-logs.ts) is one.
 * https://developer.hashicorp.com/terraform/language/resources/terraform-data
 */
export const BUILTIN_RESOURCE_TYPES: ReadonlySet<string> = new Set(['terraform_data']);

export const META_ARGUMENTS: ReadonlySet<string> = new Set(['//', 'count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection']);

export interface BlockRef {
  /** `resource` or `data` */
  readonly mode: 'resource' | 'data';
  /** e.g. aws_s3_bucket */
  readonly type: string;
  readonly name: string;
  /** Address as Terraform prints it: aws_s3_bucket.x or data.aws_x.y */
  readonly address: string;
  readonly body: JsonObject;
}

/** Every resource and data block of the stack, in file order. */
export function blocksOf(stack: JsonObject): BlockRef[] {
  const out: BlockRef[] = [];
  for (const mode of ['resource', 'data'] as const) {
    const byType = stack[mode];
    if (!isObject(byType)) continue;
    for (const [type, byName] of Object.entries(byType)) {
      if (!isObject(byName)) continue;
      for (const [name, body] of Object.entries(byName)) {
        if (!isObject(body)) continue;
        out.push({ mode, type, name, address: mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`, body });
      }
    }
  }
  return out;
}

/** The `aws` provider blocks (cdktf writes `provider.aws` as a list). */
export function awsProviderBlocks(stack: JsonObject): JsonObject[] {
  const providers = stack.provider;
  if (!isObject(providers)) return [];
  const aws = providers.aws;
  if (Array.isArray(aws)) return aws.filter(isObject);
  return isObject(aws) ? [aws] : [];
}

/** The default (alias-less) aws provider block. */
export function defaultAwsProvider(stack: JsonObject): JsonObject {
  const found = awsProviderBlocks(stack).filter((p) => p.alias === undefined);
  if (found.length !== 1) throw new Error(`expected one default aws provider block, found ${found.length}`);
  return found[0];
}

/** The account the stack may touch: its default provider's single allowed_account_ids entry. */
export function stackAccountId(stack: JsonObject): string {
  const ids = defaultAwsProvider(stack).allowed_account_ids;
  if (!Array.isArray(ids) || ids.length !== 1 || typeof ids[0] !== 'string') {
    throw new Error('the default aws provider must allow exactly one account (allowed_account_ids)');
  }
  return ids[0];
}

export function stackRegion(stack: JsonObject): string {
  const region = defaultAwsProvider(stack).region;
  if (typeof region !== 'string') throw new Error('the default aws provider has no literal region');
  return region;
}

/** `${aws_s3_bucket.x.id}` -> `aws_s3_bucket.x`; undefined when the value is not a single reference. */
export function referencedAddress(value: Json | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z0-9_]+\}$/.exec(value);
  return match?.[1];
}

export function cloneJson<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
