/**
 * The product pins AWS provider 6.25 (@cdktf/provider-aws 21.22). The check runs the provider this
 * machine has: 5.100.0 from a local mirror (the public registry cannot be reached and 6.x cannot be
 * built here). These are the rewrites a TEST COPY of a stack needs so that 5.100.0 accepts it; the
 * product's JSON is never changed. Each rewrite says why. After them, `unsupportedConstructs`
 * compares every argument and block of the copy with 5.100.0's own schema
 * (`terraform providers schema -json`): a 6.x-only construct no rewrite covers fails the check by
 * resource and argument name. Value-level differences (an enum value 5.100.0 does not know) are
 * caught by `terraform validate`, which names the resource and attribute itself.
 */
import {
  awsProviderBlocks,
  blocksOf,
  BUILTIN_RESOURCE_TYPES,
  defaultAwsProvider,
  isObject,
  META_ARGUMENTS,
  type Json,
  type JsonObject,
} from './terraform-json';

export const LOCAL_AWS_PROVIDER_VERSION = '5.100.0';
export const AWS_PROVIDER_SOURCE = 'registry.terraform.io/hashicorp/aws';

export interface RewriteChange {
  /** Resource address or configuration path the change touched. */
  readonly at: string;
  readonly detail: string;
}

export interface ProviderRewrite {
  readonly id: string;
  /** Why 5.100.0 needs it, with where that was checked. */
  readonly reason: string;
  /** Rewrites `stack` in place; returns what it changed (empty when the stack needs nothing). */
  apply(stack: JsonObject): RewriteChange[];
}

/**
 * Lambda runtimes provider 6.x accepts and 5.100.0 does not, with the newest runtime 5.100.0 has of
 * the same language. 5.100.0's runtime validation ends at nodejs22.x (the strings in its binary:
 * nodejs10.x ... nodejs22.x); nodejs24.x is accepted from 6.20 (changelog entry of PR 45024, issue 44986)
 * (https://github.com/hashicorp/terraform-provider-aws/pull/45024).
 */
export const RUNTIME_FALLBACKS: Readonly<Record<string, string>> = { 'nodejs24.x': 'nodejs22.x' };

function providerPin(stack: JsonObject): RewriteChange[] {
  const terraform = stack.terraform;
  const required = isObject(terraform) ? terraform.required_providers : undefined;
  if (!isObject(required) || !isObject(required.aws)) throw new Error('terraform.required_providers.aws is missing');
  const before = JSON.stringify(required.aws);
  required.aws = { source: 'hashicorp/aws', version: LOCAL_AWS_PROVIDER_VERSION };
  return [{ at: 'terraform.required_providers.aws', detail: `${before} -> ${JSON.stringify(required.aws)}` }];
}

function aliasFor(region: string): string {
  return `region_${region.replace(/-/g, '_')}`;
}

/** Provider 6's per-resource `region` becomes a provider alias with that region (5.x's way). */
function regionToAlias(stack: JsonObject): RewriteChange[] {
  const changes: RewriteChange[] = [];
  const base = defaultAwsProvider(stack);
  const providers = awsProviderBlocks(stack);
  for (const block of blocksOf(stack)) {
    const region = block.body.region;
    if (region === undefined) continue;
    if (typeof region !== 'string' || region.includes('${')) {
      throw new Error(`${block.address}: region ${JSON.stringify(region)} is not a literal; the region-to-alias rewrite cannot cover it`);
    }
    delete block.body.region;
    if (region === base.region) {
      changes.push({ at: block.address, detail: `region "${region}" dropped (the default provider's region)` });
      continue;
    }
    const alias = aliasFor(region);
    if (!providers.some((p) => p.alias === alias)) {
      const copy: JsonObject = { ...JSON.parse(JSON.stringify(base)), alias, region };
      providers.push(copy);
    }
    block.body.provider = `aws.${alias}`;
    changes.push({ at: block.address, detail: `region "${region}" -> provider = aws.${alias}` });
  }
  if (changes.length > 0) {
    const container = stack.provider;
    if (isObject(container)) container.aws = providers;
  }
  return changes;
}

function lambdaRuntime(stack: JsonObject): RewriteChange[] {
  const changes: RewriteChange[] = [];
  for (const block of blocksOf(stack)) {
    if (block.type !== 'aws_lambda_function' || block.mode !== 'resource') continue;
    const runtime = block.body.runtime;
    if (typeof runtime !== 'string') continue;
    const fallback = RUNTIME_FALLBACKS[runtime];
    if (fallback === undefined) continue;
    block.body.runtime = fallback;
    changes.push({ at: block.address, detail: `runtime ${runtime} -> ${fallback}` });
  }
  return changes;
}

