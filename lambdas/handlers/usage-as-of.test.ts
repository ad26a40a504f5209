/** The answer is the current UTC month's summary, with its month, status and asOf; no summary yet is a 503, never zeros. */
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

test('a month whose summary no run has written yet: 503 with Retry-After', async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), new Date('2026-12-01T00:10:00Z'));
  expect(result.statusCode).toBe(503);
  expect(result.headers['retry-after']).toBe('300');
  expect(JSON.parse(result.body)).toEqual({ message: expect.stringMatching(/not available/) });
  expect(logs.join('\n')).toContain('no figures of 2026-12 for customer acme');
});

test('a customer the latest run did not know yet: 503, not zeros', async () => {
  const newer = registry(customer('acme', [key(KEY_A)]), customer('newco', [key('newco-key-value-0123456789abcdef')]));
  const result = await lookUpUsage(usageEvent('newco-key-value-0123456789abcdef'), memorySource(newer, figures), new Date('2026-11-20T10:30:00Z'));
  expect(result.statusCode).toBe(503);
});

test('an unreadable registry: 503, never a guess', async () => {
  const broken = { registry: () => Promise.reject(new Error('AccessDenied')), summary: () => Promise.resolve(undefined) };
  expect((await lookUpUsage(usageEvent(KEY_A), broken, new Date('2026-11-20T10:30:00Z'))).statusCode).toBe(503);
  expect((await lookUpUsage(usageEvent(KEY_A), undefined, new Date('2026-11-20T10:30:00Z'))).statusCode).toBe(503);
});
