/**
 * GET /example and POST /data with realistic REST proxy events: success paths, every 4xx, the
 * origin-secret rules (including fail-closed without configuration) and the log line.
 */
import { setLogSink } from './logger';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import type { ProxyResult } from './http';
import { handler as dataHandler } from './data';
import { handler as exampleHandler } from './example';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from './json-body';
import { dataEvent, restProxyEvent, TEST_API_KEY, TEST_API_KEY_ID, TEST_ORIGIN_SECRET } from './testing/rest-proxy-event';

let logs: string[];
let restoreSink: () => void;
const savedSecret = process.env[ORIGIN_SECRET_ENV];

beforeEach(() => {
  logs = [];
  restoreSink = setLogSink((line) => logs.push(line));
  process.env[ORIGIN_SECRET_ENV] = TEST_ORIGIN_SECRET;
});
afterEach(() => {
  restoreSink();
  if (savedSecret === undefined) delete process.env[ORIGIN_SECRET_ENV];
  else process.env[ORIGIN_SECRET_ENV] = savedSecret;
});

function body(result: ProxyResult): Record<string, unknown> {
  expect(result.headers['content-type']).toBe('application/json');
  return JSON.parse(result.body) as Record<string, unknown>;
}

function expectError(result: ProxyResult, status: number, message: RegExp): void {
  expect(result.statusCode).toBe(status);
  const payload = body(result);
  expect(Object.keys(payload)).toEqual(['message']);
  expect(payload.message).toMatch(message);
}

describe('GET /example', () => {
  it('answers with the message, an ISO timestamp and the API key id', async () => {
    const before = Date.now();
    const result = await exampleHandler(restProxyEvent());
    expect(result.statusCode).toBe(200);
    const payload = body(result);
    expect(payload).toEqual({ message: 'Example endpoint response', timestamp: expect.any(String), apiKeyId: TEST_API_KEY_ID });
    const stamp = Date.parse(payload.timestamp as string);
    expect(new Date(stamp).toISOString()).toBe(payload.timestamp);
    expect(stamp).toBeGreaterThanOrEqual(before - 1000);
  });

  it('answers apiKeyId null when API Gateway attached no key id', async () => {
    const event = restProxyEvent();
    const result = await exampleHandler({ ...event, requestContext: { ...event.requestContext, identity: {} } });
    expect(body(result).apiKeyId).toBeNull();
  });

  it('refuses another method with 405 and an Allow header', async () => {
    const result = await exampleHandler(restProxyEvent({ method: 'DELETE' }));
    expectError(result, 405, /Method DELETE is not allowed on \/example; use GET/);
    expect(result.headers.allow).toBe('GET');
  });
});

