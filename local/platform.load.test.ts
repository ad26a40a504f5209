/**
 * Load: at least 20,000 requests from concurrent clients with several keys against the
 * local platform (child process), then SIGTERM. Nothing may be lost: log records = responses,
 * and the usage job's requests per key = requests each key sent. Throughput is printed, not asserted.
 * LOAD_REQUESTS and LOAD_CLIENTS resize it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readLogRecords } from './testing/log-files';
import { removeTempDirs, REPO_ROOT, startPlatformProcess, tempDir, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(300_000);

const TOTAL = Number(process.env.LOAD_REQUESTS ?? 20_000);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 32);
const KEY_IDS = ['k1', 'k2', 'k3', 'k4', 'k5'];

let platform: PlatformProcess;

beforeAll(async () => {
  platform = await startPlatformProcess({
    environment: {
      usagePlans: { load: { monthlyQuota: 10_000_000, rateLimit: 100_000, burstLimit: 100_000 } },
      stageThrottle: { rateLimit: 100_000, burstLimit: 100_000 },
    },
    seed: KEY_IDS.map((id) => ({ id, customer: `Customer ${id}`, plan: 'load' })),
  });
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop('SIGKILL');
  removeTempDirs();
});

test(`${TOTAL} requests from ${CLIENTS} concurrent clients, ${KEY_IDS.length} keys: nothing lost`, async () => {
  const sentByKey = new Map<string, number>(KEY_IDS.map((id) => [id, 0]));
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const client = async (c: number) => {
    while (next < TOTAL) {
      const i = next++;
      const key = platform.keys[(i + c) % platform.keys.length];
      const post = i % 4 === 0;
      const res = await fetch(post ? `${platform.url}/data` : `${platform.url}/example?page=${i}`, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'x-api-key': key.value, 'content-type': 'application/json' } : { 'x-api-key': key.value },
        body: post ? JSON.stringify({ i, client: c }) : undefined,
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      sentByKey.set(key.id, (sentByKey.get(key.id) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const seconds = (performance.now() - started) / 1000;
  const responses = [...statuses.values()].reduce((a, b) => a + b, 0);
  process.stderr.write(
    `load: ${responses} responses in ${seconds.toFixed(1)} s = ${(responses / seconds).toFixed(0)} requests/s ` +
      `(${CLIENTS} clients, ${KEY_IDS.length} keys; statuses ${JSON.stringify(Object.fromEntries(statuses))})\n`,
  );
  expect(responses).toBe(TOTAL);
  expect(statuses.get(200)).toBe(TOTAL);

  expect(await platform.stop('SIGTERM')).toBe(0);
  const logRoot = join(platform.stateDir, 'logs');
  const records = await readLogRecords(logRoot);
  expect(records.length).toBe(TOTAL);
  expect(new Set(records.map((r) => r.x_edge_request_id)).size).toBe(TOTAL);

  const months = [...new Set(records.map((r) => String(r.date).slice(0, 7)))];
  const billed = new Map<string, number>(KEY_IDS.map((id) => [id, 0]));
  for (const month of months) {
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
        logRoot,
        '--registry',
        join(platform.stateDir, 'registry.json'),
        '--state',
        tempDir('load-usage-state-'),
        '--format',
        'json',
        '--dry-run',
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        // The usage CLI sees the platform's local environment (its 'load' plan) through the same override file.
        env: { ...process.env, LOCAL_ENVIRONMENT_FILE: join(platform.stateDir, 'environment-override.json') },
      },
    );
    const report = JSON.parse(out) as { keys: { id: string; requests: number; rejected: number; errors: number }[]; unattributed: { requests: number } };
    expect(report.unattributed.requests).toBe(0);
    for (const k of report.keys) {
      expect(k.rejected + k.errors).toBe(0);
      billed.set(k.id, (billed.get(k.id) ?? 0) + k.requests);
    }
  }
  expect(Object.fromEntries(billed)).toEqual(Object.fromEntries(sentByKey));
});
