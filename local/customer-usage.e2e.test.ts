/**
 * End to end through `npm start`'s platform (local/main.ts as a child process, real HTTP, the real
 * edge function, API Gateway emulation, handlers, Parquet logs and usage job): GET /usage with a
 * customer's own key answers exactly that customer's figures of /_usage.json, for two customers;
 * never the other's; the lookups are logged but never billed and use no quota; no key, an unknown
 * key and a revoked key get 403.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { readLogRecords } from './testing/log-files';
import { removeTempDirs, REPO_ROOT, startPlatformProcess, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(120_000);

let platform: PlatformProcess;
const keyOf = (id: string) => platform.keys.find((k) => k.id === id)!.value;

interface UsageJsonKey {
  id: string;
  requests: number;
  bytesOut: number;
  quota: number;
  thresholdsReached: number[];
}

async function usageJson(): Promise<{ keys: UsageJsonKey[]; quotaThresholds: number[] }> {
  const res = await fetch(`${platform.url}/_usage.json?refresh=1`);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: UsageJsonKey[]; quotaThresholds: number[] };
}

/** curl, as a customer types it (README): status and JSON body. */
async function lookUp(key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...(key === undefined ? [] : ['-H', `x-api-key: ${key}`]), `${platform.url}/usage`], {
    encoding: 'utf8',
  });
  const cut = out.lastIndexOf('\n');
  return { status: Number(out.slice(cut + 1)), body: JSON.parse(out.slice(0, cut)) as Record<string, unknown> };
}

/** The figures both documents carry, side by side. */
const shared = (entry: Record<string, unknown> | UsageJsonKey) => ({
  requests: entry.requests,
  bytesOut: entry.bytesOut,
  quota: entry.quota,
  thresholdsReached: entry.thresholdsReached,
});

beforeAll(async () => {
  platform = await startPlatformProcess({
    environment: {
      usagePlans: {
        roomy: { monthlyQuota: 100_000, rateLimit: 1000, burstLimit: 1000 },
        small: { monthlyQuota: 10, rateLimit: 1000, burstLimit: 1000 },
      },
      stageThrottle: { rateLimit: 10_000, burstLimit: 10_000 },
    },
    seed: [
      { id: 'acme', customer: 'Acme Corp', plan: 'roomy' },
      { id: 'globex', customer: 'Globex Inc', plan: 'small' },
    ],
    // The periodic run stays out of the way: the test refreshes through /_usage.json?refresh=1.
    env: { LOCAL_FLUSH_MS: '500', LOCAL_USAGE_MS: '600000' },
  });
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop('SIGKILL');
  removeTempDirs();
});

test('each key sees its own customer, equal to /_usage.json; lookups are never billed and use no quota', async () => {
  for (let i = 0; i < 7; i++) expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': keyOf('acme') } })).status).toBe(200);
  for (let i = 0; i < 9; i++) expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': keyOf('globex') } })).status).toBe(200);

  const before = await usageJson();
  const byId = new Map(before.keys.map((k) => [k.id, k]));
  expect(byId.get('acme')!.requests).toBe(7);
  expect(byId.get('globex')!.requests).toBe(9);

  for (const id of ['acme', 'globex']) {
    const own = await lookUp(keyOf(id));
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ customerId: id, month: expect.stringMatching(/^\d{4}-\d\d$/), asOf: expect.any(String) });
    expect(shared(own.body)).toEqual(shared(byId.get(id)!));
    expect(own.body.remaining).toBe(byId.get(id)!.quota - byId.get(id)!.requests);
    expect(JSON.stringify(own.body)).not.toContain(id === 'acme' ? 'globex' : 'acme');
  }
  // globex used 9 of its 10 requests: a dozen lookups more still answer (no quota), and its next API call is its 10th.
  for (let i = 0; i < 12; i++) expect((await lookUp(keyOf('globex'))).status).toBe(200);
  expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': keyOf('globex') } })).status).toBe(200);
  expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': keyOf('globex') } })).status).toBe(429);

  const after = await usageJson();
  const afterById = new Map(after.keys.map((k) => [k.id, k]));
  expect(afterById.get('acme')!.requests).toBe(7);
  expect(afterById.get('globex')!.requests).toBe(10);
  for (const id of ['acme', 'globex']) expect(shared((await lookUp(keyOf(id))).body)).toEqual(shared(afterById.get(id)!));
  expect((await lookUp(keyOf('globex'))).body).toMatchObject({ remaining: 0, thresholdsReached: after.quotaThresholds.filter((t) => t <= 100) });

  // The lookups are in the billing record (logged with the caller's fingerprint), just never billed.
  const last = await usageJson(); // flushes every record sent so far
  expect(new Map(last.keys.map((k) => [k.id, k.requests]))).toEqual(
    new Map([
      ['acme', 7],
      ['globex', 10],
    ]),
  );
  const records = await readLogRecords(join(platform.stateDir, 'logs'));
  const globexLookups = records.filter((r) => r.cs_uri_stem === '/usage' && r.viewer_request_log_data === apiKeyFingerprint(keyOf('globex')));
  expect(globexLookups).toHaveLength(15); // 1 + 12 + 1 + 1 above
  expect(globexLookups.every((r) => r.sc_status === '200')).toBe(true);
});

test('no key, an unknown key and a revoked key: 403', async () => {
  expect(await lookUp()).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect((await lookUp('unknownKeyValue0000000000000000000000000')).status).toBe(403);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOCAL_STATE_DIR: platform.stateDir,
    LOCAL_ENVIRONMENT_FILE: join(platform.stateDir, 'environment-override.json'),
  };
  for (const name of ['KEYS_REGISTRY_FILE', 'KEYS_EDGE_FILE']) delete env[name];
  const revoke = spawnSync('npm', ['run', '--silent', 'keys', '--', 'revoke', 'acme', '--env', 'local'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  expect({ code: revoke.status, stderr: revoke.stderr }).toEqual({ code: 0, stderr: '' });
  expect(await lookUp(keyOf('acme'))).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect((await lookUp(keyOf('globex'))).status).toBe(200);
});
