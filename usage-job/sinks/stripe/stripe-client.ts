/**
 * The two Stripe calls the sink makes, over plain fetch with form encoding (Stripe's v1 API takes
 * application/x-www-form-urlencoded bodies with bracketed keys such as `payload[value]`, as in
 * https://docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api):
 *   POST /v1/billing/meter_events                         (https://docs.stripe.com/api/billing/meter-event/create)
 *   GET  /v1/billing/meters/{id}/event_summaries           (https://docs.stripe.com/api/billing/meter-event-summary/list)
 *
 * Retries: 429 (https://docs.stripe.com/rate-limits, "Handling limiting gracefully": exponential
 * backoff with jitter), 5xx, 409 and network errors, with exponential backoff and full jitter,
 * never sooner than a `Retry-After`. `Stripe-Should-Retry: true|false` overrides the status, as
 * Stripe's own client does (stripe/stripe-node src/RequestSender.ts, `_shouldRetry`: "The API may
 * ask us not to retry … or advise us to retry (e.g., in cases of lock timeouts)").
 * The API key is sent as a Bearer token and never appears in a returned message.
 */

export interface MeterEventRequest {
  readonly eventName: string;
  readonly stripeCustomerId: string;
  /** A whole number; negative for a correction downwards. */
  readonly value: number;
  readonly identifier: string;
  /** Unix seconds. */
  readonly timestamp: number;
}

export type SendOutcome =
  | { readonly kind: 'recorded' }
  /** Stripe answered that it already holds this identifier: the event counts once, already. */
  | { readonly kind: 'duplicate' }
  /** A 4xx Stripe will answer again: the event was not recorded. */
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string }
  /** Retries exhausted (429, 5xx, network), or the key refused (401, 403): nothing more is sent this run. */
  | { readonly kind: 'unavailable'; readonly message: string };

export type SummaryOutcome = { readonly kind: 'ok'; readonly byHourStart: ReadonlyMap<number, number> } | { readonly kind: 'failed'; readonly message: string };

