/**
 * The answer is the current UTC month's summary, with its month, status and asOf: an opening summary
 * says not reported yet; a customer the summary lacks gets zeros at its plan's quota; no summary at
 * all is zeros with the previous summary's quota of the plan (docs/customer-usage.md).
 */
import { zeroUsage } from '../../contracts/customer-usage';
import { setLogSink } from './logger';
import { lookUpUsage } from './usage';
import { customer, key, KEY_A, memorySource, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

let logs: string[];
let restore: () => void;
beforeEach(() => {
  logs = [];
  restore = setLogSink((line) => logs.push(line));
});
afterEach(() => restore());

const doc = registry(customer('acme', [key(KEY_A)]));
const figures = [summary('2026-10', '2026-11-02T05:00:00Z', usage('acme', 900, 1)), summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10))];

test('answers the month of the request time with the run time the figures are as of', async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), new Date('2026-11-20T10:30:00Z'));
  expect(JSON.parse(result.body)).toMatchObject({
    month: '2026-11',
    status: 'month-to-date',
    asOf: '2026-11-20T10:00:00Z',
    requests: 5,
    quotaThresholds: [80, 100],
  });
});

test("a month whose summary no run has written yet: zeros with the previous month's quota, asOf null, reportedThisMonth false", async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), new Date('2026-12-01T00:10:00Z'));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body)).toEqual({
    month: '2026-12',
    status: 'month-to-date',
    asOf: null,
    reportedThisMonth: false,
    customerId: 'acme',
    plan: 'basic',
    requests: 0,
    bytesOut: 0,
    rejected: 0,
    errors: 0,
    quota: 1000,
    remaining: 1000,
    quotaUsedPercent: 0,
    thresholdsReached: [],
    estimatedCharges: null,
    quotaThresholds: [80, 100],
  });
});

test('the quota of the new month follows the previous summary', async () => {
  const bigger = [summary('2026-11', '2026-11-30T23:00:00Z', usage('acme', 5, 10, 50_000))];
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, bigger), new Date('2026-12-01T00:10:00Z'));
  expect(JSON.parse(result.body)).toMatchObject({ quota: 50_000, remaining: 50_000, reportedThisMonth: false });
});

test('no summary of this month nor of the previous one: 503 with Retry-After, never a made-up quota', async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), new Date('2027-01-01T00:10:00Z'));
  expect(result.statusCode).toBe(503);
  expect(result.headers['retry-after']).toBe('300');
  expect(JSON.parse(result.body)).toEqual({ message: expect.stringMatching(/not available/) });
  expect(logs.join('\n')).toContain('no summary of 2027-01 yet');
});

const NEW_KEY = 'newco-key-value-0123456789abcdef';
const withPlans = [{ ...summary('2026-11', '2026-11-30T23:00:00Z', usage('acme', 5, 10)), planQuotas: { basic: 1000, pro: 20_000 } }];

test("a customer new since the previous summary: zeros with its plan's quota from that summary's planQuotas", async () => {
  const newer = registry(customer('acme', [key(KEY_A)]), customer('newco', [key(NEW_KEY)], { plan: 'pro', createdAt: '2026-12-01T00:05:00Z' }));
  const result = await lookUpUsage(usageEvent(NEW_KEY), memorySource(newer, withPlans), new Date('2026-12-01T00:10:00Z'));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body)).toMatchObject({
    month: '2026-12',
    asOf: null,
    reportedThisMonth: false,
    customerId: 'newco',
    plan: 'pro',
    requests: 0,
    quota: 20_000,
    remaining: 20_000,
  });
});

test("a plan changed since the previous summary: the new plan's quota from planQuotas, never the old plan's", async () => {
  const moved = registry(customer('acme', [key(KEY_A)], { plan: 'pro' }));
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(moved, withPlans), new Date('2026-12-01T00:10:00Z'));
  expect(JSON.parse(result.body)).toMatchObject({ plan: 'pro', quota: 20_000, reportedThisMonth: false });
});

