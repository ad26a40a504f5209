/**
 * The GET /usage Lambda handler as deployed (usageHandler with a fixed clock): origin secret and
 * method checks of every handler, the source named by the environment (here the local platform's
 * files, USAGE_STATE_DIR), fail closed without one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { customerUsageObjectKey } from '../../contracts/customer-usage';
import { ORIGIN_SECRET_ENV } from '../../contracts/origin-secret';
import { setLogSink } from './logger';
import { usageHandler } from './usage';
import { TEST_ORIGIN_SECRET } from './testing/rest-proxy-event';
import { customer, ENVIRONMENT, key, KEY_A, KEY_B, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

const VARS = [ORIGIN_SECRET_ENV, 'USAGE_ENVIRONMENT', 'USAGE_STATE_DIR'] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
let dir: string;
const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
let restore: () => void;
const NOW = new Date('2026-11-20T10:30:00Z');
const handler = usageHandler(() => NOW);

beforeEach(() => {
  restore = setLogSink(() => undefined);
  dir = mkdtempSync(join(tmpdir(), 'usage-handler-'));
  process.env[ORIGIN_SECRET_ENV] = TEST_ORIGIN_SECRET;
  process.env.USAGE_ENVIRONMENT = ENVIRONMENT;
  process.env.USAGE_STATE_DIR = dir;
  write(join(dir, 'registry.json'), JSON.stringify(registry(customer('acme', [key(KEY_A)]), customer('globex', [key(KEY_B)]))));
  write(
    join(dir, customerUsageObjectKey('2026-10')),
    JSON.stringify(summary('2026-10', '2026-11-02T05:00:00Z', usage('acme', 900, 1), usage('globex', 800, 2))),
  );
  write(join(dir, customerUsageObjectKey('2026-11')), JSON.stringify(summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10), usage('globex', 7, 20))));
});
afterEach(() => {
  restore();
  rmSync(dir, { recursive: true, force: true });
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

test('reads the files USAGE_STATE_DIR names and answers each key its own customer', async () => {
  const a = await handler(usageEvent(KEY_A));
  const b = await handler(usageEvent(KEY_B));
  expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
  expect(JSON.parse(a.body)).toMatchObject({ month: '2026-11', asOf: '2026-11-20T10:00:00Z', customerId: 'acme', requests: 5, bytesOut: 10 });
  expect(JSON.parse(b.body)).toMatchObject({ month: '2026-11', asOf: '2026-11-20T10:00:00Z', customerId: 'globex', requests: 7, bytesOut: 20 });
});

test("answers the month of its clock's time: the 2026-10 summary in October", async () => {
  const october = usageHandler(() => new Date('2026-10-31T23:59:00Z'));
  const result = await october(usageEvent(KEY_A));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body)).toMatchObject({ month: '2026-10', asOf: '2026-11-02T05:00:00Z', customerId: 'acme', requests: 900 });
});

test("on the 1st before the month's first run, a customer new since the last run gets zeros, like a known one", async () => {
  const NEW_KEY = 'newco-key-value-0123456789abcdef';
  const november = { ...summary('2026-11', '2026-11-30T23:00:00Z', usage('acme', 5, 10)), planQuotas: { basic: 1000 } };
  write(join(dir, customerUsageObjectKey('2026-11')), JSON.stringify(november));
  write(
    join(dir, 'registry.json'),
    JSON.stringify(registry(customer('acme', [key(KEY_A)]), customer('newco', [key(NEW_KEY)], { createdAt: '2026-12-01T00:05:00Z' }))),
  );
  const december = usageHandler(() => new Date('2026-12-01T00:10:00Z'));
  const known = await december(usageEvent(KEY_A));
  const fresh = await december(usageEvent(NEW_KEY));
  expect([known.statusCode, fresh.statusCode]).toEqual([200, 200]);
  const zeros = { month: '2026-12', asOf: null, reportedThisMonth: false, plan: 'basic', requests: 0, bytesOut: 0, quota: 1000, remaining: 1000 };
  expect(JSON.parse(known.body)).toMatchObject({ ...zeros, customerId: 'acme' });
  expect(JSON.parse(fresh.body)).toMatchObject({ ...zeros, customerId: 'newco' });
});

test('without the origin secret CloudFront adds: 403, like every handler', async () => {
  const event = usageEvent(KEY_A);
  const headers = { ...(event.headers as Record<string, string>) };
  delete headers['x-origin-secret'];
  const result = await handler({ ...event, headers, multiValueHeaders: null });
  expect(result.statusCode).toBe(403);
});

test('another method: 405 with Allow: GET', async () => {
  const result = await handler({ ...usageEvent(KEY_A), httpMethod: 'POST' });
  expect(result.statusCode).toBe(405);
  expect(result.headers.allow).toBe('GET');
});

test('no source configured: 503 for a known key, 403 still for none', async () => {
  delete process.env.USAGE_STATE_DIR;
  expect((await handler(usageEvent(KEY_A))).statusCode).toBe(503);
  expect((await handler(usageEvent(null))).statusCode).toBe(403);
});
