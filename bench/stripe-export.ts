/**
 * Stripe export benchmark: `npm run bench:stripe -- [--customers 10000] [--hours 720] [--restate-percent 2] [--concurrency 32]
 * [--transport in-process|http] [--write-doc]`.
 *
 * A month (November 2026) of hourly runs of the Stripe sink against the Stripe fake
 * (usage-job/sinks/stripe/testing/stripe-fake.ts), with the in-memory ledger store: every customer
 * has usage in every hour; each run hands the sink the complete figures of the month so far (as the
 * usage job does), the new hour plus `--restate-percent` of the customers' previous hour grown by
 * late logs. `--transport` picks how the sink's client reaches the fake: `in-process` (default; the
 * fake's fetch, the same handler and rules without sockets, so a month fits in minutes) or `http`
 * (loopback, ~1,100 calls/s here). The fake keeps hourly sums, not events (keepEvents: false).
 * Prints per-day progress, events sent, wall time, calls per second, the ledger's size and peak RSS,
 * and checks every customer's figure per meter and hour, and per meter over the month, against the
 * fake's sums. With `--write-doc` the figures replace the benchmark block in docs/stripe.md.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addHours } from '../sql/hours';
import type { CustomerHourFigures, SinkCustomer } from '../usage-job/sinks/sink';
import { customer, hourS, stripeScenario, TEST_CONFIG } from '../usage-job/sinks/stripe/testing/scenario';
import type { StripeFake } from '../usage-job/sinks/stripe/testing/stripe-fake';
import { replaceDocBlock, runStamp } from './doc-block';

const MONTH = '2026-11';
const FIRST_HOUR = '2026-11-01T00';
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '10000' },
      hours: { type: 'string', default: '720' },
      'restate-percent': { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '32' },
      transport: { type: 'string', default: 'in-process' },
      'write-doc': { type: 'boolean', default: false },
    },
  });
  const customerCount = positive('customers', values.customers!);
  const hourCount = positive('hours', values.hours!);
  const restatePercent = Number(values['restate-percent']);
  if (hourCount > 720) throw new Error('--hours: at most 720 (November has 720 hours)');
  const transport = values.transport;
  if (transport !== 'in-process' && transport !== 'http') throw new Error(`--transport must be in-process or http, got ${transport}`);
  if (!(restatePercent >= 0 && restatePercent <= 100)) throw new Error(`--restate-percent must be 0 to 100, got ${values['restate-percent']}`);

  const customers = Array.from({ length: customerCount }, (_, i) => customer(`c${String(i).padStart(5, '0')}`));
  const s = await stripeScenario({
    customers,
    transport,
    fake: { keepEvents: false },
    sink: { concurrency: positive('concurrency', values.concurrency!) },
  });
  const requests = new Float64Array(customerCount * hourCount);
  const hourIds = Array.from({ length: hourCount }, (_, h) => addHours(FIRST_HOUR, h));
  const figureOf = (c: number, h: number): CustomerHourFigures => ({
    customerId: customers[c].id,
    hour: hourIds[h],
    requests: requests[c * hourCount + h],
    bytesOut: requests[c * hourCount + h] * 1500,
  });
  // The month so far, hour-major (index h * customerCount + c); a run replaces only what changed.
  const hours: CustomerHourFigures[] = [];

  let sinkMs = 0;
  let sent = 0;
  const started = performance.now();
  for (let h = 0; h < hourCount; h++) {
    for (let c = 0; c < customerCount; c++) {
      requests[c * hourCount + h] = 1 + ((c * 7919 + h * 104_729) % 5000);
      hours.push(figureOf(c, h));
      if (h > 0 && (c * 31 + h) % 100 < restatePercent) {
        requests[c * hourCount + h - 1] += 1 + (c % 17); // late logs for the previous hour
        hours[(h - 1) * customerCount + c] = figureOf(c, h - 1);
      }
    }
    const now = new Date(Date.parse(`${addHours(FIRST_HOUR, h + 1)}:00:00Z`) + 10 * 60_000);
    const t = performance.now();
    const report = await s.run(now, hours);
    sinkMs += performance.now() - t;
    sent += report.sent;
    if (report.outcome !== 'ok') throw new Error(`run at ${now.toISOString()}: ${report.outcome}: ${JSON.stringify(report.problems.slice(0, 3))}`);
    if ((h + 1) % 24 === 0)
      log(
        `day ${(h + 1) / 24}: ${sent} events, ${(sinkMs / 1000).toFixed(1)} s in the sink, ${((performance.now() - started) / 1000).toFixed(1)} s wall, ` +
          `ledger ${mb(s.store.sizeBytes('stripe', MONTH))}`,
      );
  }
  const wallMs = performance.now() - started;

  const { wrongCustomers, wrongHours } = check(s.fake, customers, hourIds, requests);
  const ledgerBytes = s.store.sizeBytes('stripe', MONTH);
  await s.close();
  const lines = [
    `customers ${customerCount}, hourly runs ${hourCount}, restated per run ${restatePercent} % of customers (their previous hour)`,
    `transport ${transport === 'http' ? 'loopback HTTP' : "in-process (the fake's fetch, no sockets)"}`,
    `events sent ${sent} (fake: ${s.fake.stats.recorded} recorded, ${s.fake.stats.duplicates} duplicates, ${s.fake.stats.concurrencyRefused} concurrency 429s)`,
    `wall time ${(wallMs / 1000).toFixed(1)} s (in the sink ${(sinkMs / 1000).toFixed(1)} s, the rest building inputs)`,
    `calls per second in the sink ${(s.fake.stats.calls / (sinkMs / 1000)).toFixed(0)}`,
    `ledger ${ledgerBytes} bytes (${mb(ledgerBytes)}), ${(ledgerBytes / (customerCount * hourCount * 2)).toFixed(1)} bytes per customer, meter and hour`,
    `at Stripe's live limit of 1,000 calls/s one hourly run of ${customerCount} customers needs at least ${((customerCount * 2) / 1000).toFixed(1)} s`,
    `peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
    `customer-meter-hours whose Stripe sum differs from their figure: ${wrongHours}; customers whose month total per meter differs: ${wrongCustomers}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values['write-doc'])
    replaceDocBlock(resolve(__dirname, '..', 'docs', 'stripe.md'), 'stripe', [`${runStamp()}:`, '', ...lines.map((l) => `- ${l}`)].join('\n'));
  if (wrongCustomers + wrongHours > 0) process.exitCode = 1;
}

/** Compares the fake's sums with the figures: per customer, meter and hour, and per customer and meter over the month. */
function check(fake: StripeFake, customers: readonly SinkCustomer[], hourIds: readonly string[], requests: Float64Array) {
  const meters = [
    { eventName: TEST_CONFIG.requestsEventName, perRequest: 1 },
    { eventName: TEST_CONFIG.bytesEventName, perRequest: 1500 },
  ];
  const hourStarts = hourIds.map((h) => hourS(h));
  let wrongHours = 0;
  let wrongCustomers = 0;
  customers.forEach((c, i) => {
    let customerWrong = false;
    for (const { eventName, perRequest } of meters) {
      let total = 0;
      hourStarts.forEach((start, h) => {
        const figure = requests[i * hourIds.length + h] * perRequest;
        total += figure;
        if (fake.total(`cus_${c.id}`, eventName, start) !== figure) wrongHours++;
      });
      if (fake.grandTotal(`cus_${c.id}`, eventName) !== total) customerWrong = true;
    }
    if (customerWrong) wrongCustomers++;
  });
  return { wrongCustomers, wrongHours };
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got ${text}`);
  return n;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
