/**
 * Customers for the usage job, made the way an operator makes them: the keys CLI
 * (`npm run --silent keys -- create ...`, docs/keys.md) against the stack's moto server, with the
 * registry in the bucket Terraform created and the API Gateway keys bound to the usage plans
 * Terraform created. The edge store is a file (moto has no KeyValueStore data API). Terraform
 * creates no key and no binding any more, so without this the usage job would have nobody to bill.
 * The customers are revoked again before destroy: their API Gateway keys are not Terraform's, and
 * destroy must leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import { KEY_REGISTRY_OBJECT, type DeployedUsagePlan } from '../contracts/usage-job-deployment';
import { resourceNames } from '../contracts/resource-names';
import type { EnvironmentConfig } from '../config/types';
import { REPO_ROOT } from '../stacks/shared/repo';
import { FAKE_CREDENTIALS } from '../test-support/moto-server';
import type { AwsClients } from './aws-clients';
import type { Findings } from './findings';

export interface SeededCustomer {
  readonly id: string;
  readonly plan: string;
  readonly fingerprint: string;
}

/** One customer per configured usage plan, so every plan has a key the job reconciles. */
export function checkCustomers(env: EnvironmentConfig): { id: string; customer: string; plan: string }[] {
  return Object.keys(env.usagePlans).map((plan) => ({ id: `check-${plan}`, customer: `Engine check (${plan})`, plan }));
}

function keysCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'keys', '--', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function cliEnv(env: EnvironmentConfig, motoEndpoint: string, workDir: string): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(vars)) if (name.startsWith('AWS_') || name.startsWith('KEYS_')) delete vars[name];
  return {
    ...vars,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_REGION: env.region,
    KEYS_S3_ENDPOINT: motoEndpoint,
    KEYS_APIGW_ENDPOINT: motoEndpoint,
    KEYS_EDGE_FILE: join(workDir, 'edge-keys.json'),
  };
}

async function run(args: readonly string[], vars: NodeJS.ProcessEnv): Promise<string> {
  const r = await keysCli(args, vars);
  if (r.code !== 0) throw new Error(`keys ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return r.stdout;
}

/** Creates the check's customers with the keys CLI; never prints their key values. */
export async function seedCustomers(env: EnvironmentConfig, motoEndpoint: string, workDir: string): Promise<SeededCustomer[]> {
  const vars = cliEnv(env, motoEndpoint, workDir);
  const seeded: SeededCustomer[] = [];
  for (const c of checkCustomers(env)) {
    const out = JSON.parse(await run(['create', '--customer', c.customer, '--plan', c.plan, '--id', c.id, '--env', env.name, '--format', 'json'], vars)) as {
      id: string;
      plan: string;
      fingerprint: string;
    };
    seeded.push({ id: out.id, plan: out.plan, fingerprint: out.fingerprint });
  }
  return seeded;
}

/** Revokes the check's customers: their API Gateway keys are deleted, as `keys revoke` does. */
export async function revokeCustomers(env: EnvironmentConfig, customers: readonly SeededCustomer[], motoEndpoint: string, workDir: string): Promise<void> {
  const vars = cliEnv(env, motoEndpoint, workDir);
  for (const c of customers) await run(['revoke', c.id, '--env', env.name, '--format', 'json'], vars);
}

/**
 * Reads back what the CLI wrote: the registry object in the registry bucket Terraform created
 * (versioned: every write a version), each customer's key attached to its configured plan.
 * Returns usage plan id -> attached API key ids, what the GetUsage stand-in serves.
 */
export async function readBackCustomers(
  env: EnvironmentConfig,
  customers: readonly SeededCustomer[],
  plans: Readonly<Record<string, DeployedUsagePlan>>,
  aws: AwsClients,
  f: Findings,
): Promise<Record<string, string[]>> {
  const bucket = resourceNames(env).keyRegistryBucket;
  const object = await f.read('key registry', () => aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: KEY_REGISTRY_OBJECT })));
  const text = object?.Body === undefined ? undefined : await object.Body.transformToString('utf-8');
  const doc =
    text === undefined ? undefined : (JSON.parse(text) as { customers: Record<string, { plan: string; keys: { fingerprint: string; apiKeyId?: string }[] }> });
  f.equal(
    `key registry s3://${bucket}/${KEY_REGISTRY_OBJECT} customers`,
    Object.entries(doc?.customers ?? {})
      .map(([id, c]) => [id, c.plan, c.keys.map((k) => k.fingerprint)])
      .sort(),
    customers.map((c) => [c.id, c.plan, [c.fingerprint]]).sort(),
  );
  const versions = await f.read('key registry versions', () => aws.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: KEY_REGISTRY_OBJECT })));
  f.that('key registry keeps every write as a version (bucket versioning)', (versions?.Versions?.length ?? 0) > 1, String(versions?.Versions?.length));
  const planKeys: Record<string, string[]> = {};
  for (const [name, plan] of Object.entries(plans)) {
    const attached = await f.read(`keys of usage plan ${name}`, () =>
      aws.apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.usagePlanId, limit: 500 })),
    );
    planKeys[plan.usagePlanId] = (attached?.items ?? []).map((k) => k.id ?? '').sort();
  }
  for (const c of customers) {
    const keyIds = (doc?.customers[c.id]?.keys ?? []).map((k) => k.apiKeyId ?? '-');
    const planId = plans[c.plan]?.usagePlanId ?? '';
    f.that(
      `customer ${c.id}'s key is attached to usage plan ${c.plan} only`,
      keyIds.length === 1 && Object.entries(planKeys).every(([id, ids]) => ids.includes(keyIds[0]) === (id === planId)),
    );
  }
  return planKeys;
}
