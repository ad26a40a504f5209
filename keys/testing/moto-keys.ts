/**
 * Test and benchmark harness for the keys CLI against moto: the registry bucket (versioned), a REST
 * API with a stage and the environment's usage plans named as Terraform names them
 * (stacks/billing/api/usage-plans.ts), the API Gateway stand-in in front of moto, and the
 * environment variables that point the CLI at all of it. Also the invariant the fault test checks.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { parseEdgeValue } from '../../contracts/edge-keys';
import type { EnvironmentConfig } from '../../config/types';
import type { EdgeKeyStore } from '../edge-store';
import type { RegistryDocument } from '../registry';

export const ROOT = join(__dirname, '..', '..');

export interface MotoKeysSetup {
  readonly bucket: string;
  readonly planIds: ReadonlyMap<string, string>;
}

/** Creates what the billing stack would: the registry bucket and the usage plans on a deployed stage. */
export async function provision(endpoint: string, env: EnvironmentConfig): Promise<MotoKeysSetup> {
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const s3 = new S3Client({ region: env.region, endpoint, credentials, forcePathStyle: true });
  const bucket = `${env.prefix}-key-registry-${env.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: env.region as 'eu-west-1' } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const apigw = new APIGatewayClient({ region: env.region, endpoint, credentials });
  const api = await apigw.send(new CreateRestApiCommand({ name: `${env.prefix}-api` }));
  const restApiId = api.id as string;
  const root = (await apigw.send(new GetResourcesCommand({ restApiId }))).items?.[0]?.id as string;
  const res = await apigw.send(new CreateResourceCommand({ restApiId, parentId: root, pathPart: 'hello' }));
  await apigw.send(new PutMethodCommand({ restApiId, resourceId: res.id, httpMethod: 'GET', authorizationType: 'NONE', apiKeyRequired: true }));
  await apigw.send(new PutIntegrationCommand({ restApiId, resourceId: res.id, httpMethod: 'GET', type: 'MOCK' }));
  await apigw.send(new CreateDeploymentCommand({ restApiId, stageName: 'v1' }));
  const planIds = new Map<string, string>();
  for (const [name, plan] of Object.entries(env.usagePlans)) {
    const p = await apigw.send(
      new CreateUsagePlanCommand({
        name: `${env.prefix}-${name}`,
        apiStages: [{ apiId: restApiId, stage: 'v1' }],
        quota: { limit: plan.monthlyQuota, period: 'MONTH' },
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
      }),
    );
    planIds.set(name, p.id as string);
  }
  return { bucket, planIds };
}

/** A request header that makes moto answer for `region` (it reads the Region from the signature). */
export const motoAuth = (region: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/apigateway/aws4_request` });

export function cliEnv(motoEndpoint: string, apigwEndpoint: string, bucket: string, edgeFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK's Node-version notice would otherwise be the first line of every stderr.
    NODE_NO_WARNINGS: '1',
    KEYS_S3_ENDPOINT: motoEndpoint,
    KEYS_APIGW_ENDPOINT: apigwEndpoint,
    KEYS_REGISTRY_BUCKET: bucket,
    KEYS_EDGE_FILE: edgeFile,
    ...extra,
  };
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the keys CLI as `npm run keys` does (tsx), in its own process so it can be killed. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv, stdio: 'pipe' | 'ignore' = 'pipe') {
  return spawn(process.execPath, ['--import', 'tsx', 'keys/cli.ts', ...args], { cwd: ROOT, env, stdio });
}

/** Runs the keys CLI to its end (or its kill) and collects what it printed. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export interface GatewayView {
  /** Fingerprint of every enabled API Gateway key bound to a usage plan. */
  readonly usable: ReadonlySet<string>;
  readonly keyCount: number;
}

/** What API Gateway would admit, read straight from moto (values included, to fingerprint them). */
export async function gatewayView(endpoint: string, env: EnvironmentConfig, planIds: ReadonlyMap<string, string>): Promise<GatewayView> {
  const get = async (path: string) =>
    (await (await fetch(`${endpoint}${path}`, { headers: motoAuth(env.region) })).json()) as { item?: Record<string, unknown>[] };
  const keys = (await get('/apikeys?includeValues=true')).item ?? [];
  const bound = new Set<string>();
  for (const id of planIds.values()) for (const k of (await get(`/usageplans/${id}/keys`)).item ?? []) bound.add(String(k.id));
  const usable = new Set<string>();
  for (const k of keys)
    if (k.enabled === true && bound.has(String(k.id)) && String(k.name).startsWith(`${env.prefix}-`)) usable.add(apiKeyFingerprint(String(k.value)));
  return { usable, keyCount: keys.length };
}

export interface Violations {
  readonly usableButUnbilled: string[];
  readonly billedButUnusable: string[];
  readonly pending: string[];
}

/**
 * A key is usable when the edge admits its fingerprint now and API Gateway has it enabled in a
 * plan; billed when the registry lists it active or in grace for a customer.
 */
export async function violations(doc: RegistryDocument, gateway: GatewayView, edge: EdgeKeyStore, now: Date): Promise<Violations> {
  const entries = await edge.list();
  const edgeAdmits = (fp: string): boolean => {
    const v = entries.get(fp);
    const s = v === undefined ? undefined : parseEdgeValue(v);
    return s !== undefined && (s.kind === 'active' || s.untilEpochSeconds * 1000 > now.getTime());
  };
  const billed = new Set<string>();
  const attributed = new Set<string>();
  const pending: string[] = [];
  for (const c of Object.values(doc.customers)) {
    if (c.pending !== undefined) pending.push(`${c.id}:${c.pending.kind}`);
    for (const k of c.keys) {
      if (k.state === 'active' || (k.state === 'grace' && Date.parse(k.graceUntil ?? '') > now.getTime())) billed.add(k.fingerprint);
      // A pending key's requests are billed to its customer too (billableKeys), though nobody has its value yet.
      if (k.state === 'pending') attributed.add(k.fingerprint);
    }
  }
  const usable = new Set([...gateway.usable].filter(edgeAdmits));
  return {
    usableButUnbilled: [...usable].filter((f) => !billed.has(f) && !attributed.has(f)),
    billedButUnusable: [...billed].filter((f) => !usable.has(f)),
    pending,
  };
}

/** For the benchmark, which may import testing/ helpers but not test-support/. */
export { startMotoServer, type MotoServer } from '../../test-support/moto-server';
