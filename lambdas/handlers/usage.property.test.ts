/**
 * Property: for arbitrary x-api-key headers (the two customers' keys, their revoked and unknown
 * keys, near misses, several values at once, in any spelling of the header name), GET /usage
 * answers 200 only when exactly one distinct value is sent and it is a live key, and then with that
 * key's own customer; everything else is 403. Never another customer's figures, never a throw.
 */
import fc from 'fast-check';
import type { ProxyEvent } from './http';
import { lookUpUsage } from './usage';
import { customer, key, KEY_A, KEY_B, memorySource, NOW, registry, summary, usage, usageEvent } from './testing/usage-fixtures';

const REVOKED = 'revoked-key-value-0123456789abcdef';
const UNKNOWN = 'unknown-key-value-0123456789abcdef';
const doc = registry(customer('acme', [key(KEY_A), key(REVOKED, { state: 'revoked', revokedAt: '2026-11-02T00:00:00Z' })]), customer('globex', [key(KEY_B)]));
const source = memorySource(doc, [summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10), usage('globex', 7, 20))]);
const OWNER: Record<string, string> = { [KEY_A]: 'acme', [KEY_B]: 'globex' };

const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(KEY_A, KEY_B, KEY_A, KEY_B, REVOKED, UNKNOWN, KEY_A.toUpperCase(), ` ${KEY_B}`, `${KEY_A}x`, KEY_B.slice(1), '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
);
const headerName = fc.constantFrom('x-api-key', 'X-Api-Key', 'X-API-KEY');

test('200 only for exactly one live key, and then its own customer; otherwise 403 (2000 runs)', async () => {
  const seen = { ok: 0, forbidden: 0 };
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(headerName, value), { maxLength: 3 }), fc.boolean(), async (sent, multi) => {
      const base = usageEvent(null);
      const headers: Record<string, string> = { ...(base.headers as Record<string, string>) };
      const multiValueHeaders: Record<string, string[]> = { ...(base.multiValueHeaders as Record<string, string[]>) };
      for (const [name, v] of sent) {
        headers[name] = v;
        multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), v];
      }
      const event: ProxyEvent = { ...base, headers, multiValueHeaders: multi ? multiValueHeaders : null };
      const distinct = new Set(
        multi
          ? sent.map(([, v]) => v)
          : Object.entries(headers)
              .filter(([n]) => n.toLowerCase() === 'x-api-key')
              .map(([, v]) => v),
      );
      const result = await lookUpUsage(event, source, NOW);
      const only = distinct.size === 1 ? [...distinct][0] : undefined;
      if (only !== undefined && OWNER[only] !== undefined) {
        expect(result.statusCode).toBe(200);
        seen.ok += 1;
        expect((JSON.parse(result.body) as { customerId: string }).customerId).toBe(OWNER[only]);
      } else {
        expect(result.statusCode).toBe(403);
        seen.forbidden += 1;
      }
    }),
    { numRuns: 2000, seed: 20261205 },
  );
  // The generator reaches both outcomes often (not only 403s).
  expect(seen.ok).toBeGreaterThan(200);
  expect(seen.forbidden).toBeGreaterThan(200);
});
