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
 *
 * Two transports serve the same handler: the loopback HTTP server (`url`) and `fetch`, an
 * in-process stand-in for global fetch (no sockets; an outage throws as undici does on a reset).
 * Each meter event call holds its customer-meter lock across a turn of the event loop (or `holdMs`),
 * so calls issued together overlap on either transport. `keepEvents: false` keeps hourly sums per
 * customer and event name instead of every event (`recorded` stays empty), for month-long benchmarks.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
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
  /** false: keep hourly sums only (summaries then need hour-aligned bounds); default true. */
  readonly keepEvents?: boolean;
}

/** One request as either transport hands it to the handler. */
interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string;
  readonly body: string;
  /** The caller went away (socket closed, fetch aborted). */
  gone(): boolean;
}

/** 'reset': the connection is dropped without an answer. */
type FakeAnswer = { readonly status: number; readonly headers: Record<string, string>; readonly body: unknown } | 'reset';

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
  /** The identifiers in the order received, from `identifiersHead` on: the oldest is forgotten first, without scanning the map. */
  private identifierOrder: { readonly id: string; readonly at: number }[] = [];
  private identifiersHead = 0;
  private readonly inFlight = new Set<string>();
  private readonly injected: { status: number; headers: Record<string, string> }[] = [];
  private readonly callTimes: number[] = [];
  private readonly hourSums = new Map<string, HourSums>();
  /** keepEvents false: events not yet past processingDelayMs, oldest first (summaries leave them out). */
  private readonly processing: { key: string; hour: number; value: number; receivedAtMs: number }[] = [];
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
    const handlers: { handle?: (req: IncomingMessage) => Promise<FakeAnswer> } = {};
    const server = createServer((req, res) => {
      void (async () => {
        const answer = await handlers.handle!(req);
        if (answer === 'reset') {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      })();
    });
    const fake = new StripeFake(server, options);
    handlers.handle = (req) => fake.handleHttp(req);
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
    if (hourStartS % 3600 !== 0) return 0;
    return this.hourSums.get(sumKey(stripeCustomerId, eventName))?.get(hourStartS / 3600) ?? 0;
  }

  /** Sum of every counted event of a customer and event name, wherever it landed. */
  grandTotal(stripeCustomerId: string, eventName: string): number {
    return this.hourSums.get(sumKey(stripeCustomerId, eventName))?.sum() ?? 0;
  }

  /** Global fetch's stand-in: the same handler as the HTTP server, without sockets. */
  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = await toFakeRequest(input, init);
    if (!request.url.startsWith(`${this.url}/`)) throw new TypeError(`fetch failed: the fake serves ${this.url}, not ${request.url}`);
    const answer = await this.handle(request);
    if (answer === 'reset') throw new TypeError('fetch failed', { cause: new Error('other side closed') });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers } });
  }) as typeof fetch;

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handleHttp(req: IncomingMessage): Promise<FakeAnswer> {
    if (this.down) return 'reset';
    const body = await readBody(req);
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      authorization: req.headers.authorization ?? '',
      body,
      gone: () => req.socket.destroyed,
    };
    return this.handle(request);
  }

  private async handle(req: FakeRequest): Promise<FakeAnswer> {
    if (this.down) return 'reset';
    if (!this.authorized(req)) return send(401, error('invalid_request_error', 'api_key_invalid', 'Invalid API Key provided'));
    const url = new URL(req.url, 'http://fake');
    const summaries = /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/.exec(url.pathname);
    if (req.method === 'GET' && summaries) return this.summaries(decodeURIComponent(summaries[1]), url.searchParams);
    if (req.method === 'POST' && url.pathname === '/v1/billing/meter_events') return this.meterEvent(new URLSearchParams(req.body), req);
    return send(404, error('invalid_request_error', 'resource_missing', `Unrecognized request URL (${req.method}: ${url.pathname})`));
  }

  private authorized(req: FakeRequest): boolean {
    const header = req.authorization;
    if (header === `Bearer ${this.apiKey}`) return true;
    if (header.startsWith('Basic ')) return Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] === this.apiKey;
    return false;
  }

  private async meterEvent(form: URLSearchParams, req: FakeRequest): Promise<FakeAnswer> {
    this.stats.calls++;
    const injected = this.injected.shift();
    if (injected !== undefined) {
      this.stats.injected++;
      return send(
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
        return send(429, error('invalid_request_error', 'rate_limit', 'Too many requests'));
      }
      this.callTimes.push(real);
    }
    const eventName = form.get('event_name');
    const customer = form.get('payload[stripe_customer_id]');
    const valueText = form.get('payload[value]');
    const identifier = form.get('identifier') ?? `auto-${this.stats.calls}`;
    const timestampText = form.get('timestamp');
    if (!eventName) return this.reject('parameter_missing', 'Missing required param: event_name.');
    if (!customer) return this.reject('parameter_missing', 'Missing required param: payload[stripe_customer_id].');
    if (valueText === null || !/^-?\d+$/.test(valueText))
      return this.reject('meter_event_invalid_value', `payload[value] must be a whole number, got ${valueText}`);
    if (identifier.length > 100) return this.reject('invalid_string_length', 'identifier: max length 100');
    const timestamp = timestampText === null ? Math.floor(this.nowMs / 1000) : Number(timestampText);
    if (!Number.isInteger(timestamp)) return this.reject('parameter_invalid_integer', `timestamp must be an integer, got ${timestampText}`);
    if (timestamp * 1000 < this.nowMs - 35 * DAY_MS) return this.reject('timestamp_too_far_in_past', 'timestamp must be within the past 35 calendar days');
    if (timestamp * 1000 > this.nowMs + 5 * 60_000) return this.reject('timestamp_in_future', 'timestamp must be at most 5 minutes in the future');

    const lock = `${customer}\u0000${eventName}`;
    if (this.inFlight.has(lock)) {
      this.stats.concurrencyRefused++;
      return send(429, error('invalid_request_error', 'rate_limit', 'Only one concurrent call per customer per meter'));
    }
    this.inFlight.add(lock);
    try {
      // Held across a turn of the event loop at least, so calls issued together overlap on either transport.
      await new Promise((resolve) => (this.options.holdMs ? setTimeout(resolve, this.options.holdMs) : setImmediate(resolve)));
      if (req.gone()) return 'reset';
      this.forgetIdentifiersOlderThan(this.nowMs - DAY_MS);
      if (this.identifiers.has(identifier)) {
        this.stats.duplicates++;
        if (this.options.duplicateIdentifier === 'reject') {
          this.stats.rejected++;
          // the observed answer (langfuse/langfuse PR #16292); its error code was not quoted there, so none is sent
          const body = { error: { type: 'invalid_request_error', message: `An event already exists with identifier ${identifier}.` } };
          return send(400, body, { 'stripe-should-retry': 'false' });
        }
        return send(200, this.eventObject(eventName, customer, valueText, identifier, timestamp));
      }
      this.identifiers.set(identifier, this.nowMs);
      this.identifierOrder.push({ id: identifier, at: this.nowMs });
      if (!this.options.meters.some((m) => m.eventName === eventName)) this.reports.push({ code: 'no_meter', identifier });
      else if (this.options.customers !== undefined && !this.options.customers.includes(customer))
        this.reports.push({ code: 'meter_event_customer_not_found', identifier });
      else {
        this.record({ identifier, eventName, stripeCustomerId: customer, value: Number(valueText), timestamp, receivedAtMs: this.nowMs });
      }
      return send(200, this.eventObject(eventName, customer, valueText, identifier, timestamp));
    } finally {
      this.inFlight.delete(lock);
    }
  }

  private forgetIdentifiersOlderThan(cutoffMs: number): void {
    const order = this.identifierOrder;
    while (this.identifiersHead < order.length && order[this.identifiersHead].at <= cutoffMs) {
      this.identifiers.delete(order[this.identifiersHead].id);
      this.identifiersHead++;
    }
    if (this.identifiersHead > 100_000 && this.identifiersHead * 2 > order.length) {
      this.identifierOrder = order.slice(this.identifiersHead);
      this.identifiersHead = 0;
    }
  }

  private record(event: RecordedEvent): void {
    this.stats.recorded++;
    const key = sumKey(event.stripeCustomerId, event.eventName);
    const hour = Math.floor(event.timestamp / 3600);
    let sums = this.hourSums.get(key);
    if (sums === undefined) this.hourSums.set(key, (sums = new HourSums()));
    sums.add(hour, event.value);
    if (this.keepsEvents) this.recorded.push(event);
    else if (this.options.processingDelayMs) this.processing.push({ key, hour, value: event.value, receivedAtMs: event.receivedAtMs });
  }

  private get keepsEvents(): boolean {
    return this.options.keepEvents ?? true;
  }

  private reject(code: string, message: string): FakeAnswer {
    this.stats.rejected++;
    return send(400, error('invalid_request_error', code, message));
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

  private summaries(meterId: string, query: URLSearchParams): FakeAnswer {
    this.stats.summaryCalls++;
    const meter = this.options.meters.find((m) => m.meterId === meterId);
    if (meter === undefined) return send(404, error('invalid_request_error', 'resource_missing', `No such billing meter: '${meterId}'`));
    const customer = query.get('customer');
    const start = Number(query.get('start_time'));
    const end = Number(query.get('end_time'));
    if (!customer) return send(400, error('invalid_request_error', 'parameter_missing', 'Missing required param: customer.'));
    if (!Number.isInteger(start) || !Number.isInteger(end) || start % 60 !== 0 || end % 60 !== 0 || end <= start) {
      return send(400, error('invalid_request_error', 'parameter_invalid', 'start_time and end_time must be aligned with minute boundaries, end after start'));
    }
    const windowText = query.get('value_grouping_window');
    if (windowText !== null && windowText !== 'hour' && windowText !== 'day')
      return send(400, error('invalid_request_error', 'parameter_invalid', 'value_grouping_window must be hour or day'));
    const window = windowText === 'hour' ? 3600 : windowText === 'day' ? 86400 : end - start;
    const limit = query.get('limit') === null ? 10 : Number(query.get('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return send(400, error('invalid_request_error', 'parameter_invalid', 'limit must be between 1 and 100'));
    const visibleBefore = this.nowMs - (this.options.processingDelayMs ?? 0);
    let buckets: Map<number, number>;
    if (this.keepsEvents) {
      buckets = new Map<number, number>();
      for (const e of this.recorded) {
        if (e.eventName !== meter.eventName || e.stripeCustomerId !== customer || e.timestamp < start || e.timestamp >= end || e.receivedAtMs > visibleBefore)
          continue;
        const bucket = start + Math.floor((e.timestamp - start) / window) * window;
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + e.value);
      }
    } else {
      // Hourly sums cannot split an hour: a bound inside one would be answered wrongly, so it is refused.
      if (start % 3600 !== 0 || end % 3600 !== 0 || window % 3600 !== 0)
        return send(501, error('api_error', 'fake_limit', 'keepEvents: false keeps hourly sums only; start_time and end_time must be on hours'));
      buckets = this.bucketsFromSums(sumKey(customer, meter.eventName), start, end, window, visibleBefore);
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
    return send(200, { object: 'list', data, has_more: from + limit < all.length, url: `/v1/billing/meters/${meterId}/event_summaries` });
  }

  private bucketsFromSums(key: string, start: number, end: number, window: number, visibleBefore: number): Map<number, number> {
    while (this.processing.length > 0 && this.processing[0].receivedAtMs <= visibleBefore) this.processing.shift();
    const hourly = new Map<number, { value: number; events: number }>();
    this.hourSums.get(key)?.forEach((hour, value, events) => {
      if (hour * 3600 >= start && hour * 3600 < end) hourly.set(hour, { value, events });
    });
    for (const p of this.processing) {
      const sum = p.key === key ? hourly.get(p.hour) : undefined;
      if (sum === undefined) continue;
      sum.value -= p.value;
      if (--sum.events === 0) hourly.delete(p.hour);
    }
    const buckets = new Map<number, number>();
    for (const [hour, { value }] of hourly) {
      const bucket = start + Math.floor((hour * 3600 - start) / window) * window;
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + value);
    }
    return buckets;
  }
}

/** Sums and event counts per hour (hour index = unix seconds / 3600) in growing arrays. */
class HourSums {
  private first = 0;
  private values = new Float64Array(0);
  private events = new Uint32Array(0);

  add(hour: number, value: number): void {
    if (this.values.length === 0) {
      this.first = hour;
      this.values = new Float64Array(32);
      this.events = new Uint32Array(32);
    } else if (hour < this.first || hour >= this.first + this.values.length) {
      const first = Math.min(this.first, hour);
      // grown by whole weeks, not doubled: a month of hours ends near 800 slots rather than 1,024
      const size = Math.max(this.first + this.values.length, hour + 1) - first + 256;
      const values = new Float64Array(size);
      const events = new Uint32Array(size);
      const offset = hour < this.first ? this.first - first + 256 : 0;
      values.set(this.values, offset);
      events.set(this.events, offset);
      [this.first, this.values, this.events] = [first - (hour < this.first ? 256 : 0), values, events];
    }
    this.values[hour - this.first] += value;
    this.events[hour - this.first]++;
  }

  get(hour: number): number {
    const i = hour - this.first;
    return i >= 0 && i < this.values.length ? this.values[i] : 0;
  }

  sum(): number {
    return this.values.reduce((a, b) => a + b, 0);
  }

  /** Every hour that received an event, in order (a sum of 0 included, as a list of events would show it). */
  forEach(visit: (hour: number, value: number, events: number) => void): void {
    for (let i = 0; i < this.values.length; i++) if (this.events[i] > 0) visit(this.first + i, this.values[i], this.events[i]);
  }
}

const sumKey = (stripeCustomerId: string, eventName: string) => `${stripeCustomerId}\u0000${eventName}`;

async function toFakeRequest(input: string | URL | Request, init: RequestInit | undefined): Promise<FakeRequest> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  const gone = () => signal?.aborted ?? false;
  const headers = init?.headers;
  if (typeof input === 'string' && (init?.body == null || typeof init.body === 'string') && (headers === undefined || isPlainRecord(headers))) {
    // The sink's shape (string URL, string body, plain headers), read without building a Request.
    const authorization = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? '';
    return { method: (init?.method ?? 'GET').toUpperCase(), url: input, authorization, body: init?.body ?? '', gone };
  }
  const request = new Request(input, init);
  return { method: request.method, url: request.url, authorization: request.headers.get('authorization') ?? '', body: await request.text(), gone };
}

function isPlainRecord(headers: NonNullable<RequestInit['headers']>): headers is Record<string, string> {
  return !(headers instanceof Headers) && !Array.isArray(headers);
}

function error(type: string, code: string, message: string) {
  return { error: { type, code, message } };
}

function send(status: number, body: unknown, headers: Record<string, string> = {}): FakeAnswer {
  return { status, headers, body };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
