/**
 * Customers as data through `npm start` (local/main.ts as a child process, real HTTP) and the keys
 * CLI as an operator runs it (`npm run --silent keys -- ... --env local`, same state folder), no
 * restart in between:
 *   keys create -> curl gets 200 at once -> a usage run bills it to the new customer;
 *   keys revoke -> the next request gets 403 -> a usage run counts it as that customer's rejected
 *   request, never billed; the usage CLI over the logs and the registry agrees after the stop;
 *   keys sync --fix finds the seed customers in step and leaves them working.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { removeTempDirs, REPO_ROOT, startPlatformProcess, tempDir, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(180_000);

let platform: PlatformProcess;

beforeAll(async () => {
  platform = await startPlatformProcess({ env: { LOCAL_FLUSH_MS: '300', LOCAL_USAGE_MS: '60000' } });
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop('SIGKILL');
  removeTempDirs();
});

/** The keys CLI on the platform's state folder; stdout, stderr and exit code. */
function keys(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: platform.stateDir };
  for (const name of ['KEYS_REGISTRY_FILE', 'KEYS_EDGE_FILE', 'LOCAL_ENVIRONMENT_FILE']) delete env[name];
  const run = spawnSync('npm', ['run', '--silent', 'keys', '--', ...args, '--env', 'local'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** curl, as a user pastes it: the HTTP status. */
function curl(key: string): number {
  return Number(
    execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${platform.url}/example`, '-H', `x-api-key: ${key}`], { encoding: 'utf8' }),
  );
}

interface CustomerUsage {
  id: string;
  name: string;
  requests: number;
  rejected: number;
  errors: number;
}
interface UsageJson {
  keys: CustomerUsage[];
  unattributed: { requests: number };
  registry?: { location: string; revision: number };
}

/**
 * A usage run now (flush the logs, run the job), as /_usage.json?refresh=1 does; through curl, a
 * fresh connection each time (a pooled keep-alive connection can be closed by the server while a
 * slow keys command runs).
 */
async function usageRun(): Promise<UsageJson> {
  return JSON.parse(execFileSync('curl', ['-sf', `${platform.url}/_usage.json?refresh=1`], { encoding: 'utf8' })) as UsageJson;
}
const customer = (usage: UsageJson, id: string) => usage.keys.find((k) => k.id === id);

let value: string;

test('keys create while npm start runs: the new key works on the next request and the usage run bills it to the new customer', async () => {
  const before = await usageRun();
  expect(customer(before, 'initech')).toBeUndefined();

  const created = keys('create', '--customer', 'Initech', '--plan', 'basic', '--format', 'json');
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const issued = JSON.parse(created.stdout) as { id: string; customer: string; plan: string; status: string; fingerprint: string; value: string };
  expect(issued).toMatchObject({ id: 'initech', customer: 'Initech', plan: 'basic', status: 'active' });
  value = issued.value;

  expect([curl(value), curl(value), curl(value)]).toEqual([200, 200, 200]);
  const after = await usageRun();
  expect(customer(after, 'initech')).toEqual(expect.objectContaining({ name: 'Initech', requests: 3, rejected: 0, errors: 0 }));
  expect(after.unattributed.requests).toBe(before.unattributed.requests);
  expect(after.registry?.revision).toBeGreaterThan(before.registry?.revision ?? 0);
});

test('keys revoke: the next request gets 403; the usage run counts it as the customer rejected request, not billed', async () => {
  const revoked = keys('revoke', 'initech', '--format', 'json');
  expect(revoked.code).toBe(0);
  expect(JSON.parse(revoked.stdout)).toMatchObject({ id: 'initech', status: 'revoked' });

  expect(curl(value)).toBe(403);
  expect(curl(value)).toBe(403);
  const usage = await usageRun();
  // Billed: the three requests made while the key worked; the two after the revoke are rejected.
  expect(customer(usage, 'initech')).toEqual(expect.objectContaining({ requests: 3, rejected: 2, errors: 0 }));
});

test('keys sync --fix finds the seed customers in step with API Gateway and the edge, and they keep working', () => {
  const acme = platform.keys.find((k) => k.id === 'acme')!.value;
  const check = keys('sync');
  expect(check.stderr).toBe('');
  expect(check.stdout.split('\n')[0]).toBe('no drift');
  expect(check.code).toBe(0);
  expect(keys('sync', '--fix').code).toBe(0);
  expect(curl(acme)).toBe(200);
});

test('after the stop, the usage CLI over the logs and the registry bills the same', async () => {
  expect(await platform.stop('SIGTERM')).toBe(0);
  const month = new Date().toISOString().slice(0, 7);
  const out = execFileSync(
    'npm',
    [
      'run',
      '--silent',
      'usage',
      '--',
      '--engine',
      'duckdb',
      '--month',
      month,
      '--logs',
      join(platform.stateDir, 'logs'),
      '--registry',
      join(platform.stateDir, 'registry.json'),
      '--state',
      tempDir('keys-cli-usage-'),
      '--format',
      'json',
      '--dry-run',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const report = JSON.parse(out) as UsageJson;
  expect(customer(report, 'initech')).toEqual(expect.objectContaining({ requests: 3, rejected: 2, errors: 0 }));
  expect(customer(report, 'acme')).toEqual(expect.objectContaining({ requests: 1, rejected: 0 }));
});
