/**
 * Kill -9 at every step of create, rotate, revoke and sync --fix (the CLI's KEYS_FAULT_AFTER_STEP
 * hook SIGKILLs its own process), plus kills at random instants during a bulk create; after each,
 * `sync --fix` must leave 0 keys usable-but-unbilled and 0 billed-but-unusable, and nothing pending.
 * Usable: API Gateway has the key enabled in a plan and the edge admits its fingerprint now.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { useMotoServer } from '../test-support/moto-server';
import { FileEdgeKeyStore } from './edge-store-file';
import { readRegistry } from './registry';
import { S3RegistryStore } from './registry-s3';
import { startApiGatewayStandin, type ApiGatewayStandin } from './testing/apigw-standin';
import { cliEnv, gatewayView, provision, runCli, spawnCli, violations, type MotoKeysSetup } from './testing/moto-keys';

const env = platformConfig.environments.find((e) => e.name === 'dev') as EnvironmentConfig;
const moto = useMotoServer();
let standin: ApiGatewayStandin;
let setup: MotoKeysSetup;
let dir: string;
let vars: NodeJS.ProcessEnv;
let registry: S3RegistryStore;
let edge: FileEdgeKeyStore;

beforeAll(async () => {
  setup = await provision(moto.endpoint, env);
  standin = await startApiGatewayStandin(moto.endpoint);
  dir = mkdtempSync(join(tmpdir(), 'keys-faults-'));
  vars = cliEnv(moto.endpoint, standin.endpoint, setup.bucket, join(dir, 'edge-keys.json'));
  registry = new S3RegistryStore(new S3Client({ ...moto.clientConfig(env.region), forcePathStyle: true }), setup.bucket, 'registry.json');
  edge = new FileEdgeKeyStore(join(dir, 'edge-keys.json'));
});
afterAll(() => standin?.stop());

const keys = (args: string[], extra: Record<string, string> = {}) => runCli([...args, '--env', 'dev'], { ...vars, ...extra });
const killedAt = async (args: string[], step: number) => {
  const r = await keys(args, { KEYS_FAULT_AFTER_STEP: String(step) });
  return r.signal === 'SIGKILL';
};
const ok = async (args: string[]) => {
  const r = await keys(args);
  if (r.code !== 0) throw new Error(`keys ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
};
async function expectConsistent(): Promise<void> {
  // The command was killed: no need to wait for the in-flight age.
  await ok(['sync', '--fix', '--pending-age', '0s']);
  const v = await violations((await readRegistry(registry, 'dev')).doc, await gatewayView(moto.endpoint, env, setup.planIds), edge, new Date());
  expect(v).toEqual({ usableButUnbilled: [], billedButUnusable: [], pending: [] });
}

describe('kill -9 during keys commands, then sync --fix', () => {
  it('create, at every step', async () => {
    let kills = 0;
    for (let step = 1; step <= 5; step++) {
      if (await killedAt(['create', '--customer', `C${step}`, '--plan', 'basic', '--id', `create-${step}`], step)) kills++;
      await expectConsistent();
    }
    expect(kills).toBe(5);
  });

  it('rotate, at every step', async () => {
    await ok(['create', '--customer', 'Rotor', '--plan', 'pro', '--id', 'rotor']);
    for (let step = 1; step <= 5; step++) {
      expect(await killedAt(['rotate', 'rotor', '--grace', '1h'], step)).toBe(true);
      await expectConsistent();
    }
  });

  it('revoke, at every step', async () => {
    for (let step = 1; step <= 4; step++) {
      await ok(['create', '--customer', `R${step}`, '--plan', 'basic', '--id', `revoke-${step}`]);
      expect(await killedAt(['revoke', `revoke-${step}`], step)).toBe(true);
      await expectConsistent();
    }
  });

  it('sync --fix itself, at every step', async () => {
    for (let step = 1; step <= 4; step++) {
      await ok(['create', '--customer', `S${step}`, '--plan', 'basic', '--id', `sync-${step}`]);
      await ok(['create', '--customer', `T${step}`, '--plan', 'basic', '--id', `sync-t${step}`]);
      // Leave work for sync: an unfinished revoke, an unfinished rotate, a lost edge entry.
      await killedAt(['revoke', `sync-${step}`], 2);
      await killedAt(['rotate', `sync-t${step}`], 3);
      writeFileSync(join(dir, 'edge-keys.json'), '{}\n');
      await killedAt(['sync', '--fix'], step);
      await expectConsistent();
    }
  });

  it('bulk create, killed at random instants', async () => {
    for (let round = 0; round < 3; round++) {
      const csv = join(dir, `bulk-${round}.csv`);
      writeFileSync(csv, 'id,customer,plan\n' + Array.from({ length: 12 }, (_, i) => `bulk-${round}-${i},Bulk ${i},basic`).join('\n') + '\n');
      const args = ['create', '--from-csv', csv, '--values-out', join(dir, `bulk-${round}.values.csv`), '--one-at-a-time', '--env', 'dev'];
      const child = spawnCli(args, vars, 'ignore');
      const done = new Promise((r) => child.on('close', r));
      // tsx starts in about a second; the run takes a few more. Kill somewhere in between.
      setTimeout(() => child.kill('SIGKILL'), 1200 + Math.floor(Math.random() * 2500));
      await done;
      await expectConsistent();
    }
  });
});
