/** The Stripe fake keeps the documented rules it claims (see its header for the sources). */
import { StripeFake } from './stripe-fake';

const METERS = [{ eventName: 'api_requests', meterId: 'mtr_requests' }];
const NOW = new Date('2026-11-20T12:00:00Z');
const nowS = NOW.getTime() / 1000;

let fake: StripeFake;
afterEach(async () => fake?.close());

async function post(fields: Record<string, string>, key = fake.apiKey): Promise<{ status: number; body: { error?: { code: string } } }> {
  const response = await fetch(`${fake.url}/v1/billing/meter_events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
}

const event = (identifier: string, value = '5', timestamp = nowS - 3600) => ({
  event_name: 'api_requests',
  'payload[stripe_customer_id]': 'cus_a',
  'payload[value]': value,
  identifier,
  timestamp: String(timestamp),
});

test('an identifier counts once within 24 hours and is forgotten after them', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW });
  expect((await post(event('id-1'))).status).toBe(200);
  fake.setNow(new Date(NOW.getTime() + 23 * 3_600_000));
  expect((await post(event('id-1'))).status).toBe(200);
  expect(fake.grandTotal('cus_a', 'api_requests')).toBe(5);
  fake.setNow(new Date(NOW.getTime() + 24 * 3_600_000));
  expect((await post(event('id-1', '5', nowS))).status).toBe(200);
  expect(fake.grandTotal('cus_a', 'api_requests')).toBe(10);
});

test('timestamps: at most 35 days back, at most 5 minutes ahead; whole numbers, negatives accepted', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW });
  expect((await post(event('old', '1', nowS - 35 * 86400 - 1))).body.error?.code).toBe('timestamp_too_far_in_past');
  expect((await post(event('edge', '1', nowS - 35 * 86400))).status).toBe(200);
  expect((await post(event('ahead', '1', nowS + 301))).body.error?.code).toBe('timestamp_in_future');
  expect((await post(event('soon', '1', nowS + 300))).status).toBe(200);
  expect((await post(event('frac', '1.5'))).body.error?.code).toBe('meter_event_invalid_value');
  expect((await post(event('neg', '-2'))).status).toBe(200);
  expect(fake.grandTotal('cus_a', 'api_requests')).toBe(0);
});

test('a second concurrent call for the same customer and meter is answered 429; another customer is not held up', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW, holdMs: 50 });
  const [a, b, other] = await Promise.all([post(event('c1')), post(event('c2')), post({ ...event('c3'), 'payload[stripe_customer_id]': 'cus_b' })]);
  expect([a.status, b.status].sort()).toEqual([200, 429]);
  expect(other.status).toBe(200);
  expect(fake.stats.concurrencyRefused).toBe(1);
});

test('wrong key: 401; unknown meter or customer: accepted, dropped, reported asynchronously', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW, customers: ['cus_a'] });
  expect((await post(event('k'), 'sk_test_wrong')).status).toBe(401);
  expect((await post({ ...event('m'), event_name: 'nope' })).status).toBe(200);
  expect((await post({ ...event('c'), 'payload[stripe_customer_id]': 'cus_zzz' })).status).toBe(200);
  expect(fake.errorReports()).toEqual([
    { code: 'no_meter', identifier: 'm' },
    { code: 'meter_event_customer_not_found', identifier: 'c' },
  ]);
  expect(fake.recorded).toHaveLength(0);
});

test('event summaries: hourly buckets, minute-aligned bounds, pages of `limit`, processing delay', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW, processingDelayMs: 60_000 });
  const dayStart = nowS - 12 * 3600;
  for (let h = 0; h < 12; h++) await post(event(`s${h}`, String(h + 1), dayStart + h * 3600 + 59));
  const list = async (query: Record<string, string>) => {
    const response = await fetch(`${fake.url}/v1/billing/meters/mtr_requests/event_summaries?${new URLSearchParams(query)}`, {
      headers: { authorization: `Bearer ${fake.apiKey}` },
    });
    return {
      status: response.status,
      body: (await response.json()) as { data: { id: string; start_time: number; aggregated_value: number }[]; has_more: boolean },
    };
  };
  const base = { customer: 'cus_a', start_time: String(dayStart), end_time: String(nowS), value_grouping_window: 'hour' };
  expect((await list(base)).body.data).toHaveLength(0); // not processed yet
  fake.setNow(new Date(NOW.getTime() + 60_000));
  const first = await list({ ...base, limit: '5' });
  expect(first.body.data.map((s) => s.aggregated_value)).toEqual([1, 2, 3, 4, 5]);
  expect(first.body.has_more).toBe(true);
  const rest = await list({ ...base, limit: '100', starting_after: first.body.data[4].id });
  expect(rest.body.data.map((s) => s.start_time)).toEqual(Array.from({ length: 7 }, (_, i) => dayStart + (i + 5) * 3600));
  expect((await list({ ...base, start_time: String(dayStart + 1) })).status).toBe(400);
  expect((await list({ ...base, value_grouping_window: 'day' })).body.data.map((s) => s.aggregated_value)).toEqual([78]);
});

test('429 storms and outages are injectable', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW });
  fake.failNext(2, 429, { 'retry-after': '1' });
  const storm = await post(event('x'));
  expect(storm.status).toBe(429);
  expect((await post(event('x'))).status).toBe(429);
  expect((await post(event('x'))).status).toBe(200);
  fake.setDown(true);
  await expect(post(event('y'))).rejects.toThrow();
});

type Outcome = { status: number; retryAfter: string | null; shouldRetry: string | null; body: unknown } | { threw: true };

/** The same calls through a transport (global fetch over loopback, or the fake's own fetch). */
async function sameScenario(send: typeof fetch, base: string): Promise<Outcome[]> {
  const call = async (fields: Record<string, string>, key = fake.apiKey): Promise<Outcome> => {
    try {
      const response = await send(`${base}/v1/billing/meter_events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      const answer = (await response.json()) as { created?: number };
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        shouldRetry: response.headers.get('stripe-should-retry'),
        body: answer,
      };
    } catch {
      return { threw: true };
    }
  };
  const outcomes = [
    await call(event('a1')),
    await call(event('a1')),
    await call(event('old', '1', nowS - 36 * 86400)),
    await call(event('w'), 'sk_test_wrong'),
  ];
  outcomes.push(...(await Promise.all([call(event('b1')), call(event('b2'))])));
  fake.failNext(1, 429, { 'retry-after': '2' });
  outcomes.push(await call(event('c1')));
  fake.setNow(new Date(NOW.getTime() + 24 * 3_600_000));
  outcomes.push(await call(event('a1', '5', nowS))); // forgotten after 24 hours
  fake.setDown(true);
  outcomes.push(await call(event('d1')));
  fake.setDown(false);
  return outcomes;
}

