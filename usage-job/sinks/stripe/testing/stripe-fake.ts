/**
 * A stateful stand-in for Stripe's Billing Meters API on loopback, written from Stripe's
 * documentation (not from the sink), inconvenient parts included:
 *
 * - POST /v1/billing/meter_events, form-encoded (`event_name`, `payload[stripe_customer_id]`,
 *   `payload[value]`, `identifier`, `timestamp`): https://docs.stripe.com/api/billing/meter-event/create
 * - identifier uniqueness "within a rolling period of at least 24 hours": the fake forgets an
 *   identifier exactly 24 hours after receiving it, so a later resend counts twice (same page).
 *   How Stripe answers a repeated identifier is not documented; it was observed in production as
 *   400 invalid_request_error "An event already exists with identifier <id>." with the header
 *   `stripe-should-retry: false` (https://github.com/langfuse/langfuse/pull/16292). `duplicateIdentifier`
 *   picks 'reject' (that answer) or 'ignore' (200, not counted), the latter kept as the undocumented alternative.
 * - timestamps "within the past 35 calendar days or up to 5 minutes in the future" (same page);
 *   refused with 400 here (Stripe may report them asynchronously as `timestamp_too_far_in_past` /
 *   `timestamp_in_future`, the v1.billing.meter.error_report_triggered codes in stripe-node's types).
 * - whole-number values; negative values accepted ("You can also fix incorrectly recorded usage
 *   data by recording negative quantities", https://docs.stripe.com/billing/subscriptions/usage-based/meters/configure).
 * - meters with `sum` aggregation and raw ingestion (each event counts; events do not overwrite each
 *   other: https://docs.stripe.com/billing/subscriptions/usage-based/recording-usage).
 * - one concurrent call per customer per meter, a second one answered 429
 *   (https://docs.stripe.com/rate-limits, "Concurrency limiter"); an optional calls-per-second limit (429).
 * - an unknown event name or customer is accepted and dropped, reported asynchronously
 *   (`no_meter`, `meter_event_customer_not_found`): `errorReports()`.
 * - GET /v1/billing/meters/{id}/event_summaries (`customer`, `start_time`, `end_time` on minute
 *   boundaries, `value_grouping_window=hour|day`, `limit` 1-100 default 10, `starting_after`):
 *   https://docs.stripe.com/api/billing/meter-event-summary/list; events show only after
 *   `processingDelayMs` ("Meters events are aggregated asynchronously", the summary object's page).
 * - injectable 429 storms and 5xx (`failNext`), and an outage (`setDown`: connections reset).
 * Time is the fake's clock (`setNow`), so tests move days without waiting.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DAY_MS = 86_400_000;

export interface FakeMeter {
  readonly eventName: string;
  readonly meterId: string;
}

export interface StripeFakeOptions {
  readonly apiKey?: string;
  readonly meters: readonly FakeMeter[];
  /** Known Stripe customers; undefined: every id is known. */
  readonly customers?: readonly string[];
  readonly duplicateIdentifier?: 'ignore' | 'reject';
  readonly processingDelayMs?: number;
  /** Real milliseconds each meter event call is held, so concurrent calls overlap. */
  readonly holdMs?: number;
  /** Meter event calls per real second (live mode 1,000); more are answered 429. */
  readonly maxCallsPerSecond?: number;
  readonly now?: Date;
}

export interface RecordedEvent {
  readonly identifier: string;
  readonly eventName: string;
  readonly stripeCustomerId: string;
  readonly value: number;
  readonly timestamp: number;
  readonly receivedAtMs: number;
}

export interface FakeStats {
  calls: number;
  recorded: number;
  duplicates: number;
  rejected: number;
  concurrencyRefused: number;
  rateRefused: number;
  injected: number;
  summaryCalls: number;
}

export class StripeFake {
  readonly stats: FakeStats = { calls: 0, recorded: 0, duplicates: 0, rejected: 0, concurrencyRefused: 0, rateRefused: 0, injected: 0, summaryCalls: 0 };
  readonly recorded: RecordedEvent[] = [];
  private readonly reports: { code: string; identifier: string }[] = [];
  private readonly identifiers = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly injected: { status: number; headers: Record<string, string> }[] = [];
  private readonly callTimes: number[] = [];
  private nowMs: number;
  private down = false;
  url = '';

  private constructor(
    private readonly server: Server,
    private readonly options: StripeFakeOptions,
  ) {
    this.nowMs = (options.now ?? new Date()).getTime();
  }

