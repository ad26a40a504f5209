/**
 * Every test event runs through the real viewer-request.js twice: in the Node sandbox (only what
 * the CloudFront runtime offers) and in Debian's njs. Both must give the expected outcome.
 */
import { apiKeyFingerprint, FINGERPRINT_PARAM } from '../lambdas/shared/api-key';
import { isCloudFrontResponse, loadEdgeFunction, MAX_FUNCTION_BYTES, type CloudFrontEvent, type EdgeResult } from './sandbox';
import { runInNjs } from './njs-runner';
import { loadTestEvents, type TestEventCase } from './test-events';

const cases = loadTestEvents();
const edge = loadEdgeFunction();

function checkOutcome(testCase: TestEventCase, result: EdgeResult): void {
  const { event, expected } = testCase;
  if (expected.outcome === 'forbidden') {
    expect(isCloudFrontResponse(result)).toBe(true);
    expect(result).toMatchObject({ statusCode: 403 });
    if (!isCloudFrontResponse(result)) return;
    expect(JSON.parse(typeof result.body === 'string' ? result.body : '')).toEqual({ message: 'Forbidden' });
    expect(result.headers?.['content-type']?.value).toBe('application/json');
    return;
  }
  expect(isCloudFrontResponse(result)).toBe(false);
  if (isCloudFrontResponse(result)) return;
  const key = event.request.headers['x-api-key'].value;
  expect(result.querystring).toEqual({ ...expected.querystring, [FINGERPRINT_PARAM]: { value: apiKeyFingerprint(key) } });
  expect(result.querystring[FINGERPRINT_PARAM].multiValue).toBeUndefined();
  // Everything else passes through untouched, the key header included (API Gateway enforces it).
  expect(result.headers).toEqual(event.request.headers);
  expect(result.headers['x-api-key'].value).toBe(key);
  expect(result.cookies).toEqual(event.request.cookies);
  expect(result.method).toBe(event.request.method);
  expect(result.uri).toBe(event.request.uri);
}

describe('edge function test events', () => {
  it('covers both outcomes with at least 20 events', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(cases.filter((c) => c.expected.outcome === 'forbidden').length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.expected.outcome === 'forwarded').length).toBeGreaterThan(5);
  });

  it('is small: well under the 10 KB CloudFront Functions limit', () => {
    expect(edge.sizeBytes).toBeLessThan(MAX_FUNCTION_BYTES / 2);
  });

  describe('in the Node sandbox', () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
      checkOutcome(testCase, edge(testCase.event));
    });

    it('does not log', () => {
      expect(edge.logs).toEqual([]);
    });

    it('fingerprints the key as Node crypto does, independently of the shared helper', () => {
      const key = 'independent-check-key-0001';
      const event: CloudFrontEvent = { ...cases[0].event, request: { ...cases[0].event.request, headers: { 'x-api-key': { value: key } }, querystring: {} } };
      const result = edge(event);
      if (isCloudFrontResponse(result)) throw new Error('expected a forwarded request');
      // sha256("independent-check-key-0001") computed by WebCrypto, a different implementation path.
      return crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)).then((digest) => {
        const hex = Buffer.from(digest).toString('hex');
        expect(result.querystring[FINGERPRINT_PARAM].value).toBe(hex.slice(0, 16));
      });
    });
  });

  describe("in Debian's njs", () => {
    // runInNjs throws when the njs binary is missing, so a CI without njs fails here.
    const outcomes = runInNjs(cases.map((c) => c.event));

    it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, testCase, index) => {
      const outcome = outcomes[index];
      if (!outcome.ok) throw new Error(`njs threw: ${outcome.error}`);
      checkOutcome(testCase, outcome.result);
    });

    it('gives exactly the sandbox result for every event', () => {
      expect(outcomes.map((o) => (o.ok ? o.result : o.error))).toEqual(cases.map((c) => edge(c.event)));
    });
  });
});
