/**
 * The keys operator role (stacks/bootstrap/keys-operator-role.ts), as the bootstrap synthesizes it,
 * may make every AWS call the keys CLI makes, and nothing the stacks own. Each SDK command the CLI
 * sends (keys/api-gateway.ts, keys/registry-s3.ts, keys/edge-store-aws.ts) has a row: its IAM
 * action and resource (API Gateway: the HTTP verb on the path's ARN, Service Authorization
 * Reference, API Gateway Management; S3: the object's ARN; the key value store: its ARN, service
 * prefix cloudfront-keyvaluestore). The test reads those files as text and fails on a command
 * without a row, so a new call of the CLI cannot go unjudged. (permissions/ may not import keys/,
 * eslint.layers.mjs; reading the source is not an import.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { roleArn } from '../stacks/bootstrap/deploy-roles';
import { keyRegistryLocation, keysOperatorRoleName } from '../stacks/bootstrap/keys-operator-role';
import { bootstrapStackName } from '../stacks/stack-names';
import { resourcesOf } from '../stacks/testing/synth-platform';
import { evaluate, type AccessRequest, type Identity, type PolicyDocument } from './evaluate';
import { stacks } from './testing/bootstrap-policies';

const CLI_FILES = ['keys/api-gateway.ts', 'keys/registry-s3.ts', 'keys/edge-store-aws.ts', 'keys/marketplace.ts'];
const PLAN = 'u1v2w3';
const KEY = 'k9x8y7';
const KVS_ID = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';

/** SDK command -> the IAM requests AWS authorizes for it. */
function calls(env: EnvironmentConfig): Record<string, readonly AccessRequest[]> {
  const api = (verb: string, path: string): AccessRequest => ({ action: `apigateway:${verb}`, resource: `arn:aws:apigateway:${env.region}::${path}` });
  const { bucket, key } = keyRegistryLocation(env);
  const kvs = (action: string): AccessRequest => ({
    action: `cloudfront-keyvaluestore:${action}`,
    resource: `arn:aws:cloudfront::${env.accountId}:key-value-store/${KVS_ID}`,
  });
  return {
    GetUsagePlansCommand: [api('GET', '/usageplans')],
    GetApiKeysCommand: [api('GET', '/apikeys')],
    CreateApiKeyCommand: [api('POST', '/apikeys')],
    // ImportApiKeys is POST /apikeys?mode=import (https://docs.aws.amazon.com/apigateway/latest/api/API_ImportApiKeys.html).
    ImportApiKeysCommand: [api('POST', '/apikeys')],
    UpdateApiKeyCommand: [api('PATCH', `/apikeys/${KEY}`)],
    DeleteApiKeyCommand: [api('DELETE', `/apikeys/${KEY}`)],
    GetUsagePlanKeysCommand: [api('GET', `/usageplans/${PLAN}/keys`)],
    CreateUsagePlanKeyCommand: [api('POST', `/usageplans/${PLAN}/keys`)],
    DeleteUsagePlanKeyCommand: [api('DELETE', `/usageplans/${PLAN}/keys/${KEY}`)],
    GetUsageCommand: [api('GET', `/usageplans/${PLAN}/usage`)],
    // UpdateUsage is PATCH /usageplans/{id}/keys/{keyId}/usage (https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateUsage.html).
    UpdateUsageCommand: [api('PATCH', `/usageplans/${PLAN}/keys/${KEY}/usage`)],
    GetObjectCommand: [{ action: 's3:GetObject', resource: `arn:aws:s3:::${bucket}/${key}` }],
    PutObjectCommand: [{ action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${key}` }],
    DescribeKeyValueStoreCommand: [kvs('DescribeKeyValueStore')],
    ListKeysCommand: [kvs('ListKeys')],
    GetKeyCommand: [kvs('GetKey')],
    UpdateKeysCommand: [kvs('UpdateKeys')],
    // ResolveCustomer: aws-marketplace:ResolveCustomer, no resource type (SAR, AWS Marketplace Metering Service).
    ResolveCustomerCommand: [{ action: 'aws-marketplace:ResolveCustomer', resource: '*' }],
  };
}

/** The SDK commands the CLI's AWS backends construct. */
function commandsOfCli(): string[] {
  const root = join(__dirname, '..');
  const found = CLI_FILES.flatMap((file) => [...readFileSync(join(root, file), 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1]));
  return [...new Set(found)].sort();
}

function keysOperator(env: EnvironmentConfig): Identity {
  const synth = stacks.get(bootstrapStackName(env.accountId, platformConfig.bootstrap.accountId));
  if (synth === undefined) throw new Error(`no bootstrap stack for ${env.name}`);
  const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) =>
    String(p.role).includes(`aws_iam_role.keys-operator-${env.name}_role_`),
  );
  if (policies.length !== 1) throw new Error(`expected one policy of the ${env.name} keys operator, found ${policies.length}`);
  return {
    arn: roleArn(env.accountId, keysOperatorRoleName(env)),
    policies: [{ name: 'keys-cli', document: JSON.parse(String(policies[0].policy)) as PolicyDocument }],
  };
}

test('every SDK command of the keys CLI has a row (the CLI makes at least the API Gateway, S3 and key store calls)', () => {
  const rows = Object.keys(calls(platformConfig.environments[0]));
  const commands = commandsOfCli();
  expect(commands.length).toBeGreaterThanOrEqual(15);
  expect(commands.filter((c) => !rows.includes(c))).toEqual([]);
});

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('the %s keys operator', (_name, env) => {
  const identity = keysOperator(env);

  test.each(Object.entries(calls(env)))('may make %s', async (_command, requests) => {
    for (const request of requests) expect({ ...request, decision: await evaluate(identity, request) }).toEqual({ ...request, decision: 'Allowed' });
  });

  test.each([
    ['read the state', { action: 's3:GetObject', resource: `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/billing-${env.name}/terraform.tfstate` }],
    ['write another object of the registry bucket', { action: 's3:PutObject', resource: `arn:aws:s3:::${keyRegistryLocation(env).bucket}/other.json` }],
    ['delete the registry', { action: 's3:DeleteObject', resource: `arn:aws:s3:::${keyRegistryLocation(env).bucket}/registry.json` }],
    ['change a usage plan', { action: 'apigateway:PATCH', resource: `arn:aws:apigateway:${env.region}::/usageplans/${PLAN}` }],
    ['delete the REST API', { action: 'apigateway:DELETE', resource: `arn:aws:apigateway:${env.region}::/restapis/a1b2c3` }],
    ['delete the key value store', { action: 'cloudfront:DeleteKeyValueStore', resource: `arn:aws:cloudfront::${env.accountId}:key-value-store/${KVS_ID}` }],
    ['pass a role', { action: 'iam:PassRole', resource: roleArn(env.accountId, `${env.prefix}-github-apply`) }],
    ['meter usage (the usage job bills, not the operator)', { action: 'aws-marketplace:BatchMeterUsage', resource: '*' }],
  ] as const)('may not %s', async (_what, request) => {
    await expect(evaluate(identity, request)).resolves.toBe('ImplicitlyDenied');
  });
});