test('a plan the previous summary has no quota for (or a summary without planQuotas): 503, never a made-up quota', async () => {
  const moved = registry(customer('acme', [key(KEY_A)], { plan: 'enterprise' }));
  expect((await lookUpUsage(usageEvent(KEY_A), memorySource(moved, withPlans), new Date('2026-12-01T00:10:00Z'))).statusCode).toBe(503);
  const pro = registry(customer('acme', [key(KEY_A)], { plan: 'pro' }));
  expect((await lookUpUsage(usageEvent(KEY_A), memorySource(pro, figures), new Date('2026-12-01T00:10:00Z'))).statusCode).toBe(503);
  expect(logs.join('\n')).toContain('no quota of plan pro (customer acme)');
});

test('a month with a summary says reportedThisMonth true', async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), new Date('2026-11-20T10:30:00Z'));
  expect(JSON.parse(result.body)).toMatchObject({ reportedThisMonth: true, asOf: '2026-11-20T10:00:00Z' });
});

const NEWCO = registry(customer('acme', [key(KEY_A)]), customer('newco', [key(NEW_KEY)], { plan: 'pro', createdAt: '2026-11-20T10:10:00Z' }));

test("a customer the latest run did not know yet: zeros with its plan's quota, as of that run, reported this month", async () => {
  const latest = [{ ...summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10)), planQuotas: { basic: 1000, pro: 20_000 } }];
  const result = await lookUpUsage(usageEvent(NEW_KEY), memorySource(NEWCO, latest), new Date('2026-11-20T10:30:00Z'));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body)).toEqual({
    month: '2026-11',
    status: 'month-to-date',
    asOf: '2026-11-20T10:00:00Z',
    reportedThisMonth: true,
    ...zeroUsage('newco', 'pro', 20_000),
    quotaThresholds: [80, 100],
  });
});

test('a customer the latest run did not know, on a plan the summary has no quota for: 503, never a made-up quota', async () => {
  const result = await lookUpUsage(usageEvent(NEW_KEY), memorySource(NEWCO, figures), new Date('2026-11-20T10:30:00Z'));
  expect(result.statusCode).toBe(503);
  expect(logs.join('\n')).toContain('no figures of 2026-11 for customer newco and no quota of plan pro');
});

test("an opening summary (written ahead by the previous month's runs): zeros, as of that run, not reported this month", async () => {
  const opening = {
    ...summary('2026-12', '2026-11-30T23:17:00Z', { ...zeroUsage('acme', 'basic', 1000) }),
    opening: true as const,
    planQuotas: { basic: 1000, pro: 20_000 },
  };
  const source = memorySource(NEWCO, [...figures, opening]);
  const at = new Date('2026-12-01T00:10:00Z');
  for (const [apiKey, id, plan, quota] of [
    [KEY_A, 'acme', 'basic', 1000],
    [NEW_KEY, 'newco', 'pro', 20_000],
  ] as const) {
    const result = await lookUpUsage(usageEvent(apiKey), source, at);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      month: '2026-12',
      status: 'month-to-date',
      asOf: '2026-11-30T23:17:00Z',
      reportedThisMonth: false,
      ...zeroUsage(id, plan, quota),
      quotaThresholds: [80, 100],
    });
  }
});

test('an unknown key stays 403 whatever the summary holds', async () => {
  const result = await lookUpUsage(usageEvent('unknown-key-value-0123456789abcdef'), memorySource(NEWCO, figures), new Date('2026-11-20T10:30:00Z'));
  expect(result.statusCode).toBe(403);
});

test("a denied read of this month's summary (S3's 403 for a missing key without s3:ListBucket): 503, not zeros", async () => {
  const denied = {
    registry: () => Promise.resolve(doc),
    summary: () => Promise.reject(Object.assign(new Error('AccessDenied: Access Denied'), { name: 'AccessDenied' })),
  };
  const result = await lookUpUsage(usageEvent(KEY_A), denied, new Date('2026-12-01T00:10:00Z'));
  expect(result.statusCode).toBe(503);
  expect(logs.join('\n')).toContain('summary of 2026-12: AccessDenied');
});

test('an unreadable registry: 503, never a guess', async () => {
  const broken = { registry: () => Promise.reject(new Error('AccessDenied')), summary: () => Promise.resolve(undefined) };
  expect((await lookUpUsage(usageEvent(KEY_A), broken, new Date('2026-11-20T10:30:00Z'))).statusCode).toBe(503);
  expect((await lookUpUsage(usageEvent(KEY_A), undefined, new Date('2026-11-20T10:30:00Z'))).statusCode).toBe(503);
});
