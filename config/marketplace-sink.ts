/**
 * What the AWS Marketplace sink needs to know about the listing (docs/marketplace.md).
 *
 * Identity: AWS Marketplace's Concurrent Agreements change which fields name the buyer. "Starting
 * June 1, 2026, new SaaS products must use CustomerAWSAccountId (instead of CustomerIdentifier),
 * LicenseArn (instead of ProductCode)"; existing integrations keep working. ProductCode "is
 * required only for legacy integrations that use CustomerIdentifier"; for LicenseArn records it
 * must not be sent, and "Sending metering records with both ProductCode and LicenseArn for the same
 * customer within the same hour will result in duplicate billing"
 * (@aws-sdk/client-marketplace-metering 3.1138.0, models_0.d.ts BatchMeterUsageRequest.ProductCode;
 * https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-metering_BatchMeterUsage.html).
 * So one environment meters in exactly one mode, never both.
 */

export type MarketplaceIdentityMode = 'license' | 'customer-identifier';

export interface MarketplaceDimensions {
  /** The listing's dimension for billable requests, and how many requests make one unit (e.g. 1000). */
  readonly requests: { readonly name: string; readonly requestsPerUnit: number };
  /** The listing's dimension for bytes out, and how many bytes make one unit (1e9: GB as invoices count it). */
  readonly bytesOut: { readonly name: string; readonly bytesPerUnit: number };
}

export interface MarketplaceSinkConfig {
  /** The listing's product code (ProductCode of legacy requests; checked against ResolveCustomer's answer). */
  readonly productCode: string;
  /**
   * `license`: each record carries CustomerAWSAccountId and LicenseArn, no ProductCode (listings on
   * Concurrent Agreements, every new listing). `customer-identifier`: each record carries
   * CustomerIdentifier and the request carries ProductCode (listings integrated before).
   */
  readonly identity: MarketplaceIdentityMode;
  readonly dimensions: MarketplaceDimensions;
  /** Region of the Metering Service endpoint. */
  readonly region: string;
  /**
   * Records older than this (timestamp to send time) are refused. Default 6: the API reference's
   * "Usage records aren't accepted 6 hours or more after an event"; newer SDK models say 24 hours
   * (docs/marketplace.md), so 6 is the safe reading until AWS confirms.
   */
  readonly acceptanceWindowHours?: number;
  /** An hour is sent once this many hours have passed since its start (logs arrive late; default 2). */
  readonly readyAfterHours?: number;
  /** An hour is no longer used this long before its window closes (the run takes time; default 30). */
  readonly safetyMarginMinutes?: number;
}

export type ResolvedMarketplaceConfig = Required<MarketplaceSinkConfig>;

export const DEFAULT_ACCEPTANCE_WINDOW_HOURS = 6;
export const DEFAULT_READY_AFTER_HOURS = 2;
export const DEFAULT_SAFETY_MARGIN_MINUTES = 30;

/**
 * Checks the config and fills defaults; throws one line naming what is wrong. Dimension names and
 * product codes are 1–255 characters in the API reference's UsageRecord and BatchMeterUsageRequest.
 */
export function resolveMarketplaceConfig(config: MarketplaceSinkConfig, where = 'marketplace sink'): ResolvedMarketplaceConfig {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  const text = (value: unknown, name: string) => {
    if (typeof value !== 'string' || value.length < 1 || value.length > 255) fail(`${name} must be 1 to 255 characters`);
  };
  const positiveInteger = (value: unknown, name: string) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(`${name} must be a whole number of at least 1, got ${String(value)}`);
  };
  text(config.productCode, 'productCode');
  if (config.identity !== 'license' && config.identity !== 'customer-identifier')
    fail(`identity must be "license" or "customer-identifier", got "${String(config.identity)}"`);
  text(config.region, 'region');
  text(config.dimensions?.requests?.name, 'dimensions.requests.name');
  text(config.dimensions?.bytesOut?.name, 'dimensions.bytesOut.name');
  if (config.dimensions.requests.name === config.dimensions.bytesOut.name) fail('dimensions.requests.name and dimensions.bytesOut.name must differ');
  positiveInteger(config.dimensions.requests.requestsPerUnit, 'dimensions.requests.requestsPerUnit');
  positiveInteger(config.dimensions.bytesOut.bytesPerUnit, 'dimensions.bytesOut.bytesPerUnit');
  const window = config.acceptanceWindowHours ?? DEFAULT_ACCEPTANCE_WINDOW_HOURS;
  const ready = config.readyAfterHours ?? DEFAULT_READY_AFTER_HOURS;
  const margin = config.safetyMarginMinutes ?? DEFAULT_SAFETY_MARGIN_MINUTES;
  positiveInteger(window, 'acceptanceWindowHours');
  positiveInteger(ready, 'readyAfterHours');
  if (typeof margin !== 'number' || !Number.isSafeInteger(margin) || margin < 0)
    fail(`safetyMarginMinutes must be a whole number of at least 0, got ${String(margin)}`);
  // At least one hour start between "ready" and "closes within the next hourly run" (plan.ts, RESEND_RESERVE_HOURS).
  if (ready * 60 + 120 > window * 60 - margin) {
    fail(
      `readyAfterHours (${ready}) plus two hours must end before acceptanceWindowHours (${window}) less safetyMarginMinutes (${margin}), or no hour is ever open`,
    );
  }
  return { ...config, acceptanceWindowHours: window, readyAfterHours: ready, safetyMarginMinutes: margin };
}
