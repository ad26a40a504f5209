/**
 * Points every aws provider block of a test copy at the stack's moto server: an endpoint for each
 * service the stack's resources use (and STS, which the provider asks for the account id that
 * allowed_account_ids is checked against), moto's fake credentials, path-style S3 and no instance
 * metadata lookups. A resource type no entry covers fails the check by name, so no call can go to
 * a real AWS endpoint. Endpoint keys are those of provider 5.100.0's `endpoints` block.
 */
import type { RewriteChange } from './provider-rewrites';
import { awsProviderBlocks, blocksOf, BUILTIN_RESOURCE_TYPES, type JsonObject } from './terraform-json';
import { FAKE_CREDENTIALS } from '../test-support/moto-server';

/** Resource type prefix -> endpoint key; the first matching prefix wins. */
export const SERVICE_ENDPOINTS: readonly (readonly [prefix: string, endpoint: string])[] = [
  ['aws_api_gateway_', 'apigateway'],
  ['aws_athena_', 'athena'],
  ['aws_cloudfront_', 'cloudfront'],
  ['aws_cloudwatch_log_', 'logs'],
  ['aws_cloudwatch_event_', 'events'],
  ['aws_cloudwatch_', 'cloudwatch'],
  ['aws_glue_', 'glue'],
  ['aws_iam_', 'iam'],
  ['aws_lambda_', 'lambda'],
  ['aws_s3_', 's3'],
  ['aws_secretsmanager_', 'secretsmanager'],
  ['aws_sns_', 'sns'],
];

/** The endpoint keys the stack needs, sorted; throws naming each resource type no entry covers. */
export function endpointKeys(stack: JsonObject): string[] {
  const keys = new Set<string>(['sts']);
  const uncovered = new Set<string>();
  for (const block of blocksOf(stack)) {
    if (BUILTIN_RESOURCE_TYPES.has(block.type)) continue;
    const entry = SERVICE_ENDPOINTS.find(([prefix]) => block.type.startsWith(prefix));
    if (entry === undefined) uncovered.add(block.type);
    else keys.add(entry[1]);
  }
  if (uncovered.size > 0) {
    throw new Error(`no moto endpoint for ${[...uncovered].sort().join(', ')}: add the service to SERVICE_ENDPOINTS in terraform-check/moto-provider.ts`);
  }
  return [...keys].sort();
}

export function pointAtMoto(stack: JsonObject, endpoint: string): RewriteChange[] {
  const keys = endpointKeys(stack);
  const endpoints = Object.fromEntries(keys.map((k) => [k, endpoint]));
  return awsProviderBlocks(stack).map((p) => {
    Object.assign(p, {
      access_key: FAKE_CREDENTIALS.accessKeyId,
      secret_key: FAKE_CREDENTIALS.secretAccessKey,
      s3_use_path_style: true,
      skip_metadata_api_check: 'true',
      endpoints: [endpoints],
    });
    return { at: `provider.aws${typeof p.alias === 'string' ? `.${p.alias}` : ''}`, detail: `endpoints ${keys.join(', ')} -> ${endpoint}` };
  });
}
