/**
 * The platform's environments. Adding an environment is one entry. Customers and their API keys
 * are not here: they are data in each environment's key registry (docs/keys.md, the keys CLI).
 * Validated by validate.ts before anything is synthesized (bad values fail `npm run synth`).
 * The workflows read the deployed environments from .github/environments.json: after changing
 * `environments`, run `npm run delivery:environments` (docs/delivery.md, adding an environment).
 */
import type { EnvironmentConfig, PlatformConfig, PricesConfig, UsagePlanConfig } from './types';

const standardPlans: Record<string, UsagePlanConfig> = {
  basic: { monthlyQuota: 10_000, rateLimit: 10, burstLimit: 20 },
  pro: { monthlyQuota: 1_000_000, rateLimit: 100, burstLimit: 200 },
};

/**
 * Both tier modes (docs/prices.md): basic is graduated (each tier prices its own units) with
 * included units; pro is volume (the month's total selects one tier for every unit).
 */
const standardPrices: PricesConfig = {
  currency: 'USD',
  plans: {
    basic: {
      requests: {
        mode: 'graduated',
        unitSize: 1000,
        includedUnits: 1000,
        tiers: [
          { upTo: 100_000, unitPrice: 0.5 },
          { upTo: null, unitPrice: 0.4 },
        ],
      },
      gbOut: { mode: 'graduated', unitSize: 1, includedUnits: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
    },
    pro: {
      requests: {
        mode: 'volume',
        unitSize: 1000,
        tiers: [
          { upTo: 1_000_000, unitPrice: 0.4, flatFee: 10 },
          { upTo: 10_000_000, unitPrice: 0.3, flatFee: 10 },
          { upTo: null, unitPrice: 0.2, flatFee: 10 },
        ],
      },
      gbOut: {
        mode: 'volume',
        unitSize: 1,
        tiers: [
          { upTo: 1000, unitPrice: 0.09 },
          { upTo: null, unitPrice: 0.07 },
        ],
      },
    },
  },
};

const defaults = {
  logRetentionDays: 30,
  accessLogExpirationDays: 90,
  athenaResultsExpirationDays: 7,
  stageThrottle: { rateLimit: 200, burstLimit: 400 },
  prices: standardPrices,
  usageJob: { lateWindowHours: 48, athenaBytesScannedCutoff: 10 * 1024 ** 3 },
  monitoring: {
    perKeyMetrics: { mode: 'all' },
    dashboardTopKeys: 20,
    logShortfallPercentThreshold: 10,
    logShortfallMinRequests: 1000,
    sinkHoursBehindThreshold: 3,
  },
} as const;

const dev: EnvironmentConfig = {
  ...defaults,
  name: 'dev',
  accountId: '111111111111',
  region: 'eu-west-1',
  prefix: 'ubb-dev',
  usagePlans: standardPlans,
  // The keys Terraform created before keys became registry data: forgotten, not deleted.
  formerTerraformKeyIds: ['acme-dev', 'smoke-test'],
  alarms: { quotaPercentThresholds: [80, 100], unattributedPercentThreshold: 5, emails: [] },
};

const prod: EnvironmentConfig = {
  ...defaults,
  name: 'prod',
  accountId: '222222222222',
  region: 'eu-west-1',
  prefix: 'ubb-prod',
  logRetentionDays: 90,
  usagePlans: standardPlans,
  formerTerraformKeyIds: ['acme', 'globex', 'smoke-test'],
  alarms: { quotaPercentThresholds: [80, 100], unattributedPercentThreshold: 5, emails: ['billing-oncall@example.com'] },
};

/** Emulated by `npm start`: small quota and throttle so limits are easy to see by hand. */
const local: EnvironmentConfig = {
  ...defaults,
  name: 'local',
  accountId: '000000000000',
  region: 'us-east-1',
  prefix: 'ubb-local',
  usagePlans: {
    basic: { monthlyQuota: 100, rateLimit: 5, burstLimit: 10 },
    pro: { monthlyQuota: 10_000, rateLimit: 50, burstLimit: 100 },
  },
  alarms: { quotaPercentThresholds: [80, 100], unattributedPercentThreshold: 5, emails: [] },
};

export const platformConfig: PlatformConfig = {
  project: 'usage-billing',
  github: { owner: 'example-org', repo: 'usage-billing-platform', mainBranch: 'main' },
  // The tooling account: the state bucket lives apart from every environment (docs/platform.md, "State apart").
  bootstrap: { accountId: '333333333333', region: 'eu-west-1', prefix: 'ubb', stateBucket: 'ubb-terraform-state-333333333333' },
  environments: [dev, prod],
  local,
};
