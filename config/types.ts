/** Typed shape of the platform's configuration. The data lives in environments.ts. */

import type { MarketplaceSinkConfig } from './marketplace-sink';
import type { StripeSinkConfig } from './stripe-sink';
import type { PlanPrice } from '../contracts/prices';

export interface UsagePlanConfig {
  /** Requests per calendar month (UTC) the plan allows; API Gateway enforces it, alarms use it. */
  readonly monthlyQuota: number;
  /** Steady-state requests per second (API Gateway throttle rate limit). */
  readonly rateLimit: number;
  /** Burst capacity in requests (API Gateway throttle burst limit). */
  readonly burstLimit: number;
}

export interface PricesConfig {
  /** ISO 4217 currency code of every amount in the environment's prices, e.g. USD. */
  readonly currency: string;
  /** A price for every usage plan, by plan name: per metered item (`requests`, `gbOut`), `mode` graduated or volume, `unitSize`, optional `includedUnits`, and `tiers` ({ upTo, unitPrice, flatFee? }, ascending, the last open-ended with upTo null). The model: contracts/prices.ts, docs/prices.md. */
  readonly plans: Readonly<Record<string, PlanPrice>>;
}

export interface AlarmsConfig {
  /** Percentages of monthly quota at which per-key alarms fire, ascending, e.g. [80, 100]. */
  readonly quotaPercentThresholds: readonly number[];
  /** Alarm when more than this percentage of the month's requests carry no known key fingerprint. */
  readonly unattributedPercentThreshold: number;
  /** E-mail addresses subscribed to the environment's alarm topic (optional). */
  readonly emails: readonly string[];
}

/** Which keys get the per-key CloudWatch metric (QuotaUsedPercent) each hour. */
export type PerKeyMetricsConfig =
  /** Every configured key, every hour (one custom metric per key). */
  | { readonly mode: 'all' }
  /** Only the `keys` keys with the highest quota used this hour (large fleets: cost bounded by `keys`). */
  | { readonly mode: 'top'; readonly keys: number };

export interface MonitoringConfig {
  /** Which keys get the per-key metric: `{ mode: 'all' }` (default) or `{ mode: 'top', keys: K }` for large fleets. */
  readonly perKeyMetrics: PerKeyMetricsConfig;
  /** Keys the dashboard's "nearest their quota" widget lists (Metrics Insights LIMIT), 1 to 500. */
  readonly dashboardTopKeys: number;
  /** Alarm when the logs hold fewer requests than API Gateway metered, by more than this percentage, on the last complete UTC day. */
  readonly logShortfallPercentThreshold: number;
  /** API Gateway's metered requests that day below which the shortfall is not computed (too few requests to judge). */
  readonly logShortfallMinRequests: number;
  /** Alarm (one per configured billing sink) when a sink's oldest unreported usage hour is more than this many hours before the run's hour (metric SinkHoursBehind). */
  readonly sinkHoursBehindThreshold: number;
}

/**
 * The billing sinks an environment's usage runs hand their per-customer hourly figures to
 * (docs/sinks.md). CloudWatch (metrics, alarms, quota notices) always runs and is not listed here.
 * Each member is one sink's settings (its type beside this file, its code in usage-job/sinks/<name>/);
 * a sink runs when its member is set.
 */
export interface SinksConfig {
  /** Stripe Billing Meters (config/stripe-sink.ts, docs/stripe.md). */
  readonly stripe?: StripeSinkConfig;
  /** AWS Marketplace SaaS metering (config/marketplace-sink.ts, docs/marketplace.md). */
  readonly marketplace?: MarketplaceSinkConfig;
}

export interface UsageJobConfig {
  /** Trailing window, in hours, that is recomputed because late logs may still arrive. */
  readonly lateWindowHours: number;
  /** Athena per-query bytes-scanned cutoff (workgroup setting), at least 10 MB. */
  readonly athenaBytesScannedCutoff: number;
}

