/**
 * The keys CLI against moto (S3 registry with If-Match, API Gateway) behind the API Gateway
 * stand-in (ImportApiKeys, GetUsage/UpdateUsage, throttling), with a file edge store.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { useMotoServer } from '../test-support/moto-server';
import { FileEdgeKeyStore } from './edge-store-file';
import { readRegistry, RegistryConflictError, withCustomer, writeRegistry } from './registry';
import { S3RegistryStore } from './registry-s3';
import { startApiGatewayStandin, type ApiGatewayStandin } from './testing/apigw-standin';
import { cliEnv, gatewayView, motoAuth, provision, runCli, violations, type MotoKeysSetup } from './testing/moto-keys';

const env = platformConfig.environments.find((e) => e.name === 'dev') as EnvironmentConfig;
const moto = useMotoServer();
let standin: ApiGatewayStandin;
let setup: MotoKeysSetup;
let vars: NodeJS.ProcessEnv;
let dir: string;
let registry: S3RegistryStore;
let edge: FileEdgeKeyStore;

beforeAll(async () => {
  setup = await provision(moto.endpoint, env);
  standin = await startApiGatewayStandin(moto.endpoint);
  dir = mkdtempSync(join(tmpdir(), 'keys-moto-'));
  vars = cliEnv(moto.endpoint, standin.endpoint, setup.bucket, join(dir, 'edge-keys.json'));
  registry = new S3RegistryStore(new S3Client({ ...moto.clientConfig(env.region), forcePathStyle: true }), setup.bucket, 'registry.json');
  edge = new FileEdgeKeyStore(join(dir, 'edge-keys.json'));
});
afterAll(() => standin?.stop());

const keys = async (...args: string[]) => runCli([...args, '--env', 'dev'], vars);
const json = async (...args: string[]) => {
  const r = await keys(...args, '--format', 'json');
  if (r.code !== 0) throw new Error(`keys ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const invariant = async () => violations((await readRegistry(registry, 'dev')).doc, await gatewayView(moto.endpoint, env, setup.planIds), edge, new Date());
const clean = { usableButUnbilled: [], billedButUnusable: [], pending: [] };

describe('keys CLI on moto', () => {
  it('create, rotate with quota carry-over, set-plan, import, revoke, sync', async () => {
    const acme = await json('create', '--customer', 'Acme Corp', '--plan', 'basic', '--id', 'acme');
    expect(acme).toMatchObject({ id: 'acme', customer: 'Acme Corp', plan: 'basic', status: 'active' });
    expect(String(acme.value)).toHaveLength(40);
    expect((await gatewayView(moto.endpoint, env, setup.planIds)).usable).toContain(acme.fingerprint);
    expect(await invariant()).toEqual(clean);

    const bad = await keys('create', '--customer', 'X', '--plan', 'gold');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('keys: unknown plan "gold" in environment dev; plans: basic, pro (config/environments.ts)\n');

    const basic = setup.planIds.get('basic') as string;
    standin.setUsed(basic, (acme.apiKeyIds as string[])[0] as string, 300);
    const rotated = await json('rotate', 'acme', '--grace', '1h');
    expect(rotated.status).toBe('rotating');
    const newKeyId = (rotated.apiKeyIds as string[])[1] as string;
    expect(await standin.remaining(basic, newKeyId)).toBe(10_000 - 300);
    expect(JSON.parse(readFileSync(join(dir, 'edge-keys.json'), 'utf8'))[acme.fingerprint as string]).toMatch(/^until:\d+$/);

    const pro = await json('set-plan', 'acme', 'pro');
    expect(pro.plan).toBe('pro');
    expect(await standin.remaining(setup.planIds.get('pro') as string, newKeyId)).toBe(1_000_000 - 300);
    expect(await invariant()).toEqual(clean);

    // A key as Terraform makes it today: named <prefix>-<id>, bound to its plan.
    const value = 'TerraformMadeKeyValue0123456789abcdefghij';
    const made = await fetch(`${moto.endpoint}/apikeys`, {
      method: 'POST',
      headers: motoAuth(env.region),
      body: JSON.stringify({ name: 'ubb-dev-globex', value, description: 'Globex Inc', enabled: true }),
    });
    const madeId = String(((await made.json()) as { id: string }).id);
    await fetch(`${moto.endpoint}/usageplans/${basic}/keys`, {
      method: 'POST',
      headers: motoAuth(env.region),
      body: JSON.stringify({ keyId: madeId, keyType: 'API_KEY' }),
    });
    const before = await keys('sync');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('ubb-dev-globex');
    expect(before.stdout).toContain('adopt it with keys import');
    const imported = await keys('import', '--format', 'json');
    expect(imported.stdout).not.toContain(value);
    expect(JSON.parse(imported.stdout).imported).toEqual([
      expect.objectContaining({ id: 'globex', customer: 'Globex Inc', plan: 'basic', status: 'active', apiKeyIds: [madeId] }),
    ]);
    expect(await invariant()).toEqual(clean);

    const revoked = await json('revoke', 'acme');
    expect(revoked.status).toBe('revoked');
    const view = await gatewayView(moto.endpoint, env, setup.planIds);
    expect(view.usable).not.toContain(acme.fingerprint);
    expect(view.usable).not.toContain(rotated.fingerprint);
    const again = await keys('revoke', 'acme');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^keys: customer "acme" is already revoked \(.*\); nothing to do\n$/);

    // Drift: the edge lost an entry; sync reports it, --fix puts it back.
    writeFileSync(join(dir, 'edge-keys.json'), '{}\n');
    const drift = await keys('sync');
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('missing at the edge');
    expect((await keys('sync', '--fix')).code).toBe(0);
    expect(await invariant()).toEqual(clean);
    expect((await keys('sync')).stdout).toMatch(/^no drift\n/);

    const list = await json('list');
    expect((list as unknown as { id: string; status: string }[]).map((c) => [c.id, c.status])).toEqual([
      ['acme', 'revoked'],
      ['globex', 'active'],
    ]);
  });

  it('onboards from a CSV through ImportApiKeys, and one at a time', async () => {
    const csv = join(dir, 'customers.csv');
    writeFileSync(
      csv,
      'id,customer,plan\n' + Array.from({ length: 30 }, (_, i) => `bulk-${i},"Bulk, Inc ${i}",${i % 2 === 0 ? 'basic' : 'pro'}`).join('\n') + '\n',
    );
    standin.resetStats();
    const out = await json('create', '--from-csv', csv, '--values-out', join(dir, 'values.csv'));
    expect(out).toMatchObject({ mode: 'import', created: 30, appended: 30, alreadyInFile: [] });
    expect(standin.stats.byOperation.ImportApiKeys).toBe(1);
    expect(standin.stats.byOperation.CreateApiKey).toBeUndefined();
    expect(statSync(join(dir, 'values.csv')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'values.csv'), 'utf8').trim().split('\n')).toHaveLength(31);
    expect(JSON.stringify(out)).not.toMatch(/"value"/);

    const few = join(dir, 'few.csv');
    writeFileSync(few, 'plan,id,customer\nbasic,solo-1,Solo One\npro,solo-2,Solo Two\n');
    standin.resetStats();
    const one = await json('create', '--from-csv', few, '--values-out', join(dir, 'few-values.csv'), '--one-at-a-time');
    expect(one).toMatchObject({ mode: 'one-at-a-time', created: 2 });
    expect(standin.stats.byOperation.CreateApiKey).toBe(2);
    expect(await invariant()).toEqual(clean);

    const dup = await keys('create', '--from-csv', few, '--values-out', join(dir, 'x.csv'));
    expect(dup.code).toBe(2);
    expect(dup.stderr).toBe('keys: row 2 (solo-1): customer already exists; nothing was created\n');

    const later = join(dir, 'later.csv');
    writeFileSync(later, 'id,customer,plan\nlater-1,Later,basic\n');
    const before = readFileSync(join(dir, 'few-values.csv'), 'utf8');
    const clash = await keys('create', '--from-csv', later, '--values-out', join(dir, 'few-values.csv'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(
      /^keys: values file .*few-values.csv already holds values of customers not in this CSV \(solo-1, solo-2\); an existing values file is never overwritten: pass a new --values-out path; nothing was created\n$/,
    );
    expect(readFileSync(join(dir, 'few-values.csv'), 'utf8')).toBe(before);
  });

  it('the S3 registry refuses a write from a stale read (If-Match) and writes nothing', async () => {
    const a = await readRegistry(registry, 'dev');
    const b = await readRegistry(registry, 'dev');
    await writeRegistry(registry, a, a.doc);
    const attempt = writeRegistry(registry, b, withCustomer(b.doc, 'acme', undefined));
    await expect(attempt).rejects.toBeInstanceOf(RegistryConflictError);
    await expect(attempt).rejects.toThrow(
      /^registry s3:\/\/ubb-dev-key-registry-111111111111\/registry.json changed underneath this command \(ETag conflict\)/,
    );
    expect((await readRegistry(registry, 'dev')).doc.customers.acme).toBeDefined();
  });
});
