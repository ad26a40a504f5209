/** Each key sees its own customer's entry and nothing of another's, whatever else the request carries. */
import { lookUpUsage } from './usage';
import { customer, key, KEY_A, KEY_B, memorySource, NOW, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

const doc = registry(customer('acme', [key(KEY_A), key('acme-second-key-0123456789abcdef')]), customer('globex', [key(KEY_B)]));
const figures = [summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10), usage('globex', 7, 20))];

test.each([
  [KEY_A, 'acme', 5, 10],
  ['acme-second-key-0123456789abcdef', 'acme', 5, 10],
  [KEY_B, 'globex', 7, 20],
])('key %s sees customer %s only', async (value, id, requests, bytesOut) => {
  const result = await lookUpUsage(usageEvent(value), memorySource(doc, figures), NOW);
  expect(result.statusCode).toBe(200);
  const body = JSON.parse(result.body) as Record<string, unknown>;
  expect(body).toMatchObject({ customerId: id, requests, bytesOut, quota: 1000, remaining: 1000 - requests });
  expect(result.body).not.toContain(id === 'acme' ? 'globex' : 'acme');
});

test('query parameters and headers naming another customer change nothing', async () => {
  const event = usageEvent(KEY_B, { 'x-customer-id': 'acme', 'x-apikey-fp': 'acme' });
  const result = await lookUpUsage(
    { ...event, queryStringParameters: { customer: 'acme', customerId: 'acme' }, multiValueQueryStringParameters: { customer: ['acme'] } },
    memorySource(doc, figures),
    NOW,
  );
  expect(JSON.parse(result.body)).toMatchObject({ customerId: 'globex', requests: 7 });
});

test('the answer holds no key value and no fingerprint, and is never cached', async () => {
  const result = await lookUpUsage(usageEvent(KEY_A), memorySource(doc, figures), NOW);
  expect(result.body).not.toContain(KEY_A);
  expect(result.body).not.toContain(doc.customers.acme.keys[0].fingerprint);
  expect(result.headers['cache-control']).toBe('no-store');
});
