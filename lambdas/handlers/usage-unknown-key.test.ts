/** A key the registry does not list as live (unknown, revoked, past its grace, of a revoked customer) gets 403, like no key. */
import { lookUpUsage } from './usage';
import { customer, key, KEY_A, KEY_B, memorySource, NOW, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

const figures = [summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10), usage('globex', 7, 20))];

test.each([
  ['unknown to the registry', registry(customer('acme', [key(KEY_A)]))],
  ['revoked', registry(customer('acme', [key(KEY_A)]), customer('globex', [key(KEY_B, { state: 'revoked', revokedAt: '2026-11-10T00:00:00Z' })]))],
  ['pending (its create has not finished)', registry(customer('acme', [key(KEY_A)]), customer('globex', [key(KEY_B, { state: 'pending' })]))],
  ['rotated and past its grace deadline', registry(customer('globex', [key(KEY_B, { state: 'grace', graceUntil: '2026-11-20T10:29:59Z' })]))],
  ['of a revoked customer', registry(customer('globex', [key(KEY_B)], { revokedAt: '2026-11-15T00:00:00Z' }))],
])('a key %s: 403 Forbidden', async (_label, doc) => {
  const result = await lookUpUsage(usageEvent(KEY_B), memorySource(doc, figures), NOW);
  expect(result.statusCode).toBe(403);
  expect(JSON.parse(result.body)).toEqual({ message: 'Forbidden' });
});

test('a rotated key before its grace deadline still sees its customer', async () => {
  const doc = registry(customer('globex', [key(KEY_B, { state: 'grace', graceUntil: '2026-11-20T10:30:01Z' })]));
  const result = await lookUpUsage(usageEvent(KEY_B), memorySource(doc, figures), NOW);
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body)).toMatchObject({ customerId: 'globex', requests: 7 });
});
