/** The API Gateway emulation in-process: routes, keys, throttle, quota, the proxy event, failures. */
import type { ProxyEvent, ProxyHandler } from '../../lambdas/handlers/http';
import { ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import { platformConfig } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { removeTempDirs, tempDir } from '../testing/platform-process';
import { LocalApiGateway } from './gateway';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuotaCounter } from './quota';
import { TokenBucket } from './token-bucket';

const keys = [
  { value: 'A'.repeat(40), apiKeyId: 'k-acme', plan: 'q' },
  { value: 'G'.repeat(40), apiKeyId: 'k-globex', plan: 't' },
];
const environment: EnvironmentConfig = {
  ...platformConfig.local,
  usagePlans: { q: { monthlyQuota: 3, rateLimit: 1000, burstLimit: 1000 }, t: { monthlyQuota: 1000, rateLimit: 1, burstLimit: 2 } },
};
/** What the local API Gateway admits: fingerprint -> key id and plan (registered-keys.ts in the platform). */
const admitted = new Map(keys.map((k) => [apiKeyFingerprint(k.value), { apiKeyId: k.apiKeyId, plan: k.plan }]));

let seen: ProxyEvent[] = [];
const echo: ProxyHandler = async (event) => {
  seen.push(event);
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' };
};

function gateway(routes: Map<string, ProxyHandler> = new Map([['GET /example', echo]])): LocalApiGateway {
  return new LocalApiGateway(environment, async (fp) => admitted.get(fp), routes, new QuotaCounter(tempDir('quota-')), 'the-secret');
}

const request = (key: string | undefined, path = '/example', method = 'GET') => ({
  method,
  path,
  headers: new Map<string, string[]>(key === undefined ? [] : [['x-api-key', [key]]]),
  query: new Map([
    ['apikey_fp', ['0123456789abcdef']],
    ['a', ['1', '2']],
  ]),
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
});

beforeEach(() => {
  seen = [];
});

test('an unknown route is 403 Missing Authentication Token, whatever the key', async () => {
  const g = gateway();
  for (const r of [request(keys[0].value, '/nope'), request(keys[0].value, '/example', 'POST'), request(undefined, '/nope')]) {
    const out = await g.handle(r);
    expect(out.statusCode).toBe(403);
    expect(JSON.parse(out.body.toString())).toEqual({ message: 'Missing Authentication Token' });
  }
  expect(seen).toHaveLength(0);
});

test('a missing or unknown key is 403 Forbidden and never reaches the handler', async () => {
  const g = gateway();
  for (const key of [undefined, 'X'.repeat(40)]) {
    const out = await g.handle(request(key));
    expect(out.statusCode).toBe(403);
    expect(JSON.parse(out.body.toString())).toEqual({ message: 'Forbidden' });
    expect(out.headers['x-amzn-errortype']).toBe('ForbiddenException');
  }
  expect(seen).toHaveLength(0);
});

test('the handler gets a REST proxy event with the key id, the origin secret and both query maps', async () => {
  const out = await gateway().handle(request(keys[0].value));
  expect(out.statusCode).toBe(200);
  expect(out.headers['content-type']).toBe('application/json');
  expect(out.headers['x-amzn-requestid']).toBe(out.requestId);
  const event = seen[0];
  expect(event.requestContext?.identity?.apiKeyId).toBe('k-acme');
  expect(event.requestContext?.requestId).toBe(out.requestId);
  expect(event.headers?.[ORIGIN_SECRET_HEADER]).toBe('the-secret');
  expect(event.queryStringParameters).toEqual({ apikey_fp: '0123456789abcdef', a: '2' });
  expect(event.multiValueQueryStringParameters).toEqual({ apikey_fp: ['0123456789abcdef'], a: ['1', '2'] });
  expect(event.body).toBeNull();
});

test('the monthly quota: 429 Limit Exceeded once used up', async () => {
  const g = gateway();
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await g.handle(request(keys[0].value))).statusCode);
  expect(statuses).toEqual([200, 200, 200, 429, 429]);
  const out = await g.handle(request(keys[0].value));
  expect(JSON.parse(out.body.toString())).toEqual({ message: 'Limit Exceeded' });
  expect(seen).toHaveLength(3);
});

