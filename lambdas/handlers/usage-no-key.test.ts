/** GET /usage without exactly one well-formed x-api-key answers 403 and reads nothing. */
import { lookUpUsage } from './usage';
import { customer, key, KEY_A, memorySource, NOW, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

const source = () => memorySource(registry(customer('acme', [key(KEY_A)])), [summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10))]);

test.each([
  ['no x-api-key header', usageEvent(null)],
  ['an empty key', usageEvent('')],
  ['a key shorter than 20 characters', usageEvent('short-key')],
  ['a key with whitespace inside', usageEvent('acme key value 0123456789abcdef')],
])('%s: 403 Forbidden, nothing read', async (_label, event) => {
  const s = source();
  const result = await lookUpUsage(event, s, NOW);
  expect(result.statusCode).toBe(403);
  expect(JSON.parse(result.body)).toEqual({ message: 'Forbidden' });
  expect(s.reads).toBe(0);
});

test('two different keys in one request: 403 (which customer would it be?)', async () => {
  const event = usageEvent(KEY_A);
  const s = source();
  const result = await lookUpUsage({ ...event, multiValueHeaders: { ...event.multiValueHeaders, 'X-Api-Key': ['other-key-value-0123456789abcdef'] } }, s, NOW);
  expect(result.statusCode).toBe(403);
  expect(s.reads).toBe(0);
});
