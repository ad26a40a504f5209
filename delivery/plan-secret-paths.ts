/**
 * Where secrets sit in the resources the stacks manage or read, by resource type and attribute
 * path, whatever the provider marks sensitive. Terraform masks only what the provider schema (or
 * the configuration) marks; a value the provider forgot to mark is printed in the plan text and
 * carried unmarked in the plan JSON. Masking by pattern (tfcmt's approach) cannot know that an
 * opaque 40-character string is an API key; an attribute path can.
 *
 * Each entry says why and from where. Observations "with provider 5.100.0" were made with the
 * real provider against moto (delivery/testing/secret-plans.ts regenerates them: the committed
 * fixtures under delivery/fixtures/secrets/ show them).
 */
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../contracts/origin-secret';

/**
 * One step of an attribute path: an object key; `*` for every element of a list or set and every
 * value of a map; or `{ where, equals }` for the list elements that are objects whose `where`
 * attribute equals `equals` (case-insensitively, as HTTP header names compare).
 */
export type PathStep = string | { readonly where: string; readonly equals: string };

export interface SecretAttribute {
  /** Resource or data source type; both modes share the table (their schemas name the same attributes). */
  readonly type: string;
  /** Attribute path in the JSON value of the resource (blocks are lists in Terraform's JSON). */
  readonly path: readonly PathStep[];
  readonly why: string;
  readonly source: string;
}

export const ANY: PathStep = '*';

export const SECRET_ATTRIBUTES: readonly SecretAttribute[] = [
  {
    type: 'aws_api_gateway_usage_plan_key',
    path: ['value'],
    why: 'the API key value, copied from the key; not marked sensitive, so a replaced or destroyed binding prints the key',
    source:
      'https://github.com/hashicorp/terraform-provider-aws/issues/26739 (open; fix proposals #41996 open, #49462 closed unmerged); ' +
      'with provider 5.100.0: `- value = "<key>" -> null` in the plan text',
  },
  {
    type: 'aws_api_gateway_api_key',
    path: ['value'],
    why: 'the API key value (the provider marks it sensitive; listed so the JSON and digest never depend on that)',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/api_gateway_api_key (value); ' +
      'with provider 5.100.0: before_sensitive {"value": true}',
  },
  {
    type: 'aws_api_gateway_api_keys',
    path: ['items', ANY, 'value'],
    why: 'data source listing API keys with their values (include_values)',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/data-sources/api_gateway_api_keys',
  },
  {
    type: 'aws_secretsmanager_secret_version',
    path: ['secret_string'],
    why: 'the secret (the origin secret here, stacks/billing/edge/origin-secret.ts)',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/secretsmanager_secret_version (secret_string)',
  },
  {
    type: 'aws_secretsmanager_secret_version',
    path: ['secret_binary'],
    why: 'the secret, binary form (base64)',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/secretsmanager_secret_version (secret_binary)',
  },
  {
    type: 'aws_secretsmanager_random_password',
    path: ['random_password'],
    why: 'the seed of the origin secret: the secret version stores it on first deploy and on rotation; not marked sensitive',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/data-sources/secretsmanager_random_password; ' +
      'with provider 5.100.0: sensitive_values {} in prior_state',
  },
  {
    type: 'aws_secretsmanager_random_password',
    path: ['id'],
    why: 'the provider uses the password as the data source id, which `terraform plan` prints as "Read complete after 0s [id=<password>]"',
    source: 'with provider 5.100.0 against moto: the id equals random_password in prior_state, and the plan log prints it',
  },
  {
    type: 'aws_cloudfront_distribution',
    path: ['origin', ANY, 'custom_header', { where: 'name', equals: ORIGIN_SECRET_HEADER }, 'value'],
    why: 'the origin secret CloudFront sends to API Gateway (contracts/origin-secret.ts); sensitive only as long as Terraform tracks where it came from',
    source:
      'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/cloudfront_distribution (origin custom_header name, value); ' +
      'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html (a custom header to restrict access to an origin)',
  },
  {
    type: 'aws_lambda_function',
    path: ['environment', ANY, 'variables', ORIGIN_SECRET_ENV],
    why: 'the origin secret the handlers compare (stacks/billing/api/handlers.ts)',
    source: 'https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/lambda_function (environment variables)',
  },
];

/** Types whose `id` is itself a secret: the plan log prints it on every refresh or read. */
export function typesWithSecretId(table: readonly SecretAttribute[] = SECRET_ATTRIBUTES): string[] {
  return [...new Set(table.filter((e) => e.path.length === 1 && e.path[0] === 'id').map((e) => e.type))].sort();
}
