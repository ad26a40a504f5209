/**
 * Every test event runs through the real viewer-request.js twice, against the same key value
 * store (test-events/edge-store.json): in the Node sandbox (only what the CloudFront runtime
 * offers) and in Debian's njs. Both must give the expected outcome: the 403 with nothing logged
 * (missing or malformed key), the 403 with the key's fingerprint logged once (well-formed key the
 * store does not let pass), or the request exactly as it came in with the fingerprint logged once.
 */
import { readFileSync } from 'node:fs';
import { apiKeyFingerprint, isWellFormedApiKey } from '../contracts/api-key';
import { parseEdgeValue } from '../contracts/edge-keys';
import { DEFAULT_FUNCTION_PATH, loadEdgeFunction, MAX_FUNCTION_BYTES, type CloudFrontEvent, type EdgeRun } from './sandbox';
import { runInNjs } from './njs-runner';
import { loadTestEvents, loadTestStore, type TestEventCase } from './test-events';

const cases = loadTestEvents();
const store = loadTestStore();
const edge = loadEdgeFunction(DEFAULT_FUNCTION_PATH, { kvs: (key) => (Object.hasOwn(store, key) ? store[key] : undefined) });

const FORBIDDEN = {
  statusCode: 403,
  statusDescription: 'Forbidden',
  headers: { 'content-type': { value: 'application/json' } },
  body: '{"message":"Forbidden"}',
};

function checkOutcome(testCase: TestEventCase, run: EdgeRun): void {
  const { event, expected } = testCase;
  if (expected.outcome === 'forbidden') {
    expect(run.result).toStrictEqual(FORBIDDEN);
    expect(run.logData).toEqual(expected.logData);
    // A rejected well-formed key is attributed (its fingerprint logged); a malformed one is not.
    const key = event.request.headers['x-api-key'];
    const wellFormed = key !== undefined && key.multiValue === undefined && isWellFormedApiKey(key.value);
    expect(run.logData).toEqual(wellFormed ? [apiKeyFingerprint(key.value)] : []);
    return;
  }
  // Nothing is rewritten: uri, method, query string (client apikey_fp included), headers, cookies.
  expect(run.result).toStrictEqual(event.request);
  expect(run.logData).toEqual(expected.logData);
  // The written-out fingerprint is the shared helper's for this event's key: logged once.
  expect(run.logData).toEqual([apiKeyFingerprint(event.request.headers['x-api-key'].value)]);
}

describe('edge function test events', () => {
  it('covers both outcomes and the forged-fingerprint cases with at least 20 events', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(cases.filter((c) => c.expected.outcome === 'forbidden').length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.expected.outcome === 'forwarded').length).toBeGreaterThan(5);
    const forged = cases.filter((c) => Object.keys(c.event.request.querystring).some((name) => /^apikey_fp$/i.test(name)));
    expect(forged.filter((c) => c.expected.outcome === 'forwarded').length).toBeGreaterThanOrEqual(4);
    expect(forged.filter((c) => c.expected.outcome === 'forbidden').length).toBeGreaterThanOrEqual(2);
  });

  it("includes a forged fingerprint of another customer's key that differs from the sender's", () => {
    const other = cases.find((c) => c.name === 'forged-fp-other-customer');
    if (other === undefined) throw new Error('forged-fp-other-customer.json is missing');
    const forged = other.event.request.querystring.apikey_fp.value;
    expect(forged).toMatch(/^[0-9a-f]{16}$/);
    expect(forged).not.toBe(other.expected.logData[0]);
  });

  it('covers every store outcome: active, grace before and after its deadline, unknown, foreign value', () => {
    const fingerprints = (outcome: string) =>
      cases.filter((c) => c.expected.outcome === outcome && c.expected.logData.length === 1).map((c) => c.expected.logData[0]);
    const states = fingerprints('forwarded').map((fp) => parseEdgeValue(store[fp] ?? '')?.kind);
    expect(new Set(states)).toEqual(new Set(['active', 'grace']));
    const rejected = fingerprints('forbidden').map((fp) => (Object.hasOwn(store, fp) ? (parseEdgeValue(store[fp])?.kind ?? 'foreign') : 'none'));
    expect(new Set(rejected)).toEqual(new Set(['none', 'grace', 'foreign']));
  });

  it('holds only values the contract knows or one it must reject, keyed by fingerprints', () => {
    for (const [fp, value] of Object.entries(store)) {
      expect(fp).toMatch(/^[0-9a-f]{16}$/);
      if (parseEdgeValue(value) === undefined) expect(value).toBe('revoked');
    }
  });

  it("starts with the cloudfront module import CloudFront's logCustomData needs", () => {
    expect(readFileSync(DEFAULT_FUNCTION_PATH, 'utf8').startsWith("import cf from 'cloudfront';\n")).toBe(true);
  });

  it('is small: well under the 10 KB CloudFront Functions limit', () => {
    expect(edge.sizeBytes).toBeLessThan(MAX_FUNCTION_BYTES / 2);
  });

  describe('in the Node sandbox', () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
      checkOutcome(testCase, edge(testCase.event));
    });

    it('does not console.log', () => {
      expect(edge.logs).toEqual([]);
    });

    it('fingerprints the key as WebCrypto does, independently of the shared helper', async () => {
      const key = 'independent-check-key-0001';
      const event: CloudFrontEvent = { ...cases[0].event, request: { ...cases[0].event.request, headers: { 'x-api-key': { value: key } }, querystring: {} } };
      const { logData } = edge(event);
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
      expect(logData).toEqual([Buffer.from(digest).toString('hex').slice(0, 16)]);
    });
  });

  describe("in Debian's njs", () => {
    // runInNjs throws when the njs binary is missing, so a CI without njs fails here.
    const outcomes = runInNjs(
      cases.map((c) => c.event),
      DEFAULT_FUNCTION_PATH,
      store,
    );

    it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, testCase, index) => {
      const outcome = outcomes[index];
      if (!outcome.ok) throw new Error(`njs threw: ${outcome.error}`);
      checkOutcome(testCase, outcome.run);
    });

    it('gives exactly the sandbox result and log data for every event', () => {
      expect(outcomes.map((o) => (o.ok ? o.run : o.error))).toStrictEqual(cases.map((c) => edge(c.event)));
    });
  });
});