export interface EnvironmentConfig {
  /** Short lowercase name: dev, prod, ... Used in stack names, resource names and metrics. */
  readonly name: string;
  /** 12-digit AWS account id. */
  readonly accountId: string;
  /** AWS region of the regional resources (API Gateway, Lambda, S3, Glue, Athena). */
  readonly region: string;
  /** Prefix of every resource name, lowercase letters, digits and dashes. */
  readonly prefix: string;
  /** Usage plans by name; each becomes an API Gateway usage plan with a monthly quota and a throttle. Customers and their keys are not configuration: they are data in the key registry, managed with the keys CLI (docs/keys.md). */
  readonly usagePlans: Readonly<Record<string, UsagePlanConfig>>;
  /**
   * Migration only (docs/platform.md, "Keys out of Terraform"): ids of the API keys this environment's stack created before keys became registry data (the former `apiKeys` entries). Terraform forgets each key and its usage-plan binding without deleting them (`removed` blocks); import them first with `keys import`. Default none; delete the list once every state has been applied.
   */
  readonly formerTerraformKeyIds?: readonly string[];
  /**
   * What the edge does with a well-formed key whose fingerprint its key value store does not hold: `enforce` answers 403 (default); `admit-unknown` passes it on to API Gateway, which still refuses keys it does not have. `admit-unknown` is only for moving existing keys out of Terraform, between the apply that creates the store and `keys import` (docs/keys.md, "Moving keys out of Terraform"); set it back to `enforce` right after.
   */
  readonly edgeKeyCheck?: 'enforce' | 'admit-unknown';
  /** Retention of Lambda log groups, in days; one of the values CloudWatch Logs allows. */
  readonly logRetentionDays: number;
  /** Days CloudFront access logs are kept in the log bucket (lifecycle expiry). Default 90. */
  readonly accessLogExpirationDays: number;
  /** Days Athena query results are kept. */
  readonly athenaResultsExpirationDays: number;
  /** API Gateway stage default throttling (applies to requests not limited by a plan). */
  readonly stageThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Quota, unattributed-traffic and heartbeat alarms, and who hears of them. */
  readonly alarms: AlarmsConfig;
  /** Prices of the environment's invoice lines, per usage plan; the usage job in AWS uses the ones the apply deployed (docs/prices.md). */
  readonly prices: PricesConfig;
  /** The scheduled usage job's settings. */
  readonly usageJob: UsageJobConfig;
  readonly monitoring: MonitoringConfig;
  /** Billing sinks the usage job runs besides CloudWatch (docs/sinks.md). Default none. */
  readonly sinks?: SinksConfig;
}

export interface GitHubConfig {
  /** Repository owner (organisation or user) trusted by the OIDC roles. */
  readonly owner: string;
  /** Repository name trusted by the OIDC roles. */
  readonly repo: string;
  /** Branch whose pushes may apply. */
  readonly mainBranch: string;
}

export interface BootstrapConfig {
  /** 12-digit id of the tooling account: holds the state bucket and the bootstrap drift role; no environment's account (see stateInEnvironmentAccount). */
  readonly accountId: string;
  /** AWS region of the state bucket. */
  readonly region: string;
  /** Prefix of the bootstrap stack's resource names. */
  readonly prefix: string;
  /** Name of the S3 bucket that holds every stack's Terraform state (billing-<env>/terraform.tfstate, bootstrap/<stack>.tfstate). */
  readonly stateBucket: string;
  /** Opt-in, default false: allow accountId to be an environment's account. Its administrators (and anything that escalates to them) can then read and rewrite every environment's state. */
  readonly stateInEnvironmentAccount?: boolean;
}

export interface PlatformConfig {
  /** The `project` tag on every resource: lowercase letters, digits and single dashes. */
  readonly project: string;
  /** The repository whose workflows may assume the deploy roles. */
  readonly github: GitHubConfig;
  /** The state bucket and the account that holds it, deployed once by hand. */
  readonly bootstrap: BootstrapConfig;
  /** Environments that are deployed to AWS; each gets a billing stack. */
  readonly environments: readonly EnvironmentConfig[];
  /** The environment `npm start` emulates on one machine; never deployed. */
  readonly local: EnvironmentConfig;
}
