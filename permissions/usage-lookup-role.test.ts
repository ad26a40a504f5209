/**
 * The GET /usage function's role (stacks/billing/api/usage-lookup.ts), as the billing stack
 * synthesizes it and under the environment's boundary as the bootstrap synthesizes it, may make
 * every AWS call its handler makes and nothing else: GetObject of the registry object and of a
 * month's customer usage summary. Each SDK command the handler's source sends
 * (lambdas/handlers/usage-source.ts) has a row: the test reads that file as text and fails on a
 * command without one (permissions/ may not import lambdas/; reading the source is not an import).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { resourceNames } from '../contracts/resource-names';
import { roleArn } from '../stacks/bootstrap/deploy-roles';
import { boundedRolePath } from '../stacks/bootstrap/role-boundary';
import { billingStackName } from '../stacks/stack-names';
import { resourcesOf } from '../stacks/testing/synth-platform';
import { evaluate, type AccessRequest, type Identity, type PolicyDocument } from './evaluate';
import { boundaryDocument, stacks } from './testing/bootstrap-policies';

const SOURCE = 'lambdas/handlers/usage-source.ts';

function calls(env: EnvironmentConfig): Record<string, readonly AccessRequest[]> {
  const names = resourceNames(env);
  return {
    // GetObject with If-None-Match needs s3:GetObject (Service Authorization Reference, Amazon S3).
    GetObjectCommand: [
      { action: 's3:GetObject', resource: `arn:aws:s3:::${names.keyRegistryBucket}/registry.json` },
      { action: 's3:GetObject', resource: `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-11.json` },
    ],
  };
}

function lookupRole(env: EnvironmentConfig): Identity {
  const synth = stacks.get(billingStackName(env.name));
  if (synth === undefined) throw new Error(`no stack ${billingStackName(env.name)}`);
  const roleName = `${env.prefix}-usage-lambda`;
  const [id] = [...resourcesOf(synth, 'aws_iam_role')].find(([, role]) => role.name === roleName) ?? [];
  if (id === undefined) throw new Error(`no role ${roleName} in ${billingStackName(env.name)}`);
  const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()]
    .filter((p) => p.role === `\${aws_iam_role.${id}.id}`)
    .map((p) => ({ name: String(p.name), document: JSON.parse(String(p.policy)) as PolicyDocument }));
  return { arn: roleArn(env.accountId, `${boundedRolePath(env).slice(1)}${roleName}`), policies, boundary: boundaryDocument(env) };
}

test('every SDK command of the GET /usage source has a row', () => {
  const found = [...new Set([...readFileSync(join(__dirname, '..', SOURCE), 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1]))];
  expect(found.sort()).toEqual(Object.keys(calls(platformConfig.environments[0])).sort());
});

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('the %s GET /usage role', (_name, env) => {
  const identity = lookupRole(env);
  const names = resourceNames(env);

  test.each(Object.entries(calls(env)))('may make %s', async (_command, requests) => {
    for (const request of requests) expect({ ...request, decision: await evaluate(identity, request) }).toEqual({ ...request, decision: 'Allowed' });
  });

  test.each([
    ['write the registry', { action: 's3:PutObject', resource: `arn:aws:s3:::${names.keyRegistryBucket}/registry.json` }],
    ['read another object of the registry bucket', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.keyRegistryBucket}/registry.json.v3` }],
    ['write a summary', { action: 's3:PutObject', resource: `arn:aws:s3:::${names.usageBucket}/customer-usage/2026-11.json` }],
    ['read the rollups', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.usageBucket}/rollups/hourly/2026-11-20/10.json` }],
    ['read an invoice', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.usageBucket}/invoices/${env.name}/2026-11/run-1-attempt-1.csv` }],
    ['read the deployment file', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.usageBucket}/config/usage-job.json` }],
    // Not needed: the month's summary exists from 00:00 on the 1st (the opening summary the previous month's runs write).
    ['list the usage bucket', { action: 's3:ListBucket', resource: `arn:aws:s3:::${names.usageBucket}` }],
    ['read the logs', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.logBucket}/AWSLogs/x.parquet` }],
    ['read API keys', { action: 'apigateway:GET', resource: `arn:aws:apigateway:${env.region}::/apikeys` }],
  ] as const)('may not %s', async (_what, request) => {
    await expect(evaluate(identity, request)).resolves.toBe('ImplicitlyDenied');
  });
});

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('the %s boundary', (_name, env) => {
  test('lets no other handler role read the summaries: only the GET /usage role has a read policy', () => {
    const synth = stacks.get(billingStackName(env.name))!;
    const readers = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) => String(p.policy).includes('s3:GetObject'));
    expect(readers.map((p) => p.name)).toEqual(['read-only']);
  });
});
