/** The Stripe HTTP client: request shape, retries and their waits, and the key kept out of messages. */
import { StripeMeterClient } from './stripe-client';

const KEY = 'sk_test_secret123';

function stub(answers: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetchStub = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    const next = answers.shift() ?? { status: 200, body: {} };
    return new Response(JSON.stringify(next.body ?? {}), { status: next.status, headers: next.headers });
  }) as unknown as typeof fetch;
  return { requests, fetchStub };
}

function client(fetchStub: typeof fetch, sleeps: number[], random = () => 1) {
  return new StripeMeterClient({
    apiKey: KEY,
    apiBase: 'http://127.0.0.1:1/',
    fetch: fetchStub,
    sleep: async (ms) => void sleeps.push(ms),
    random,
    baseDelayMs: 100,
    maxDelayMs: 2000,
    maxAttempts: 5,
  });
}

const EVENT = { eventName: 'api_requests', stripeCustomerId: 'cus_1', value: -3, identifier: 'id-1', timestamp: 1_700_000_000 };

test('sends the documented form fields with a Bearer key', async () => {
  const { requests, fetchStub } = stub([{ status: 200 }]);
  expect(await client(fetchStub, []).sendMeterEvent(EVENT)).toEqual({ kind: 'recorded' });
  expect(requests[0].url).toBe('http://127.0.0.1:1/v1/billing/meter_events');
  expect((requests[0].init.headers as Record<string, string>).authorization).toBe(`Bearer ${KEY}`);
  expect(Object.fromEntries(new URLSearchParams(requests[0].init.body as string))).toEqual({
    event_name: 'api_requests',
    'payload[stripe_customer_id]': 'cus_1',
    'payload[value]': '-3',
    identifier: 'id-1',
    timestamp: '1700000000',
  });
});

test('429 and 5xx are retried with exponential backoff, never sooner than Retry-After', async () => {
  const sleeps: number[] = [];
  const { requests, fetchStub } = stub([{ status: 429 }, { status: 503 }, { status: 429, headers: { 'retry-after': '1.5' } }, { status: 200 }]);
  expect(await client(fetchStub, sleeps).sendMeterEvent(EVENT)).toEqual({ kind: 'recorded' });
  expect(requests).toHaveLength(4);
  expect(sleeps).toEqual([100, 200, 1500]);
});

test('jitter spreads the waits below the exponential bound', async () => {
  const sleeps: number[] = [];
  const { fetchStub } = stub([{ status: 500 }, { status: 500 }, { status: 200 }]);
  await client(fetchStub, sleeps, () => 0.25).sendMeterEvent(EVENT);
  expect(sleeps).toEqual([25, 50]);
});

test('retries exhausted: unavailable, with the last answer and no key in the message', async () => {
  const { requests, fetchStub } = stub(Array.from({ length: 5 }, () => ({ status: 500, body: { error: { message: `boom for ${KEY}` } } })));
  const outcome = await client(fetchStub, []).sendMeterEvent(EVENT);
  expect(requests).toHaveLength(5);
  expect(outcome).toEqual({ kind: 'unavailable', message: 'POST /v1/billing/meter_events: HTTP 500: boom for [api key] (after 5 attempts)' });
});

test('a 400 is a refusal, not retried; a 400 naming the identifier as used is a duplicate', async () => {
  const { requests, fetchStub } = stub([
    { status: 400, body: { error: { code: 'parameter_missing', message: 'Missing required param: event_name.' } } },
    // the answer observed in production (https://github.com/langfuse/langfuse/pull/16292)
    {
      status: 400,
      headers: { 'stripe-should-retry': 'false' },
      body: { error: { type: 'invalid_request_error', message: 'An event already exists with identifier id-1.' } },
    },
  ]);
  const c = client(fetchStub, []);
  expect(await c.sendMeterEvent(EVENT)).toEqual({ kind: 'rejected', status: 400, message: 'parameter_missing: Missing required param: event_name.' });
  expect(await c.sendMeterEvent(EVENT)).toEqual({ kind: 'duplicate' });
  expect(requests).toHaveLength(2);
});

test('Stripe-Should-Retry: true retries a 4xx (lock timeouts)', async () => {
  const { requests, fetchStub } = stub([{ status: 400, headers: { 'stripe-should-retry': 'true' } }, { status: 200 }]);
  expect(await client(fetchStub, []).sendMeterEvent(EVENT)).toEqual({ kind: 'recorded' });
  expect(requests).toHaveLength(2);
});

test('a value that is not a whole number is refused before any call', async () => {
  const { requests, fetchStub } = stub([]);
  await expect(client(fetchStub, []).sendMeterEvent({ ...EVENT, value: 0.5 })).rejects.toThrow(/whole number/);
  expect(requests).toHaveLength(0);
});
