/**
 * Property tests (fast-check) for the edge function, in the Node sandbox and in njs: for arbitrary
 * query strings (names in any case, repeated, percent-encoded, look-alikes, prototype names) and
 * arbitrary headers and keys, the function never throws, never lets a client-supplied apikey_fp
 * through, and returns either a 403 or a request whose only apikey_fp is the key's fingerprint,
 * every other parameter, header and cookie intact.
 *
 * "Through" is judged the way API Gateway will read the forwarded URL: URLSearchParams decodes
 * each name, and no decoded name other than the one we add may equal apikey_fp in any case.
 */
import fc from 'fast-check';
import { apiKeyFingerprint, FINGERPRINT_PARAM, isWellFormedApiKey } from '../lambdas/shared/api-key';
import { runInNjs } from './njs-runner';
import {
  fromCloudFrontRequest,
  isCloudFrontResponse,
  loadEdgeFunction,
  toCloudFrontEvent,
  type CloudFrontEvent,
  type EdgeResult,
  type HttpHeaders,
} from './sandbox';

/** Runs in the Node sandbox. */
const SANDBOX_RUNS = 3000;
/** Events sampled once and run through one njs process. */
const NJS_RUNS = 1500;

const edge = loadEdgeFunction();

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
  { weight: 6, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzAPIKEY_FP0123456789-._~+!$\'()*,;:@/?'.split('')) },
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
const query = fc
  .array(fc.tuple(paramName, fc.option(wireString(20), { nil: undefined })), { maxLength: 12 })
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&'));

const wellFormedKey = fc.stringMatching(/^[\x21-\x7e]{20,128}$/);
const apiKey = fc.oneof(
  { weight: 4, arbitrary: wellFormedKey },
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
    fc.dictionary(headerName.filter((n) => n.toLowerCase() !== 'x-api-key'), fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })), { maxKeys: 6 }),
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
const edgeEvent = httpRequest.map((r) =>
  toCloudFrontEvent(r.method, r.query === undefined ? r.path : `${r.path}?${r.query}`, r.headers),
);

function decodedLower(name: string): string {
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** The property, for one event and what the function returned for it. */
function checkProperty(event: CloudFrontEvent, result: EdgeResult): void {
  const keyHeader = event.request.headers['x-api-key'];
  const singleKey = keyHeader !== undefined && keyHeader.multiValue === undefined ? keyHeader.value : undefined;
  if (singleKey === undefined || !isWellFormedApiKey(singleKey)) {
    expect(result).toEqual({
      statusCode: 403,
      statusDescription: 'Forbidden',
      headers: { 'content-type': { value: 'application/json' } },
      body: '{"message":"Forbidden"}',
    });
    return;
  }
  if (isCloudFrontResponse(result)) throw new Error(`403 for a well-formed key: ${JSON.stringify(event.request.headers)}`);
  const fingerprint = apiKeyFingerprint(singleKey);
  // The function's own view: exactly one apikey_fp, ours, and nothing that decodes to it.
  expect(result.querystring[FINGERPRINT_PARAM]).toEqual({ value: fingerprint });
  const input = event.request.querystring;
  const kept = Object.keys(input).filter((name) => decodedLower(name) !== FINGERPRINT_PARAM);
  expect(Object.keys(result.querystring).sort()).toEqual([...kept, FINGERPRINT_PARAM].sort());
  for (const name of kept) expect(result.querystring[name]).toEqual(input[name]);
  expect(result.headers).toEqual(event.request.headers);
  expect(result.cookies).toEqual(event.request.cookies);
  expect([result.method, result.uri]).toEqual([event.request.method, event.request.uri]);
  // API Gateway's view of the forwarded URL: one apikey_fp in any case, with our value.
  const url = fromCloudFrontRequest(result).url;
  const params = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const fpEntries = [...params.entries()].filter(([name]) => name.toLowerCase() === FINGERPRINT_PARAM);
  expect(fpEntries).toEqual([[FINGERPRINT_PARAM, fingerprint]]);
}

describe('edge function properties', () => {
  it(`holds in the Node sandbox (${SANDBOX_RUNS} runs)`, () => {
    fc.assert(
      fc.property(edgeEvent, (event) => {
        const result = edge(event); // a throw fails the property
        checkProperty(event, result);
      }),
      { numRuns: SANDBOX_RUNS },
    );
  });

  it(`holds in njs (${NJS_RUNS} sampled events, one process)`, () => {
    const events = fc.sample(edgeEvent, { numRuns: NJS_RUNS, seed: 20261128 });
    const outcomes = runInNjs(events);
    events.forEach((event, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) throw new Error(`njs threw on ${JSON.stringify(event.request)}: ${outcome.error}`);
      checkProperty(event, outcome.result);
      expect(outcome.result).toEqual(edge(event));
    });
  });

  it('generates the interesting cases, not just noise', () => {
    const events = fc.sample(edgeEvent, { numRuns: 2000, seed: 7 });
    const names = events.flatMap((e) => Object.keys(e.request.querystring));
    const forged = names.filter((n) => decodedLower(n) === FINGERPRINT_PARAM);
    expect(forged.filter((n) => n.includes('%')).length).toBeGreaterThan(50);
    expect(forged.filter((n) => n !== n.toLowerCase()).length).toBeGreaterThan(50);
    const repeated = events.filter((e) =>
      Object.entries(e.request.querystring).some(([n, v]) => decodedLower(n) === FINGERPRINT_PARAM && (v.multiValue?.length ?? 0) > 1),
    );
    expect(repeated.length).toBeGreaterThan(50);
    const outcomes = events.map((e) => isCloudFrontResponse(edge(e)));
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(200);
    expect(outcomes.filter((o) => !o).length).toBeGreaterThan(200);
  });
});
