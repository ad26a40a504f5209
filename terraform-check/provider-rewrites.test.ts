import { platformConfig } from '../config/environments';
import { synthPlatform } from '../stacks/testing/synth-platform';
import {
  LOCAL_AWS_PROVIDER_VERSION,
  PROVIDER_REWRITES,
  rewriteForLocalProvider,
  unsupportedConstructs,
  unsupportedMessage,
  type ProviderSchema,
} from './provider-rewrites';
import { blocksOf, type JsonObject } from './terraform-json';

const stacks = synthPlatform(platformConfig, 'local');
const copyOf = (name: string): JsonObject => {
  const s = stacks.get(name);
  if (s === undefined) throw new Error(`no stack ${name}`);
  return JSON.parse(s.text) as JsonObject;
};

describe('rewrites for the local provider', () => {
  it('every rewrite has an id and a reason', () => {
    expect(PROVIDER_REWRITES.map((r) => r.id)).toEqual(['provider-pin', 'resource-region-to-provider-alias', 'lambda-runtime-fallback']);
    for (const r of PROVIDER_REWRITES) expect(r.reason.length).toBeGreaterThan(40);
  });

  it('billing stack: pins 5.100.0, moves the us-east-1 log delivery to a provider alias, runs nodejs22.x', () => {
    const stack = copyOf('billing-dev');
    const applied = rewriteForLocalProvider(stack);
    expect((stack.terraform as JsonObject).required_providers).toEqual({ aws: { source: 'hashicorp/aws', version: LOCAL_AWS_PROVIDER_VERSION } });
    const moved = applied.find((a) => a.id === 'resource-region-to-provider-alias')?.changes.map((c) => c.at.split('.')[0]);
    expect(moved).toEqual(['aws_cloudwatch_log_delivery', 'aws_cloudwatch_log_delivery_destination', 'aws_cloudwatch_log_delivery_source']);
    const providers = (stack.provider as { aws: JsonObject[] }).aws;
    expect(providers.map((p) => [p.alias ?? null, p.region, p.allowed_account_ids])).toEqual([
      [null, 'eu-west-1', ['111111111111']],
      ['region_us_east_1', 'us-east-1', ['111111111111']],
    ]);
    for (const b of blocksOf(stack)) {
      expect(b.body.region).toBeUndefined();
      if (b.type.startsWith('aws_cloudwatch_log_deliver')) expect(b.body.provider).toBe('aws.region_us_east_1');
      if (b.type === 'aws_lambda_function') expect(b.body.runtime).toBe('nodejs22.x');
    }
  });

  it('bootstrap stacks need only the provider pin', () => {
    const stack = copyOf('bootstrap');
    const applied = rewriteForLocalProvider(stack);
    expect(applied.filter((a) => a.changes.length > 0).map((a) => a.id)).toEqual(['provider-pin']);
  });

  it('a region given as an expression is not covered, by name', () => {
    const stack = copyOf('billing-dev');
    const resources = stack.resource as Record<string, Record<string, JsonObject>>;
    const [name] = Object.keys(resources.aws_sns_topic);
    resources.aws_sns_topic[name].region = '${var.region}';
    expect(() => rewriteForLocalProvider(stack)).toThrow(`aws_sns_topic.${name}: region "\${var.region}" is not a literal`);
  });
});

describe('unsupported constructs', () => {
  const schema: ProviderSchema = {
    provider: { block: { attributes: { region: {}, allowed_account_ids: {} } } },
    resource_schemas: {
      aws_thing: { block: { attributes: { name: {}, tags: {} }, block_types: { config: { block: { attributes: { size: {} } } } } } },
    },
    data_source_schemas: {},
  };

  it('names each argument, nested argument and resource type the schema lacks', () => {
    const stack: JsonObject = {
      provider: { aws: [{ region: 'eu-west-1', allowed_account_ids: ['1'], alias: 'x' }] },
      resource: {
        aws_thing: { a: { name: 'a', region: 'us-east-1', depends_on: [], lifecycle: {}, config: [{ size: 1, colour: 'red' }] } },
        aws_newer: { b: { name: 'b' } },
      },
    };
    expect(unsupportedConstructs(stack, schema)).toEqual([
      'aws_thing.a: argument "region"',
      'aws_thing.a.config[0]: argument "colour"',
      'aws_newer.b: resource type aws_newer',
    ]);
    expect(unsupportedMessage('billing-x', ['aws_thing.a: argument "region"'])).toBe(
      `billing-x: not in AWS provider ${LOCAL_AWS_PROVIDER_VERSION}'s schema and covered by no rewrite (add one to terraform-check/provider-rewrites.ts with its reason, or change the stack): aws_thing.a: argument "region"`,
    );
  });

  it('finds nothing in a copy that fits', () => {
    expect(unsupportedConstructs({ resource: { aws_thing: { a: { name: 'a', config: { size: 2 } } } } }, schema)).toEqual([]);
  });

  it("leaves Terraform's own terraform_data to Terraform, not to the AWS provider's schema", () => {
    expect(unsupportedConstructs({ resource: { terraform_data: { t: { input: { region: 'us-east-1' } } } } }, schema)).toEqual([]);
  });
});