export const PROVIDER_REWRITES: readonly ProviderRewrite[] = [
  {
    id: 'provider-pin',
    reason:
      `The product requires hashicorp/aws 6.25.0; the local mirror holds only ${LOCAL_AWS_PROVIDER_VERSION} ` +
      '(the registry cannot be reached and 6.x cannot be built here), so the test copy pins that.',
    apply: providerPin,
  },
  {
    id: 'resource-region-to-provider-alias',
    reason:
      'Provider 6.0 added a `region` argument to every regional resource ("enhanced region support"); ' +
      `${LOCAL_AWS_PROVIDER_VERSION}'s schema has none. The test copy moves each such resource to a provider alias ` +
      'configured like the default provider but with that region, which is how 5.x places a resource in another region.',
    apply: regionToAlias,
  },
  {
    id: 'lambda-runtime-fallback',
    reason:
      `${LOCAL_AWS_PROVIDER_VERSION} validates aws_lambda_function.runtime against its own list, which ends at nodejs22.x; ` +
      'nodejs24.x is accepted from provider 6.20 (terraform-provider-aws PR 45024, released in 6.20.0). The test copy runs the newest runtime ' +
      `${LOCAL_AWS_PROVIDER_VERSION} knows for the same language.`,
    apply: lambdaRuntime,
  },
];

export interface AppliedRewrite {
  readonly id: string;
  readonly reason: string;
  readonly changes: readonly RewriteChange[];
}

/** Applies every rewrite to `stack` in place, in order. */
export function rewriteForLocalProvider(stack: JsonObject): AppliedRewrite[] {
  return PROVIDER_REWRITES.map((r) => ({ id: r.id, reason: r.reason, changes: r.apply(stack) }));
}

/** The subset of `terraform providers schema -json` this module reads. */
export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly block_types?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
}

export interface ProviderSchema {
  readonly provider: { readonly block: SchemaBlock };
  readonly resource_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
  readonly data_source_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
}

/** `terraform providers schema -json` output -> the AWS provider's schema. */
export function awsProviderSchema(schemasJson: unknown): ProviderSchema {
  const all = (schemasJson as { provider_schemas?: Record<string, ProviderSchema> }).provider_schemas;
  const schema = all?.[AWS_PROVIDER_SOURCE];
  if (schema === undefined) throw new Error(`terraform providers schema -json lists no ${AWS_PROVIDER_SOURCE}`);
  return schema;
}

function unknownArguments(block: SchemaBlock, body: JsonObject, at: string, skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (skip.has(key)) continue;
    if (block.attributes?.[key] !== undefined) continue;
    const nested = block.block_types?.[key];
    if (nested === undefined) {
      out.push(`${at}: argument "${key}"`);
      continue;
    }
    const items: Json[] = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      if (isObject(item)) out.push(...unknownArguments(nested.block, item, `${at}.${key}[${i}]`, new Set(['//'])));
    });
  }
  return out;
}

/**
 * Arguments, blocks and resource types of the (rewritten) copy that the local provider's schema
 * does not have, each as "<address>: argument "<name>"". Empty when the copy fits the schema.
 */
export function unsupportedConstructs(stack: JsonObject, schema: ProviderSchema): string[] {
  const out: string[] = [];
  for (const block of blocksOf(stack)) {
    if (BUILTIN_RESOURCE_TYPES.has(block.type)) continue;
    const types = block.mode === 'resource' ? schema.resource_schemas : schema.data_source_schemas;
    const typeSchema = types[block.type];
    if (typeSchema === undefined) {
      out.push(`${block.address}: ${block.mode} type ${block.type}`);
      continue;
    }
    out.push(...unknownArguments(typeSchema.block, block.body, block.address, META_ARGUMENTS));
  }
  awsProviderBlocks(stack).forEach((p, i) => {
    out.push(...unknownArguments(schema.provider.block, p, `provider.aws[${i}]`, new Set(['//', 'alias'])));
  });
  return out;
}

/** One line per construct, for an error message. */
export function unsupportedMessage(stackName: string, constructs: readonly string[]): string {
  return (
    `${stackName}: not in AWS provider ${LOCAL_AWS_PROVIDER_VERSION}'s schema and covered by no rewrite ` +
    `(add one to terraform-check/provider-rewrites.ts with its reason, or change the stack): ${constructs.join('; ')}`
  );
}