describe('POST /data', () => {
  it('echoes a JSON object with the message, timestamp and API key id', async () => {
    const data = { test: 'data', n: 1, nested: { list: [1, 'two', null, true] } };
    const result = await dataHandler(dataEvent(JSON.stringify(data)));
    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({
      message: 'Data received successfully',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      apiKeyId: TEST_API_KEY_ID,
      dataReceived: data,
    });
  });

  it.each([
    ['a charset parameter', 'application/json; charset=utf-8'],
    ['upper case', 'APPLICATION/JSON'],
    ['mixed case with spaces and a parameter', ' Application/Json ;Charset=UTF-8'],
  ])('accepts a content type with %s', async (_label, contentType) => {
    const result = await dataHandler(dataEvent('[1,2,3]', { headers: { 'Content-Type': contentType } }));
    expect(result.statusCode).toBe(200);
    expect(body(result).dataReceived).toEqual([1, 2, 3]);
  });

  it('finds the content type whatever the spelling of its header name', async () => {
    const event = dataEvent('{"a":1}');
    const headers = { ...event.headers, 'Content-Type': undefined, 'CONTENT-TYPE': 'application/json' };
    const result = await dataHandler({ ...event, headers, multiValueHeaders: null });
    expect(result.statusCode).toBe(200);
  });

  it('decodes a base64-encoded body', async () => {
    const text = JSON.stringify({ city: 'Köln', emoji: '🙂' });
    const result = await dataHandler(dataEvent(Buffer.from(text).toString('base64'), { isBase64Encoded: true }));
    expect(result.statusCode).toBe(200);
    expect(body(result).dataReceived).toEqual({ city: 'Köln', emoji: '🙂' });
  });

  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes and refuses one byte more with 413`, async () => {
    const exact = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - 10) });
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    expect((await dataHandler(dataEvent(exact))).statusCode).toBe(200);
    const over = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - 9) });
    expectError(await dataHandler(dataEvent(over)), 413, /larger than 65536 bytes \(64 KB\)/);
  });

  it('counts bytes, not characters: 2-byte characters over 64 KB are refused', async () => {
    const text = JSON.stringify({ pad: 'é'.repeat(MAX_BODY_BYTES / 2) });
    expect(text.length).toBeLessThan(MAX_BODY_BYTES);
    expectError(await dataHandler(dataEvent(text)), 413, /larger than/);
  });

  it('measures a base64 body after decoding', async () => {
    const exact = Buffer.alloc(MAX_BODY_BYTES, 0x20);
    exact.write('{}', 0);
    expect((await dataHandler(dataEvent(exact.toString('base64'), { isBase64Encoded: true }))).statusCode).toBe(200);
    const over = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    over.write('{}', 0);
    expectError(await dataHandler(dataEvent(over.toString('base64'), { isBase64Encoded: true })), 413, /larger than/);
  });

  it.each([
    ['no content type', { 'Content-Type': '' }],
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['form encoding', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a look-alike type', { 'Content-Type': 'application/jsonp' }],
    ['a JSON suffix type', { 'Content-Type': 'application/merge-patch+json' }],
  ])('refuses %s with 415', async (_label, headers) => {
    expectError(await dataHandler(dataEvent('{"a":1}', { headers })), 415, /^Content-Type must be application\/json$/);
  });

  it('refuses a request that carries two different content types with 415', async () => {
    const event = dataEvent('{"a":1}');
    const result = await dataHandler({ ...event, multiValueHeaders: { 'Content-Type': ['application/json', 'text/plain'] } });
    expectError(result, 415, /Content-Type/);
  });

  it.each([
    ['text that is not JSON', 'hello', false, /not valid JSON/],
    ['truncated JSON', '{"a":', false, /not valid JSON/],
    ['an empty body', '', false, /empty/],
    ['no body at all', null, false, /empty/],
    ['invalid base64', '!!notbase64!!', true, /not valid base64/],
    ['base64 of bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), true, /not valid UTF-8/],
    ['base64 of text that is not JSON', Buffer.from('nope').toString('base64'), true, /not valid JSON/],
    [`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1), false, /deeper than 128 levels/],
  ])('refuses %s with 400', async (_label, text, base64, message) => {
    expectError(await dataHandler(dataEvent(text, { isBase64Encoded: base64 })), 400, message);
  });

  it(`accepts JSON nested exactly ${MAX_JSON_DEPTH} levels, brackets inside strings not counted`, async () => {
    const deep = '['.repeat(MAX_JSON_DEPTH) + '"[[[[{{{{"' + ']'.repeat(MAX_JSON_DEPTH);
    expect((await dataHandler(dataEvent(deep))).statusCode).toBe(200);
  });

  it('answers 400, not 500, for 32,768 levels of nesting in 64 KB (which would overflow the stack when echoed)', async () => {
    const text = '['.repeat(MAX_BODY_BYTES / 2) + ']'.repeat(MAX_BODY_BYTES / 2);
    expectError(await dataHandler(dataEvent(text)), 400, /deeper than/);
  });

  it('refuses GET with 405', async () => {
    expectError(await dataHandler(dataEvent('{}', { method: 'GET' })), 405, /use POST/);
  });
});