  static async start(options: StripeFakeOptions): Promise<StripeFake> {
    const handlers: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const server = createServer((req, res) => void handlers.handle!(req, res));
    const fake = new StripeFake(server, options);
    handlers.handle = (req, res) => fake.handle(req, res);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  get apiKey(): string {
    return this.options.apiKey ?? 'sk_test_fake';
  }

  setNow(now: Date): void {
    this.nowMs = now.getTime();
  }

  /** The next `count` meter event calls are answered `status` (429 storms, 5xx). */
  failNext(count: number, status: number, headers: Record<string, string> = {}): void {
    for (let i = 0; i < count; i++) this.injected.push({ status, headers });
  }

  /** Drops the injected failures not yet used. */
  clearFailures(): void {
    this.injected.length = 0;
  }

  setDown(down: boolean): void {
    this.down = down;
  }

  errorReports(): readonly { code: string; identifier: string }[] {
    return this.reports;
  }

  /** Sum of the counted events per (customer, event name, timestamp hour start in seconds). */
  total(stripeCustomerId: string, eventName: string, hourStartS: number): number {
    return this.recorded
      .filter((e) => e.stripeCustomerId === stripeCustomerId && e.eventName === eventName && e.timestamp - (e.timestamp % 3600) === hourStartS)
      .reduce((sum, e) => sum + e.value, 0);
  }

  /** Sum of every counted event of a customer and event name, wherever it landed. */
  grandTotal(stripeCustomerId: string, eventName: string): number {
    return this.recorded.filter((e) => e.stripeCustomerId === stripeCustomerId && e.eventName === eventName).reduce((sum, e) => sum + e.value, 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    if (!this.authorized(req)) return send(res, 401, error('invalid_request_error', 'api_key_invalid', 'Invalid API Key provided'));
    const url = new URL(req.url ?? '/', 'http://fake');
    const summaries = /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/.exec(url.pathname);
    if (req.method === 'GET' && summaries) return this.summaries(decodeURIComponent(summaries[1]), url.searchParams, res);
    if (req.method === 'POST' && url.pathname === '/v1/billing/meter_events') return this.meterEvent(new URLSearchParams(body), res, req);
    send(res, 404, error('invalid_request_error', 'resource_missing', `Unrecognized request URL (${req.method}: ${url.pathname})`));
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    if (header === `Bearer ${this.apiKey}`) return true;
    if (header.startsWith('Basic ')) return Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] === this.apiKey;
    return false;
  }

  private async meterEvent(form: URLSearchParams, res: ServerResponse, req: IncomingMessage): Promise<void> {
    this.stats.calls++;
    const injected = this.injected.shift();
    if (injected !== undefined) {
      this.stats.injected++;
      return send(
        res,
        injected.status,
        error(injected.status === 429 ? 'invalid_request_error' : 'api_error', injected.status === 429 ? 'rate_limit' : 'api_error', 'injected failure'),
        injected.headers,
      );
    }
    if (this.options.maxCallsPerSecond !== undefined) {
      const real = Date.now();
      while (this.callTimes.length > 0 && this.callTimes[0] <= real - 1000) this.callTimes.shift();
      if (this.callTimes.length >= this.options.maxCallsPerSecond) {
        this.stats.rateRefused++;
        return send(res, 429, error('invalid_request_error', 'rate_limit', 'Too many requests'));
      }
      this.callTimes.push(real);
    }
    const eventName = form.get('event_name');
    const customer = form.get('payload[stripe_customer_id]');
    const valueText = form.get('payload[value]');
    const identifier = form.get('identifier') ?? `auto-${this.stats.calls}`;
    const timestampText = form.get('timestamp');
    if (!eventName) return this.reject(res, 'parameter_missing', 'Missing required param: event_name.');
    if (!customer) return this.reject(res, 'parameter_missing', 'Missing required param: payload[stripe_customer_id].');
    if (valueText === null || !/^-?\d+$/.test(valueText))
      return this.reject(res, 'meter_event_invalid_value', `payload[value] must be a whole number, got ${valueText}`);
    if (identifier.length > 100) return this.reject(res, 'invalid_string_length', 'identifier: max length 100');
    const timestamp = timestampText === null ? Math.floor(this.nowMs / 1000) : Number(timestampText);
    if (!Number.isInteger(timestamp)) return this.reject(res, 'parameter_invalid_integer', `timestamp must be an integer, got ${timestampText}`);
    if (timestamp * 1000 < this.nowMs - 35 * DAY_MS) return this.reject(res, 'timestamp_too_far_in_past', 'timestamp must be within the past 35 calendar days');
    if (timestamp * 1000 > this.nowMs + 5 * 60_000) return this.reject(res, 'timestamp_in_future', 'timestamp must be at most 5 minutes in the future');

    const lock = `${customer}\u0000${eventName}`;
    if (this.inFlight.has(lock)) {
      this.stats.concurrencyRefused++;
      return send(res, 429, error('invalid_request_error', 'rate_limit', 'Only one concurrent call per customer per meter'));
    }
    this.inFlight.add(lock);
    try {
      if (this.options.holdMs) await new Promise((resolve) => setTimeout(resolve, this.options.holdMs));
      if (req.socket.destroyed) return;
      for (const [id, at] of this.identifiers) {
        if (at > this.nowMs - DAY_MS) break; // kept in the order received: the rest are younger
        this.identifiers.delete(id);
      }
      if (this.identifiers.has(identifier)) {
        this.stats.duplicates++;
        if (this.options.duplicateIdentifier === 'reject') {
          this.stats.rejected++;
          // the observed answer (langfuse/langfuse PR #16292); its error code was not quoted there, so none is sent
          const body = { error: { type: 'invalid_request_error', message: `An event already exists with identifier ${identifier}.` } };
          return send(res, 400, body, { 'stripe-should-retry': 'false' });
        }
        return send(res, 200, this.eventObject(eventName, customer, valueText, identifier, timestamp));
      }
      this.identifiers.set(identifier, this.nowMs);
      if (!this.options.meters.some((m) => m.eventName === eventName)) this.reports.push({ code: 'no_meter', identifier });
      else if (this.options.customers !== undefined && !this.options.customers.includes(customer))
        this.reports.push({ code: 'meter_event_customer_not_found', identifier });
      else {
        this.recorded.push({ identifier, eventName, stripeCustomerId: customer, value: Number(valueText), timestamp, receivedAtMs: this.nowMs });
        this.stats.recorded++;
      }
      send(res, 200, this.eventObject(eventName, customer, valueText, identifier, timestamp));
    } finally {
      this.inFlight.delete(lock);
    }
  }

  private reject(res: ServerResponse, code: string, message: string): void {
    this.stats.rejected++;
    send(res, 400, error('invalid_request_error', code, message));
  }

  private eventObject(eventName: string, customer: string, value: string, identifier: string, timestamp: number) {
    return {
      object: 'billing.meter_event',
      created: Math.floor(this.nowMs / 1000),
      event_name: eventName,
      identifier,
      livemode: false,
      payload: { stripe_customer_id: customer, value },
      timestamp,
    };
  }

  private summaries(meterId: string, query: URLSearchParams, res: ServerResponse): void {
    this.stats.summaryCalls++;
    const meter = this.options.meters.find((m) => m.meterId === meterId);
    if (meter === undefined) return send(res, 404, error('invalid_request_error', 'resource_missing', `No such billing meter: '${meterId}'`));
    const customer = query.get('customer');
    const start = Number(query.get('start_time'));
    const end = Number(query.get('end_time'));
    if (!customer) return send(res, 400, error('invalid_request_error', 'parameter_missing', 'Missing required param: customer.'));
    if (!Number.isInteger(start) || !Number.isInteger(end) || start % 60 !== 0 || end % 60 !== 0 || end <= start) {
      return send(
        res,
        400,
        error('invalid_request_error', 'parameter_invalid', 'start_time and end_time must be aligned with minute boundaries, end after start'),
      );
    }
    const windowText = query.get('value_grouping_window');
    if (windowText !== null && windowText !== 'hour' && windowText !== 'day')
      return send(res, 400, error('invalid_request_error', 'parameter_invalid', 'value_grouping_window must be hour or day'));
    const window = windowText === 'hour' ? 3600 : windowText === 'day' ? 86400 : end - start;
    const limit = query.get('limit') === null ? 10 : Number(query.get('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return send(res, 400, error('invalid_request_error', 'parameter_invalid', 'limit must be between 1 and 100'));
    const buckets = new Map<number, number>();
    const visibleBefore = this.nowMs - (this.options.processingDelayMs ?? 0);
    for (const e of this.recorded) {
      if (e.eventName !== meter.eventName || e.stripeCustomerId !== customer || e.timestamp < start || e.timestamp >= end || e.receivedAtMs > visibleBefore)
        continue;
      const bucket = start + Math.floor((e.timestamp - start) / window) * window;
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + e.value);
    }
    const all = [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([bucket, value]) => ({
        id: `mtrusg_${meterId}_${bucket}`,
        object: 'billing.meter_event_summary',
        aggregated_value: value,
        start_time: bucket,
        end_time: Math.min(end, bucket + window),
        livemode: false,
        meter: meterId,
      }));
    const after = query.get('starting_after');
    const from = after === null ? 0 : all.findIndex((s) => s.id === after) + 1;
    const data = all.slice(from, from + limit);
    send(res, 200, { object: 'list', data, has_more: from + limit < all.length, url: `/v1/billing/meters/${meterId}/event_summaries` });
  }
}

function error(type: string, code: string, message: string) {
  return { error: { type, code, message } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