test('throttling: beyond the burst, 429 Too Many Requests', async () => {
  const g = gateway();
  const outs = await Promise.all([0, 1, 2, 3].map(() => g.handle(request(keys[1].value))));
  expect(outs.map((o) => o.statusCode)).toEqual([200, 200, 429, 429]);
  expect(JSON.parse(outs[3].body.toString())).toEqual({ message: 'Too Many Requests' });
});

test('a handler that throws or returns no status gives 502 Internal server error', async () => {
  const throwing: ProxyHandler = async () => {
    throw new Error('boom');
  };
  const broken = (async () => ({ body: 'x' })) as unknown as ProxyHandler;
  for (const handler of [throwing, broken]) {
    const out = await gateway(new Map([['GET /example', handler]])).handle(request(keys[0].value));
    expect(out.statusCode).toBe(502);
    expect(JSON.parse(out.body.toString())).toEqual({ message: 'Internal server error' });
  }
});

test('token bucket: starts full, refills at the rate, never above the burst', () => {
  let now = 0;
  const bucket = new TokenBucket(2, 3, () => now);
  expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  now = 500; // half a second at 2/s: one token
  expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
  now = 60_000; // a long pause refills to the burst, not beyond
  expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
});

test('quota counters survive a restart and reset with the month', () => {
  const dir = tempDir('quota-');
  let now = Date.parse('2026-11-30T23:59:00Z');
  const first = new QuotaCounter(dir, () => now);
  expect([first.tryUse('acme', 2), first.tryUse('acme', 2), first.tryUse('acme', 2)]).toEqual([true, true, false]);
  first.save();
  const restarted = new QuotaCounter(dir, () => now);
  expect(restarted.tryUse('acme', 2)).toBe(false);
  now = Date.parse('2026-12-01T00:00:01Z');
  expect(restarted.tryUse('acme', 2)).toBe(true);
  expect(restarted.usedBy('acme')).toBe(1);
});

test('a damaged quota file is a clear error', () => {
  const dir = tempDir('quota-');
  writeFileSync(join(dir, 'quota.json'), '{"month":"2026-11","used":{"acme":"many"}}');
  expect(() => new QuotaCounter(dir)).toThrow(/quota.json must hold \{"month": "YYYY-MM", "used"/);
  writeFileSync(join(dir, 'quota.json'), 'not json');
  expect(() => new QuotaCounter(dir)).toThrow(/quota.json is not valid JSON .*delete it/);
});

afterAll(removeTempDirs);

test('a keyless route (GET /usage) reaches its handler with any key or none, uses no quota, and has its own method throttle', async () => {
  const quota = new QuotaCounter(tempDir('quota-'));
  const g = new LocalApiGateway(
    environment,
    async (fp) => admitted.get(fp),
    new Map([
      ['GET /example', echo],
      ['GET /usage', echo],
    ]),
    quota,
    'the-secret',
    new Map([['GET /usage', { rateLimit: 1, burstLimit: 5 }]]),
  );
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await g.handle(request(i % 2 === 0 ? keys[0].value : undefined, '/usage'))).statusCode);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  expect(quota.usedBy('k-acme')).toBe(0);
  // API Gateway attaches no key id on a method that requires none; the handler authenticates the key itself.
  expect(seen.map((e) => e.requestContext?.identity?.apiKeyId ?? null)).toEqual([null, null, null, null, null]);
  expect(seen[0].headers?.['x-api-key']).toBe(keys[0].value);
  expect(seen[0].headers?.[ORIGIN_SECRET_HEADER]).toBe('the-secret');
  // The metered route still needs a key and uses quota.
  expect((await g.handle(request(undefined))).statusCode).toBe(403);
  expect((await g.handle(request(keys[0].value))).statusCode).toBe(200);
  expect(quota.usedBy('k-acme')).toBe(1);
});
