/**
 * Onboarding benchmark: `npm run bench:keys -- [--keys 10000] [--sample 200] [--ops 100] [--write-doc]`.
 *
 * Runs the keys commands in-process against moto (S3 registry, API Gateway) behind the API Gateway
 * stand-in, which throttles at AWS's published limits (keys/limits.ts) and implements ImportApiKeys
 * (keys/testing/apigw-standin.ts says what it assumes). The edge store is a file.
 *
 *   1. one at a time: `--sample` keys through CreateApiKey + CreateUsagePlanKey, measured; the
 *      figure for `--keys` keys is the measured run plus the remaining keys at the steady rate AWS's
 *      limits allow (two calls per key at 10 per second for the account, CreateApiKey at 5 per
 *      second: 5 keys a second). Running 10,000 for real would take over half an hour.
 *   2. ImportApiKeys: `--keys` keys for real, 1,000 rows per call, from a fresh moto.
 *   3. revoke `--ops` customers, then rotate `--ops` customers, one command each.
 * Wall time includes moto's own work (every imported row is a moto call in the stand-in).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { apiGatewayClient, AwsKeyGateway, type GatewayStats } from '../keys/api-gateway';
import { createFromCsv, type BulkMode, type CsvCustomer } from '../keys/bulk';
import { generateKeyValue } from '../keys/cli';
import { revokeKey, rotateKey, type KeysContext } from '../keys/commands';
import { FileEdgeKeyStore } from '../keys/edge-store-file';
import { ACCOUNT_CONTROL_PLANE, OPERATION_LIMITS } from '../keys/limits';
import { S3RegistryStore } from '../keys/registry-s3';
import { startApiGatewayStandin, type ApiGatewayStandin } from '../keys/testing/apigw-standin';
import { provision, startMotoServer, type MotoServer } from '../keys/testing/moto-keys';
import { markdownTable, replaceDocBlock, runStamp } from './doc-block';

const DOC_FILE = resolve(__dirname, '..', 'docs', 'keys.md');
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Row {
  readonly path: string;
  readonly keys: number;
  readonly seconds: number;
  readonly calls: number;
  readonly throttled: number;
  readonly retries: number;
  readonly note: string;
}

interface Rig {
  readonly moto: MotoServer;
  readonly standin: ApiGatewayStandin;
  readonly ctx: KeysContext;
  readonly gateway: AwsKeyGateway;
  readonly dir: string;
}

async function rig(env: EnvironmentConfig): Promise<Rig> {
  const moto = await startMotoServer();
  const setup = await provision(moto.endpoint, env);
  const standin = await startApiGatewayStandin(moto.endpoint);
  const dir = mkdtempSync(join(tmpdir(), 'bench-keys-'));
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  const gateway = new AwsKeyGateway(apiGatewayClient(env.region, standin.endpoint));
  const ctx: KeysContext = {
    env,
    registry: new S3RegistryStore(new S3Client({ ...moto.clientConfig(env.region), forcePathStyle: true }), setup.bucket, 'registry.json'),
    gateway,
    edge: new FileEdgeKeyStore(join(dir, 'edge-keys.json')),
    now: () => new Date(),
    generateValue: generateKeyValue,
    step: async () => undefined,
  };
  return { moto, standin, ctx, gateway, dir };
}

async function stop(r: Rig): Promise<void> {
  await r.standin.stop();
  await r.moto.stop();
  rmSync(r.dir, { recursive: true, force: true });
}

function delta(before: GatewayStats, after: GatewayStats) {
  return { calls: after.calls - before.calls, throttled: after.throttled - before.throttled, retries: after.retries - before.retries };
}

async function measure(gateway: AwsKeyGateway, work: () => Promise<void>) {
  const before = { ...gateway.stats, byOperation: { ...gateway.stats.byOperation } };
  const t0 = performance.now();
  await work();
  return { seconds: (performance.now() - t0) / 1000, ...delta(before, gateway.stats) };
}

const customers = (n: number, tag: string): CsvCustomer[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${tag}-${String(i).padStart(5, '0')}`, customer: `Customer ${tag} ${i}`, plan: i % 2 === 0 ? 'basic' : 'pro' }));

async function onboard(r: Rig, n: number, mode: BulkMode, tag: string) {
  return measure(r.gateway, async () => {
    const out = await createFromCsv(r.ctx, customers(n, tag), join(r.dir, `${tag}-values.csv`), mode);
    if (out.mode !== mode || out.issued.length !== n) throw new Error(`expected ${n} keys by ${mode}, got ${out.issued.length} by ${out.mode}`);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '10000' },
      sample: { type: 'string', default: '200' },
      ops: { type: 'string', default: '100' },
      'write-doc': { type: 'boolean', default: false },
    },
  });
  const total = Number(values.keys);
  const sample = Number(values.sample);
  const ops = Number(values.ops);
  const env = platformConfig.environments.find((e) => e.name === 'dev') as EnvironmentConfig;
  const rows: Row[] = [];

  // The floor AWS's limits set for one at a time: CreateApiKey and CreateUsagePlanKey per key.
  const createRate = (OPERATION_LIMITS.CreateApiKey as { perSecond: number }).perSecond;
  const floorSeconds = Math.max(total / createRate, (2 * total - ACCOUNT_CONTROL_PLANE.burst) / ACCOUNT_CONTROL_PLANE.perSecond);
  const steadyKeysPerSecond = Math.min(createRate, ACCOUNT_CONTROL_PLANE.perSecond / 2);

  log(`one at a time: ${sample} keys`);
  let r = await rig(env);
  const one = await onboard(r, sample, 'one-at-a-time', 'one');
  rows.push({ path: 'one at a time, measured', keys: sample, ...one, note: `${(sample / one.seconds).toFixed(2)} keys/s` });
  // The sample rides the account's burst of 40; the rest of the keys go at the steady published rate.
  rows.push({
    path: 'one at a time, computed',
    keys: total,
    seconds: one.seconds + (total - sample) / steadyKeysPerSecond,
    calls: Math.round((one.calls / sample) * total),
    throttled: Math.round((one.throttled / sample) * total),
    retries: Math.round((one.retries / sample) * total),
    note: `measured ${sample} + ${total - sample} at ${steadyKeysPerSecond} keys/s (published limits); floor ${(floorSeconds / 60).toFixed(1)} min`,
  });
  await stop(r);

  log(`ImportApiKeys: ${total} keys`);
  r = await rig(env);
  const imported = await onboard(r, total, 'import', 'imp');
  rows.push({ path: 'ImportApiKeys (stand-in)', keys: total, ...imported, note: `${Math.ceil(total / 1000)} ImportApiKeys calls of up to 1,000 rows` });

  const ids = customers(total, 'imp').map((c) => c.id);
  log(`revoke ${ops}`);
  const revoked = await measure(r.gateway, async () => {
    for (const id of ids.slice(0, ops)) await revokeKey(r.ctx, id);
  });
  rows.push({ path: 'revoke', keys: ops, ...revoked, note: `${(revoked.seconds / ops).toFixed(2)} s per revoke (registry of ${total} customers)` });
  log(`rotate ${ops}`);
  const rotated = await measure(r.gateway, async () => {
    for (const id of ids.slice(ops, 2 * ops)) await rotateKey(r.ctx, id, 86_400);
  });
  rows.push({ path: 'rotate', keys: ops, ...rotated, note: `${(rotated.seconds / ops).toFixed(2)} s per rotate, quota carried over` });
  await stop(r);

  const header = ['path', 'keys', 'wall time', 'API calls', 'throttled', 'retries', 'note'];
  const fmt = (s: number) => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);
  const table = rows.map((x) => [
    x.path,
    x.keys.toLocaleString('en-US'),
    fmt(x.seconds),
    x.calls.toLocaleString('en-US'),
    String(x.throttled),
    String(x.retries),
    x.note,
  ]);
  const md = `${markdownTable(header, table)}\n\n${runStamp()}; \`npm run bench:keys -- --keys ${total} --sample ${sample} --ops ${ops}\`.`;
  process.stdout.write(md + '\n');
  if (values['write-doc']) replaceDocBlock(DOC_FILE, 'keys', md);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:keys: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
