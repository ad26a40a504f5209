/**
 * The sink's real requests against stripe-mock, which checks them against Stripe's OpenAPI spec
 * (parameter names, types, required fields). It keeps no state, so totals are the fake's business
 * (stripe-sink.test.ts); here only the shapes are judged.
 */
import { StripeMeterClient } from './stripe-client';
import { MemoryLedgerStore } from './testing/memory-ledger-store';
import { customer, TEST_CONFIG } from './testing/scenario';
import { startStripeMock, type StripeMock } from './testing/stripe-mock';
import { createStripeSink } from './stripe-sink';

let mock: StripeMock;
beforeAll(async () => {
  mock = await startStripeMock();
});
afterAll(async () => mock?.stop());

const credentials = async () => ({ apiKey: 'sk_test_123', apiBase: mock.url });

test('the meter events of an export, restatement (negative delta) included, are accepted', async () => {
  const ledgers = new MemoryLedgerStore();
  const sink = createStripeSink({ config: TEST_CONFIG, ledgers, credentials, client: { maxAttempts: 1 } });
  const now = new Date();
  const hour = new Date(now.getTime() - 3_600_000).toISOString().slice(0, 13);
  const month = hour.slice(0, 7);
  const input = (requests: number) => ({
    environment: 'dev',
    month,
    now,
    monthStatus: 'month-to-date' as const,
    hours: [{ customerId: 'acme', hour, requests, bytesOut: requests * 1000 }],
    customers: [customer('acme')],
    usage: { month, keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
    dryRun: false,
  });
  // stripe-mock keeps no state: its event summaries are canned, so the daily reconciliation's
  // comparison is meaningless here (the summaries request's shape is the next test's). Every
  // other problem would be a refused event.
  for (const requests of [10, 4]) {
    const report = await sink.export(input(requests));
    expect(report.sent).toBe(2);
    expect(report.problems.filter((p) => !p.message.startsWith('stripe reconcile:'))).toEqual([]);
  }
});

test('the event summaries request is accepted and its answer read', async () => {
  const client = new StripeMeterClient({ apiKey: 'sk_test_123', apiBase: mock.url, maxAttempts: 1 });
  const start = Math.floor(Date.now() / 3_600_000) * 3600 - 86_400;
  const outcome = await client.eventSummaries('mtr_123', 'cus_123', start, start + 86_400);
  expect(outcome.kind).toBe('ok');
});

test('stripe-mock does judge shapes: a meter event without event_name is refused', async () => {
  const response = await fetch(`${mock.url}/v1/billing/meter_events`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_123', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'payload[stripe_customer_id]': 'cus_1', 'payload[value]': '1' }),
  });
  expect(response.status).toBe(400);
});
