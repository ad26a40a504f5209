/**
 * What the Stripe sink needs to know about the environment's Stripe account (docs/stripe.md).
 * EnvironmentConfig.sinks.stripe; config/validate.ts checks it, usage-job/sinks/stripe/ uses it.
 */

/** Stripe lets an invoice wait in draft for at most 72 hours ("Invoice finalization grace period",
 * https://docs.stripe.com/billing/subscriptions/usage-based/configure-grace-period). */
export const MAX_INVOICE_GRACE_HOURS = 72;

export interface StripeSinkConfig {
  /** `event_name` of the Billing Meter for billable requests (a `sum` meter with raw event ingestion). */
  readonly requestsEventName: string;
  /** `event_name` of the Billing Meter for bytes sent to viewers (a `sum` meter with raw event ingestion). */
  readonly bytesEventName: string;
  /**
   * The meters' ids (`mtr_…`): meter event summaries are read per meter id
   * (GET /v1/billing/meters/{id}/event_summaries). Without them the sink cannot reconcile, nor
   * settle an event whose send outlived Stripe's 24-hour identifier window (it reports it instead).
   */
  readonly requestsMeterId?: string;
  readonly bytesMeterId?: string;
  /**
   * The account's "Invoice finalization grace period" in hours (Stripe: Invoice settings, default 1,
   * at most 72). A correction for a month whose invoice may already be final is carried into the
   * open billing period instead.
   */
  readonly invoiceGraceHours: number;
  /** Secrets Manager secret (name or ARN) holding the restricted API key, in AWS. */
  readonly apiKeySecretName: string;
  /** Meter event calls per second at most (Stripe's live-mode limit is 1,000; sandboxes count against the 25/s global limit). */
  readonly maxCallsPerSecond?: number;
}

const EVENT_NAME_MAX = 100; // event_name: "Max length: 100" (OpenAPI spec, billing meter event create)

/** One line naming what is wrong with the config, or undefined. */
export function stripeSinkConfigError(config: StripeSinkConfig): string | undefined {
  for (const [field, value] of [
    ['requestsEventName', config.requestsEventName],
    ['bytesEventName', config.bytesEventName],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > EVENT_NAME_MAX)
      return `stripe.${field} must be a meter's event_name (1 to ${EVENT_NAME_MAX} characters)`;
  }
  if (config.requestsEventName === config.bytesEventName)
    return 'stripe.requestsEventName and stripe.bytesEventName must name two meters (Stripe maps an event name to one meter)';
  for (const [field, value] of [
    ['requestsMeterId', config.requestsMeterId],
    ['bytesMeterId', config.bytesMeterId],
  ] as const) {
    if (value !== undefined && !/^mtr_[A-Za-z0-9_]+$/.test(value)) return `stripe.${field} must be a meter id (mtr_…), got ${JSON.stringify(value)}`;
  }
  if ((config.requestsMeterId === undefined) !== (config.bytesMeterId === undefined))
    return 'stripe.requestsMeterId and stripe.bytesMeterId go together (reconciliation reads both meters)';
  if (!Number.isInteger(config.invoiceGraceHours) || config.invoiceGraceHours < 0 || config.invoiceGraceHours > MAX_INVOICE_GRACE_HOURS) {
    return `stripe.invoiceGraceHours must be a whole number of hours from 0 to ${MAX_INVOICE_GRACE_HOURS} (Stripe's invoice finalization grace period), got ${config.invoiceGraceHours}`;
  }
  if (typeof config.apiKeySecretName !== 'string' || config.apiKeySecretName.length === 0)
    return 'stripe.apiKeySecretName must name the Secrets Manager secret holding the API key';
  if (
    config.maxCallsPerSecond !== undefined &&
    (!Number.isFinite(config.maxCallsPerSecond) || config.maxCallsPerSecond <= 0 || config.maxCallsPerSecond > 1000)
  ) {
    return `stripe.maxCallsPerSecond must be above 0 and at most 1000 (Stripe's live-mode meter event limit), got ${config.maxCallsPerSecond}`;
  }
  return undefined;
}