test('both transports give identical answers: duplicates, timestamps, keys, concurrency, injected 429s, outages', async () => {
  const outcomes: Outcome[][] = [];
  const totals: number[] = [];
  for (const transport of ['http', 'in-process']) {
    // held 50 ms: over HTTP, two requests' bodies may arrive in different turns of the event loop
    fake = await StripeFake.start({ meters: METERS, now: NOW, duplicateIdentifier: 'reject', holdMs: 50 });
    outcomes.push(await sameScenario(transport === 'http' ? fetch : fake.fetch, fake.url));
    totals.push(fake.grandTotal('cus_a', 'api_requests'));
    await fake.close();
  }
  expect(outcomes[1]).toEqual(outcomes[0]);
  expect(totals).toEqual([15, 15]);
  expect(outcomes[0].map((o) => ('threw' in o ? 'threw' : o.status))).toEqual([200, 400, 400, 401, 200, 429, 429, 200, 'threw']);
  expect(outcomes[0][1]).toMatchObject({ shouldRetry: 'false' });
  expect(outcomes[0][6]).toMatchObject({ retryAfter: '2' });
});

test('keepEvents: false answers totals and summaries as keeping every event does, holding no events', async () => {
  const answers = [];
  for (const keepEvents of [true, false]) {
    fake = await StripeFake.start({ meters: METERS, now: NOW, processingDelayMs: 60_000, keepEvents });
    const dayStart = nowS - 12 * 3600;
    for (let h = 0; h < 6; h++) await fake.fetch(...request(event(`s${h}`, String(h - 2), dayStart + h * 1800)));
    const list = async (window: string) =>
      (await (
        await fake.fetch(
          `${fake.url}/v1/billing/meters/mtr_requests/event_summaries?customer=cus_a&start_time=${dayStart}&end_time=${nowS}&value_grouping_window=${window}`,
          {
            headers: { authorization: `Bearer ${fake.apiKey}` },
          },
        )
      ).json()) as { data: unknown[] };
    const before = await list('hour');
    fake.setNow(new Date(NOW.getTime() + 60_000));
    answers.push({
      before,
      hours: await list('hour'),
      day: await list('day'),
      total: fake.total('cus_a', 'api_requests', dayStart + 3600),
      grand: fake.grandTotal('cus_a', 'api_requests'),
      kept: fake.recorded.length,
    });
    await fake.close();
  }
  expect(answers[0]).toMatchObject({ before: { data: [] }, total: 1, grand: 3, kept: 6 });
  expect(answers[0].hours.data).toHaveLength(3);
  expect({ ...answers[1], kept: 6 }).toEqual(answers[0]);
  expect(answers[1].kept).toBe(0);
});

test('in process, calls issued together overlap without holdMs: the second for a customer and meter is answered 429', async () => {
  fake = await StripeFake.start({ meters: METERS, now: NOW });
  const answers = await Promise.all([
    fake.fetch(...request(event('o1'))),
    fake.fetch(...request(event('o2'))),
    fake.fetch(...request({ ...event('o3'), 'payload[stripe_customer_id]': 'cus_b' })),
  ]);
  expect(answers.map((a) => a.status)).toEqual([200, 429, 200]);
  expect(fake.stats.concurrencyRefused).toBe(1);
});

function request(fields: Record<string, string>): [string, RequestInit] {
  return [
    `${fake.url}/v1/billing/meter_events`,
    { method: 'POST', headers: { authorization: `Bearer ${fake.apiKey}` }, body: new URLSearchParams(fields).toString() },
  ];
}