describe('origin secret', () => {
  it(`is read from the ${ORIGIN_SECRET_HEADER} header in any letter case`, async () => {
    const event = restProxyEvent({ originSecret: null, headers: { 'X-Origin-Secret': TEST_ORIGIN_SECRET } });
    expect((await exampleHandler(event)).statusCode).toBe(200);
  });

  it.each([
    ['missing', restProxyEvent({ originSecret: null })],
    ['wrong', restProxyEvent({ originSecret: 'origin-secret-7f3a9c1e5b2d8f4a6c0f' })],
    ['a prefix of the secret', restProxyEvent({ originSecret: TEST_ORIGIN_SECRET.slice(0, -1) })],
    ['empty', restProxyEvent({ originSecret: '' })],
    ['sent twice with different values', { ...restProxyEvent(), multiValueHeaders: { [ORIGIN_SECRET_HEADER]: [TEST_ORIGIN_SECRET, 'other'] } }],
  ])('refuses a request whose secret is %s with 403 Forbidden, on both routes', async (_label, event) => {
    expectError(await exampleHandler(event), 403, /^Forbidden$/);
    expectError(
      await dataHandler({ ...event, httpMethod: 'POST', path: '/data', body: '{}', headers: { ...event.headers, 'content-type': 'application/json' } }),
      403,
      /^Forbidden$/,
    );
    expect(logs.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => [l.status, l.reason])).toEqual([
      [403, 'origin secret header missing or wrong'],
      [403, 'origin secret header missing or wrong'],
    ]);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
  ])(`fails closed when ${ORIGIN_SECRET_ENV} is %s: 403 for every request and an error log line`, async (_label, value) => {
    if (value === undefined) delete process.env[ORIGIN_SECRET_ENV];
    else process.env[ORIGIN_SECRET_ENV] = value;
    expectError(await exampleHandler(restProxyEvent()), 403, /^Forbidden$/);
    expectError(await exampleHandler(restProxyEvent({ originSecret: '' })), 403, /^Forbidden$/);
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'error', status: 403, reason: `${ORIGIN_SECRET_ENV} is not set: refusing every request` });
    }
  });
});

describe('logs', () => {
  it('writes one JSON line per request with the request id, method, path, status and latency', async () => {
    await exampleHandler(restProxyEvent({ requestId: 'req-1' }), { awsRequestId: 'lambda-1' });
    await dataHandler(dataEvent('nope', { requestId: 'req-2' }));
    expect(logs).toHaveLength(2);
    const [first, second] = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toEqual({
      level: 'info',
      msg: 'request',
      time: expect.any(String),
      requestId: 'req-1',
      lambdaRequestId: 'lambda-1',
      method: 'GET',
      path: '/example',
      status: 200,
      latencyMs: expect.any(Number),
      apiKeyId: TEST_API_KEY_ID,
    });
    expect(second).toMatchObject({ level: 'warn', requestId: 'req-2', method: 'POST', path: '/data', status: 400 });
    expect(second.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('never contain the API key or the origin secret, whatever the outcome', async () => {
    const events = [
      restProxyEvent(),
      restProxyEvent({ originSecret: null }),
      restProxyEvent({ originSecret: 'wrong' }),
      restProxyEvent({ method: 'PUT' }),
      dataEvent(JSON.stringify({ echo: TEST_API_KEY, secret: TEST_ORIGIN_SECRET })),
      dataEvent('not json ' + TEST_API_KEY),
      dataEvent('{}', { headers: { 'Content-Type': 'text/plain' } }),
      dataEvent('x'.repeat(MAX_BODY_BYTES + 1)),
    ];
    for (const event of events) {
      await exampleHandler(event);
      await dataHandler(event);
    }
    delete process.env[ORIGIN_SECRET_ENV];
    await exampleHandler(restProxyEvent());
    expect(logs).toHaveLength(events.length * 2 + 1);
    const all = logs.join('\n');
    expect(all).not.toContain(TEST_API_KEY);
    expect(all).not.toContain(TEST_ORIGIN_SECRET);
    expect(all).toContain(TEST_API_KEY_ID);
  });
});

describe('malformed events', () => {
  it('answers a non-object event with 403, not a crash', async () => {
    expectError(await exampleHandler(null as never), 403, /Forbidden/);
    expectError(await dataHandler('garbage' as never), 403, /Forbidden/);
  });

  it('treats a non-string body as missing', async () => {
    const event = { ...dataEvent(null), body: { a: 1 } as never };
    expectError(await dataHandler(event), 400, /empty/);
  });
});
