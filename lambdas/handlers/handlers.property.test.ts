/**
 * Property tests (fast-check) for the handlers: for arbitrary bodies, headers, content types,
 * base64 flags, methods and malformed event shapes, every response is a 2xx or a 4xx with a JSON
 * body (a 4xx carries exactly {"message": string}), never a 5xx, never a throw.
 */
import fc from 'fast-check';
import type { ProxyEvent, ProxyResult } from './http';
import { setLogSink } from './logger';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import { handler as dataHandler } from './data';
import { handler as exampleHandler } from './example';
import { MAX_BODY_BYTES } from './json-body';
import { restProxyEvent, TEST_API_KEY, TEST_ORIGIN_SECRET } from './testing/rest-proxy-event';

const NUM_RUNS = 1500;
const RAW_EVENT_RUNS = 500;

let restoreSink: () => void;
let logs: string[];
const savedSecret = process.env[ORIGIN_SECRET_ENV];
beforeAll(() => {
  process.env[ORIGIN_SECRET_ENV] = TEST_ORIGIN_SECRET;
});
afterAll(() => {
  if (savedSecret === undefined) delete process.env[ORIGIN_SECRET_ENV];
  else process.env[ORIGIN_SECRET_ENV] = savedSecret;
});
beforeEach(() => {
  logs = [];
  restoreSink = setLogSink((line) => logs.push(line));
});
afterEach(() => restoreSink());

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON') },
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON;charset=UTF-8',
    'text/plain',
    'application/jsonx',
    '',
    ';',
    'application/json;;;',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const jsonText = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null');
const bodyText = fc.oneof(
  { weight: 3, arbitrary: jsonText },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_BODY_BYTES - 4, max: MAX_BODY_BYTES + 4 }).map((n) => '"' + 'x'.repeat(Math.max(0, n - 2)) + '"') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '}', '"', '\\', '[1,]', '{"a":1}garbage', '\uFEFF{}', 'NaN', '1e400') },
);
const body = fc.oneof(
  { weight: 5, arbitrary: bodyText.map((text) => ({ body: text, isBase64Encoded: false })) },
  { weight: 2, arbitrary: bodyText.map((text) => ({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((text) => ({ body: text, isBase64Encoded: true })) },
  { weight: 1, arbitrary: fc.constantFrom({ body: null, isBase64Encoded: false }, { body: undefined, isBase64Encoded: undefined }) },
);
const secretHeader = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ [ORIGIN_SECRET_HEADER]: TEST_ORIGIN_SECRET }) },
  { weight: 1, arbitrary: fc.constant({ 'X-ORIGIN-SECRET': TEST_ORIGIN_SECRET }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ [ORIGIN_SECRET_HEADER]: s })) },
  { weight: 1, arbitrary: fc.constant({}) },
);
const extraHeaders = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 5 });
const proxyEvent: fc.Arbitrary<ProxyEvent> = fc
  .record({
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
      { weight: 1, arbitrary: fc.constantFrom('PUT', 'post', 'DELETE') },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
    secret: secretHeader,
    contentType: fc.option(contentType, { nil: undefined, freq: 8 }),
    extra: extraHeaders,
    body,
    multi: fc.boolean(),
  })
  .map(({ method, secret, contentType: ct, extra, body: b, multi }) => {
    const base = restProxyEvent({ method, path: method === 'GET' ? '/example' : '/data', originSecret: null });
    const headers: Record<string, string> = { ...(base.headers as Record<string, string>), ...extra, ...secret };
    if (ct !== undefined) headers['Content-Type'] = ct;
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value];
    return { ...base, headers, multiValueHeaders: multi ? multiValueHeaders : null, body: b.body, isBase64Encoded: b.isBase64Encoded };
  });

function checkResponse(result: ProxyResult): void {
  expect(result.statusCode).toBeGreaterThanOrEqual(200);
  expect(result.statusCode).toBeLessThan(500);
  expect(result.headers['content-type']).toBe('application/json');
  const payload = JSON.parse(result.body) as unknown;
  if (result.statusCode >= 400) {
    expect(payload).toEqual({ message: expect.any(String) });
  }
  expect(result.body).not.toMatch(/\n\s+at /); // no stack trace
}

describe('handler properties', () => {
  it.each([
    ['GET /example', exampleHandler],
    ['POST /data', dataHandler],
  ])(`%s answers 2xx or 4xx with a JSON body for arbitrary requests (${NUM_RUNS} runs)`, async (_name, handler) => {
    await fc.assert(
      fc.asyncProperty(proxyEvent, async (event) => {
        checkResponse(await handler(event));
      }),
      { numRuns: NUM_RUNS },
    );
    expect(logs).toHaveLength(NUM_RUNS);
    expect(logs.join('\n')).not.toContain(TEST_API_KEY);
    expect(logs.join('\n')).not.toContain(TEST_ORIGIN_SECRET);
  });

  it('generates requests that reach every outcome, not only 403s (fixed-seed sample)', async () => {
    const events = fc.sample(proxyEvent, { numRuns: NUM_RUNS, seed: 20261128 });
    const statuses = async (handler: typeof dataHandler) => {
      const seen = new Map<number, number>();
      for (const event of events) {
        const { statusCode } = await handler(event);
        seen.set(statusCode, (seen.get(statusCode) ?? 0) + 1);
      }
      return seen;
    };
    const data = await statuses(dataHandler);
    expect([...data.keys()].sort()).toEqual([200, 400, 403, 405, 413, 415]);
    expect(data.get(200)).toBeGreaterThan(NUM_RUNS / 50); // 62 of 1500 with this seed
    expect([...(await statuses(exampleHandler)).keys()].sort()).toEqual([200, 403, 405]);
  });

  it(`both handlers survive arbitrary values in place of the event (${RAW_EVENT_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.anything(), async (event, context) => {
        for (const handler of [exampleHandler, dataHandler]) {
          checkResponse(await handler(event as ProxyEvent, context as never));
        }
      }),
      { numRuns: RAW_EVENT_RUNS },
    );
  });
});
