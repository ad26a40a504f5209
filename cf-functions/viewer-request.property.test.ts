/**
 * Property tests (fast-check) for the edge function, in the Node sandbox and in njs: for arbitrary
 * query strings (apikey_fp in any case, repeated, percent-encoded, holding another key's
 * fingerprint; look-alikes, prototype names) and arbitrary headers and keys, the function never
 * throws and gives the 403 with nothing logged (missing or malformed key), or, for a well-formed
 * key, exactly its fingerprint passed to cf.logCustomData, once, and then the identical request
 * when the key value store lets that fingerprint pass (contracts/edge-keys.ts), else the 403. The
 * billing record takes the fingerprint from that log data only, so whatever apikey_fp a client
 * sends stays in the query, unchanged. Both engines run against the same store.
 */
import fc from 'fast-check';
import { apiKeyFingerprint, FINGERPRINT_PARAM, isWellFormedApiKey } from '../contracts/api-key';
import { parseEdgeValue } from '../contracts/edge-keys';
import { runInNjs } from './njs-runner';
import {
  DEFAULT_FUNCTION_PATH,
  isCloudFrontResponse,
  loadEdgeFunction,
  toCloudFrontEvent,
  type CloudFrontEvent,
  type EdgeRun,
  type HttpHeaders,
} from './sandbox';

/** Runs in the Node sandbox. */
const SANDBOX_RUNS = 3000;
/** Events sampled once and run through one njs process. */
const NJS_RUNS = 1500;

const wellFormedKey = fc.stringMatching(/^[\x21-\x7e]{20,128}$/);

/**
 * Keys the store knows, cycling through every kind of entry: active, in grace until 2100, past
 * its deadline (2023), and a value that is not the contract's. Deadlines are far from today so
 * both engines' clocks agree on them.
 */
const STORE_VALUES = ['active', 'active', 'until:4102444800', 'until:1700000000', 'revoked'];
const knownKeys = fc.sample(wellFormedKey, { numRuns: 40, seed: 18 });
const store: Record<string, string> = Object.fromEntries(knownKeys.map((key, i) => [apiKeyFingerprint(key), STORE_VALUES[i % STORE_VALUES.length]]));
const lookup = (fp: string): string | undefined => (Object.hasOwn(store, fp) ? store[fp] : undefined);

/** Whether the store lets this fingerprint pass now, read from the contract, not from the function. */
function passes(fp: string): boolean {
  const state = parseEdgeValue(lookup(fp) ?? '');
  return state !== undefined && (state.kind === 'active' || Date.now() < state.untilEpochSeconds * 1000);
}

const edge = loadEdgeFunction(DEFAULT_FUNCTION_PATH, { kvs: lookup });

const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
/** One character of "apikey_fp", maybe upper-cased, maybe percent-encoded (either hex case). */
const fpChar = (c: string) =>
  fc.oneof(
    fc.constant(c),
    fc.constant(c.toUpperCase()),
    fc.boolean().map((upper) => {
      const code = c.charCodeAt(0).toString(16);
      return '%' + (upper ? code.toUpperCase() : code);
    }),
    ...(c === 'k' ? [fc.constant('\u212a')] : []), // KELVIN SIGN lower-cases to "k"
  );
const fpSpelling = fc.tuple(...FINGERPRINT_PARAM.split('').map(fpChar)).map((parts) => parts.join(''));

/** Characters a query-string name or value may hold on the wire (no & = # separators). */
const wireChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzAPIKEY_FP0123456789-._~+!$'()*,;:@/?".split('')) },
  { weight: 2, arbitrary: fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%2', '%zz', ' ', 'é', '日', '\u212a', '\u0130') },
);
const wireString = (max: number) => fc.array(wireChar, { maxLength: max }).map((parts) => parts.join(''));

const paramName = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(FINGERPRINT_PARAM, FINGERPRINT_PARAM.toUpperCase()) },
  { weight: 3, arbitrary: fpSpelling },
  { weight: 1, arbitrary: fc.tuple(wireString(3), fpSpelling, wireString(3)).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'apikey_fp ', 'apikey-fp', 'apikeyfp') },
  { weight: 4, arbitrary: wireString(12) },
);
/** A value that may be a real fingerprint of some (other) key, as a forger would send. */
const paramValue = fc.oneof({ weight: 3, arbitrary: wireString(20) }, { weight: 1, arbitrary: wellFormedKey.map(apiKeyFingerprint) });
const query = fc
  .array(fc.tuple(paramName, fc.option(paramValue, { nil: undefined })), { maxLength: 12 })
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&'));

const apiKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...knownKeys) },
  { weight: 2, arbitrary: wellFormedKey },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 18, maxLength: 22 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 140 }).map((n) => 'k'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(wellFormedKey, fc.constantFrom(' ', '\t', '\u00a0', '\u007f')).map(([k, ws]) => k.slice(0, 10) + ws + k.slice(10)) },
);
const headerName = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  fc.constantFrom('X-Api-Key-Extra', 'Cookie', 'content-type', 'x-forwarded-for', 'Apikey_Fp', 'host'),
);
const headerValue = fc.string({ unit: 'binary', maxLength: 40 });
const headers: fc.Arbitrary<HttpHeaders> = fc
  .tuple(
    fc.dictionary(
      headerName.filter((n) => n.toLowerCase() !== 'x-api-key'),
      fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })),
      { maxKeys: 6 },
    ),
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: apiKey },
      { weight: 1, arbitrary: fc.array(apiKey, { minLength: 2, maxLength: 3 }) },
    ),
    fc.constantFrom('x-api-key', 'X-API-KEY', 'X-Api-Key'),
  )
  .map(([rest, key, keyName]) => (key === undefined ? rest : { ...rest, [keyName]: key }));

const httpRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'),
  path: fc.constantFrom('/example', '/data', '/', '/a/b%20c'),
  query: fc.option(query, { nil: undefined }),
  headers,
});
const edgeEvent = httpRequest.map((r) => toCloudFrontEvent(r.method, r.query === undefined ? r.path : `${r.path}?${r.query}`, r.headers));

function decodedLower(name: string): string {
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

const FORBIDDEN = {
  statusCode: 403,
  statusDescription: 'Forbidden',
  headers: { 'content-type': { value: 'application/json' } },
  body: '{"message":"Forbidden"}',
};

/**
 * Same JSON text: exact (key order included) for data that crossed as JSON anyway. toStrictEqual
 * cannot be used: it compares `.constructor`, which a parameter named "constructor" shadows.
 */
function expectSameJson(actual: unknown, expected: unknown): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

/** The property, for one event and what the function did with it. */
function checkProperty(event: CloudFrontEvent, run: EdgeRun): void {
  const keyHeader = event.request.headers['x-api-key'];
  const singleKey = keyHeader !== undefined && keyHeader.multiValue === undefined ? keyHeader.value : undefined;
  if (singleKey === undefined || !isWellFormedApiKey(singleKey)) {
    expect(run).toStrictEqual({ result: FORBIDDEN, logData: [] });
    return;
  }
  const fp = apiKeyFingerprint(singleKey);
  expect(run.logData).toStrictEqual([fp]);
  if (!passes(fp)) {
    expect(run.result).toStrictEqual(FORBIDDEN);
    return;
  }
  if (isCloudFrontResponse(run.result)) throw new Error(`403 for a usable key: ${JSON.stringify(event.request.headers)}`);
  expectSameJson(run.result, event.request);
}

describe('edge function properties', () => {
  it(`holds in the Node sandbox (${SANDBOX_RUNS} runs)`, () => {
    fc.assert(
      fc.property(edgeEvent, (event) => {
        checkProperty(event, edge(event)); // a throw fails the property
      }),
      { numRuns: SANDBOX_RUNS },
    );
  });

  it(`holds in njs (${NJS_RUNS} sampled events, one process), with the sandbox's results`, () => {
    const events = fc.sample(edgeEvent, { numRuns: NJS_RUNS, seed: 20261128 });
    const outcomes = runInNjs(events, DEFAULT_FUNCTION_PATH, store);
    events.forEach((event, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) throw new Error(`njs threw on ${JSON.stringify(event.request)}: ${outcome.error}`);
      checkProperty(event, outcome.run);
      expectSameJson(outcome.run, edge(event));
    });
  });

  it('generates the interesting cases, not just noise', () => {
    const events = fc.sample(edgeEvent, { numRuns: 2000, seed: 7 });
    const forgedEntries = (e: CloudFrontEvent) => Object.entries(e.request.querystring).filter(([name]) => decodedLower(name) === FINGERPRINT_PARAM);
    const names = events.flatMap((e) => forgedEntries(e).map(([name]) => name));
    expect(names.filter((n) => n.includes('%')).length).toBeGreaterThan(50);
    expect(names.filter((n) => n !== n.toLowerCase()).length).toBeGreaterThan(50);
    expect(events.filter((e) => forgedEntries(e).some(([, v]) => (v.multiValue?.length ?? 0) > 1)).length).toBeGreaterThan(50);
    const runs = events.map((e) => edge(e));
    const forwarded = events.filter((_e, i) => !isCloudFrontResponse(runs[i].result));
    expect(runs.length - forwarded.length).toBeGreaterThan(200);
    expect(forwarded.length).toBeGreaterThan(200);
    // Forwarded requests carrying a well-formed fingerprint that is not the sender's own.
    const impostors = forwarded.filter((e) =>
      forgedEntries(e).some(([, v]) => /^[0-9a-f]{16}$/.test(v.value) && v.value !== apiKeyFingerprint(e.request.headers['x-api-key'].value)),
    );
    expect(impostors.length).toBeGreaterThan(50);
    // Well-formed keys the store turns away (unknown, past the deadline, foreign value), logged.
    const turnedAway = runs.filter((r) => isCloudFrontResponse(r.result) && r.logData.length === 1);
    expect(turnedAway.length).toBeGreaterThan(200);
    expect(new Set(turnedAway.map((r) => lookup(r.logData[0]) ?? 'none'))).toEqual(new Set(['none', 'until:1700000000', 'revoked']));
    // Rejected requests carrying a forged parameter: the 403 must log nothing for them too.
    expect(events.filter((e, i) => isCloudFrontResponse(runs[i].result) && forgedEntries(e).length > 0).length).toBeGreaterThan(50);
  });
});