export interface StripeClientOptions {
  readonly apiKey: string;
  /** https://api.stripe.com, or a fake's or stripe-mock's loopback address. */
  readonly apiBase: string;
  readonly maxCallsPerSecond?: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class StripeMeterClient {
  private readonly base: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;
  private nextSlot = 0;
  /** Calls made (attempts included), for reports and benchmarks. */
  calls = 0;

  constructor(private readonly options: StripeClientOptions) {
    if (options.apiKey.length === 0) throw new Error('Stripe API key is empty');
    this.base = options.apiBase.replace(/\/+$/, '');
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.fetchFn = options.fetch ?? fetch;
  }

  async sendMeterEvent(event: MeterEventRequest): Promise<SendOutcome> {
    if (!Number.isSafeInteger(event.value)) throw new Error(`meter event value must be a whole number, got ${event.value}`);
    const form = new URLSearchParams();
    form.set('event_name', event.eventName);
    form.set('payload[stripe_customer_id]', event.stripeCustomerId);
    form.set('payload[value]', String(event.value));
    form.set('identifier', event.identifier);
    form.set('timestamp', String(event.timestamp));
    const answer = await this.call('POST', '/v1/billing/meter_events', form);
    if ('failure' in answer) return { kind: 'unavailable', message: answer.failure };
    if (answer.status >= 200 && answer.status < 300) return { kind: 'recorded' };
    const message = this.errorMessage(answer);
    // Stripe does not document how a repeated identifier is answered; observed in production: 400
    // "An event already exists with identifier <id>." with stripe-should-retry: false
    // (https://github.com/langfuse/langfuse/pull/16292). A 400 naming the identifier as already used
    // means the first send was recorded.
    if (answer.status === 400 && /identifier/i.test(message) && /(already|duplicate|exists|unique)/i.test(message)) return { kind: 'duplicate' };
    // A 5xx or 429 Stripe asked us not to retry may still have been recorded; a 401/403 (the key) is
    // no customer's fault and stops the run. Only another 4xx refuses this one event.
    if (answer.status >= 500 || [401, 403, 409, 429].includes(answer.status)) return { kind: 'unavailable', message: `HTTP ${answer.status}: ${message}` };
    return { kind: 'rejected', status: answer.status, message };
  }

  /** Hourly sums of one customer's events on a meter, start (inclusive) to end (exclusive), both on hour boundaries. */
  async eventSummaries(meterId: string, stripeCustomerId: string, startTime: number, endTime: number): Promise<SummaryOutcome> {
    const byHourStart = new Map<number, number>();
    let startingAfter: string | undefined;
    for (;;) {
      const query = new URLSearchParams({
        customer: stripeCustomerId,
        start_time: String(startTime),
        end_time: String(endTime),
        value_grouping_window: 'hour',
        limit: '100',
      });
      if (startingAfter !== undefined) query.set('starting_after', startingAfter);
      const answer = await this.call('GET', `/v1/billing/meters/${encodeURIComponent(meterId)}/event_summaries?${query}`);
      if ('failure' in answer) return { kind: 'failed', message: answer.failure };
      if (answer.status !== 200) return { kind: 'failed', message: `event summaries of ${meterId}: HTTP ${answer.status}: ${this.errorMessage(answer)}` };
      const page = answer.body as { data?: { id: string; start_time: number; aggregated_value: number }[]; has_more?: boolean };
      if (!Array.isArray(page.data)) return { kind: 'failed', message: `event summaries of ${meterId}: no data list in the answer` };
      for (const summary of page.data) byHourStart.set(summary.start_time, (byHourStart.get(summary.start_time) ?? 0) + summary.aggregated_value);
      if (page.has_more !== true || page.data.length === 0) return { kind: 'ok', byHourStart };
      startingAfter = page.data[page.data.length - 1].id;
    }
  }

  private async call(method: 'GET' | 'POST', path: string, form?: URLSearchParams): Promise<HttpAnswer | { failure: string }> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    let lastProblem = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await this.awaitSlot();
      this.calls++;
      let answer: HttpAnswer | undefined;
      try {
        const response = await this.fetchFn(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body: form?.toString(),
        });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON (a proxy's error page): kept as text for the message
        }
        answer = { status: response.status, headers: response.headers, body };
      } catch (error) {
        lastProblem = `${method} ${path.split('?')[0]}: ${this.redact(error instanceof Error ? error.message : String(error))}`;
      }
      if (answer !== undefined) {
        if (!this.shouldRetry(answer)) return answer;
        lastProblem = `${method} ${path.split('?')[0]}: HTTP ${answer.status}: ${this.errorMessage(answer)}`;
      }
      if (attempt < maxAttempts) await this.sleep(this.backoff(attempt, answer?.headers.get('retry-after') ?? null));
    }
    return { failure: `${lastProblem} (after ${maxAttempts} attempts)` };
  }

  private shouldRetry(answer: HttpAnswer): boolean {
    const advice = answer.headers.get('stripe-should-retry');
    if (advice === 'false') return false;
    if (advice === 'true') return true;
    return answer.status === 429 || answer.status === 409 || answer.status >= 500;
  }

  private backoff(attempt: number, retryAfter: string | null): number {
    const base = this.options.baseDelayMs ?? 500;
    const cap = this.options.maxDelayMs ?? 30_000;
    const jittered = this.random() * Math.min(cap, base * 2 ** (attempt - 1));
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    return Number.isFinite(seconds) && seconds >= 0 ? Math.max(jittered, Math.min(cap, seconds * 1000)) : jittered;
  }

  private async awaitSlot(): Promise<void> {
    const rate = this.options.maxCallsPerSecond;
    if (rate === undefined) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / rate;
    if (slot > now) await this.sleep(slot - now);
  }

  private errorMessage(answer: HttpAnswer): string {
    const body = answer.body as { error?: { message?: string; code?: string } } | string;
    const text = typeof body === 'string' ? body.slice(0, 200) : [body?.error?.code, body?.error?.message].filter(Boolean).join(': ');
    return this.redact(text || 'no error message');
  }

  private redact(text: string): string {
    return text.split(this.options.apiKey).join('[api key]');
  }
}
