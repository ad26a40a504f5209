import { platformConfig } from './environments';
import type { PlatformConfig } from './types';
import { ConfigError, LOG_RETENTION_DAYS, validatePlatformConfig } from './validate';

type DeepMutable<T> = { -readonly [K in keyof T]: DeepMutable<T[K]> };
type MutableConfig = DeepMutable<PlatformConfig>;
type MutableMonitoring = MutableConfig['environments'][number]['monitoring'];

/** A deep copy of the shipped configuration with one change applied. */
function withChange(change: (c: MutableConfig) => void): PlatformConfig {
  // JSON round trip, not structuredClone: environments share sub-objects (defaults, plans), and
  // structuredClone would keep them shared, so a change to prod would leak into dev.
  const copy = JSON.parse(JSON.stringify(platformConfig)) as MutableConfig;
  change(copy);
  return copy;
}

function prod(c: MutableConfig) {
  const env = c.environments.find((e) => e.name === 'prod');
  if (!env) throw new Error('the shipped config has no prod environment');
  return env;
}

function messageOf(config: PlatformConfig): string {
  try {
    validatePlatformConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('validatePlatformConfig', () => {
  it('accepts the shipped configuration (every environment and local)', () => {
    expect(validatePlatformConfig(platformConfig)).toBe(platformConfig);
  });

  it('rejects a duplicate former key id', () => {
    const msg = messageOf(withChange((c) => (prod(c).formerTerraformKeyIds = ['acme', 'globex', 'acme'])));
    expect(msg).toBe('environment "prod": formerTerraformKeyIds[2] "acme" is already listed at formerTerraformKeyIds[0]');
  });

  it.each(['Acme', 'acme_corp', '-acme', 'acme-', 'ac--me', '', 'x'.repeat(65)])('rejects former key id %j', (id) => {
    const msg = messageOf(withChange((c) => (prod(c).formerTerraformKeyIds = [id])));
    expect(msg).toContain('environment "prod": formerTerraformKeyIds[0] ');
  });

  it('accepts an environment without former keys', () => {
    const config = withChange((c) => delete prod(c).formerTerraformKeyIds);
    expect(validatePlatformConfig(config)).toBe(config);
  });

  it.each([
    ['monthlyQuota', 0],
    ['monthlyQuota', -5],
    ['monthlyQuota', 1.5],
    ['rateLimit', 0],
    ['burstLimit', Number.NaN],
  ] as const)('rejects usage plan %s = %p', (field, value) => {
    const msg = messageOf(withChange((c) => (prod(c).usagePlans.basic[field] = value)));
    expect(msg).toContain(`environment "prod": usagePlans.basic.${field} must be a positive integer`);
  });

  it('rejects a burst below the rate', () => {
    const msg = messageOf(withChange((c) => (prod(c).usagePlans.pro.burstLimit = 50)));
    expect(msg).toBe('environment "prod": usagePlans.pro.burstLimit (50) must be at least rateLimit (100)');
  });

  it('rejects an environment without plans', () => {
    const msg = messageOf(
      withChange((c) => {
        prod(c).usagePlans = {};
        prod(c).prices.plans = {};
      }),
    );
    expect(msg).toBe('environment "prod": usagePlans must declare at least one plan');
  });

  it('rejects stage throttling that is not positive', () => {
    const msg = messageOf(withChange((c) => (prod(c).stageThrottle.rateLimit = 0)));
    expect(msg).toContain('environment "prod": stageThrottle.rateLimit must be a positive integer, got 0');
  });

  it.each([0, 2, 31, 366, 10_000])('rejects log retention of %d days (not a CloudWatch value)', (days) => {
    const msg = messageOf(withChange((c) => (prod(c).logRetentionDays = days)));
    expect(msg).toMatch(new RegExp(`^environment "prod": logRetentionDays ${days} is not allowed by CloudWatch Logs`));
  });

  it.each(LOG_RETENTION_DAYS)('accepts log retention of %d days', (days) => {
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).logRetentionDays = days)))).not.toThrow();
  });

  it.each(['12345678901', '1234567890123', 'abcdefghijkl', ''])('rejects account id %j', (id) => {
    expect(messageOf(withChange((c) => (prod(c).accountId = id)))).toContain('environment "prod": accountId must be 12 digits');
  });

  it.each(['eu-west', 'EU-WEST-1', 'euwest1', 'eu-west-1a'])('rejects region %j', (region) => {
    expect(messageOf(withChange((c) => (prod(c).region = region)))).toContain(`environment "prod": region "${region}" is not an AWS region`);
  });

  it.each(['Ubb', 'ubb_prod', '9ubb', 'ubb-', ''])('rejects prefix %j', (prefix) => {
    expect(messageOf(withChange((c) => (prod(c).prefix = prefix)))).toContain('environment "prod": prefix ');
  });

  it('rejects the prefix "aws": the quota notices\' source would start with "aws.", which EventBridge refuses', () => {
    expect(messageOf(withChange((c) => (prod(c).prefix = 'aws')))).toBe(
      'environment "prod": prefix "aws" makes the quota notices\' source "aws.usage-billing"; EventBridge refuses custom sources starting with "aws."',
    );
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).prefix = 'aws-billing')))).not.toThrow();
  });

  it('rejects a prefix that makes a bucket name longer than 63 characters', () => {
    const msg = messageOf(withChange((c) => (prod(c).prefix = 'a'.repeat(36))));
    expect(msg).toMatch(
      /^environment "prod": prefix "a{36}" is too long: bucket name "a{36}-athena-results-222222222222" \(athenaResultsBucket\) has 64 characters, S3 allows 63$/,
    );
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).prefix = 'a'.repeat(35))))).not.toThrow();
  });

  it.each([
    [[100, 80], 'alarms.quotaPercentThresholds[1] 80 must be greater than the previous threshold 100 (ascending)'],
    [[80, 80], 'alarms.quotaPercentThresholds[1] 80 must be greater than the previous threshold 80 (ascending)'],
    [[0, 100], 'alarms.quotaPercentThresholds[0] 0 must be a percentage in (0, 1000]'],
    [[80, 1001], 'alarms.quotaPercentThresholds[1] 1001 must be a percentage in (0, 1000]'],
    [[], 'alarms.quotaPercentThresholds must list at least one percentage'],
  ])('rejects quota thresholds %j', (thresholds, expected) => {
    expect(messageOf(withChange((c) => (prod(c).alarms.quotaPercentThresholds = thresholds)))).toBe(`environment "prod": ${expected}`);
  });

  it.each([
    [(m: MutableMonitoring) => (m.perKeyMetrics = { mode: 'top', keys: 0 }), 'monitoring.perKeyMetrics.keys must be an integer from 1 to 10000, got 0'],
    [
      (m: MutableMonitoring) => (m.perKeyMetrics = { mode: 'top', keys: 10_001 }),
      'monitoring.perKeyMetrics.keys must be an integer from 1 to 10000, got 10001',
    ],
    [
      (m: MutableMonitoring) => (m.dashboardTopKeys = 501),
      'monitoring.dashboardTopKeys must be an integer from 1 to 500 (Metrics Insights returns at most 500 series), got 501',
    ],
    [(m: MutableMonitoring) => (m.logShortfallPercentThreshold = 0), 'monitoring.logShortfallPercentThreshold 0 must be a percentage in (0, 100]'],
    [(m: MutableMonitoring) => (m.logShortfallMinRequests = -1), 'monitoring.logShortfallMinRequests must be a positive integer, got -1'],
  ])('rejects a bad monitoring setting (%#)', (change, expected) => {
    expect(messageOf(withChange((c) => change(prod(c).monitoring)))).toBe(`environment "prod": ${expected}`);
  });

  it('accepts the large-fleet option (top K keys get per-key metrics)', () => {
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).monitoring.perKeyMetrics = { mode: 'top', keys: 100 })))).not.toThrow();
  });

  it('accepts thresholds up to 1000 %', () => {
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).alarms.quotaPercentThresholds = [50, 100, 1000])))).not.toThrow();
  });

  it.each([0, 101, -1])('rejects an unattributed threshold of %p', (value) => {
    expect(messageOf(withChange((c) => (prod(c).alarms.unattributedPercentThreshold = value)))).toContain(
      'environment "prod": alarms.unattributedPercentThreshold',
    );
  });

  it('rejects a usage plan without a price, in one line naming the environment and the plan', () => {
    expect(messageOf(withChange((c) => delete prod(c).prices.plans.pro))).toBe(
      'environment "prod": prices.plans.pro is missing: usage plan "pro" needs a price',
    );
  });

  it('rejects a price for a plan the environment does not declare', () => {
    expect(messageOf(withChange((c) => (prod(c).prices.plans.gold = prod(c).prices.plans.pro)))).toBe(
      'environment "prod": prices.plans.gold prices a plan that usagePlans does not declare',
    );
  });

  it.each([
    [
      'descending tiers',
      (c: MutableConfig) => (prod(c).prices.plans.pro.requests.tiers[1].upTo = 500_000),
      'prices.plans.pro.requests.tiers[1].upTo must be a number above 1000000',
    ],
    [
      'a closed last tier',
      (c: MutableConfig) => (prod(c).prices.plans.basic.requests.tiers[1].upTo = 1e9),
      'prices.plans.basic.requests.tiers[1].upTo must be null',
    ],
    [
      'an open tier before the last',
      (c: MutableConfig) => (prod(c).prices.plans.pro.gbOut.tiers[0].upTo = null),
      'prices.plans.pro.gbOut.tiers[0].upTo must be a number above 0',
    ],
    [
      'a negative unit price',
      (c: MutableConfig) => (prod(c).prices.plans.basic.gbOut.tiers[0].unitPrice = -0.01),
      'prices.plans.basic.gbOut.tiers[0].unitPrice must be a non-negative number',
    ],
    [
      'an infinite flat fee',
      (c: MutableConfig) => (prod(c).prices.plans.pro.requests.tiers[0].flatFee = Number.POSITIVE_INFINITY),
      'prices.plans.pro.requests.tiers[0].flatFee must be a non-negative number',
    ],
    ['no tiers', (c: MutableConfig) => (prod(c).prices.plans.pro.gbOut.tiers = []), 'prices.plans.pro.gbOut.tiers must be a non-empty list'],
    ['a zero unit size', (c: MutableConfig) => (prod(c).prices.plans.pro.gbOut.unitSize = 0), 'prices.plans.pro.gbOut.unitSize must be a positive number'],
    [
      'negative included units',
      (c: MutableConfig) => (prod(c).prices.plans.basic.requests.includedUnits = -1),
      'prices.plans.basic.requests.includedUnits must be a non-negative number',
    ],
  ])('rejects %s', (_what, change, message) => {
    expect(messageOf(withChange(change))).toContain(`environment "prod": ${message}`);
  });

  it('accepts free prices (zero)', () => {
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).prices.plans.basic.gbOut.tiers[0].unitPrice = 0)))).not.toThrow();
  });

  it('rejects a currency that is not an ISO code', () => {
    expect(messageOf(withChange((c) => (prod(c).prices.currency = 'usd')))).toBe(
      'environment "prod": prices.currency "usd" must be an ISO 4217 code such as USD',
    );
  });

  it('rejects duplicate environment names, including local', () => {
    const msg = messageOf(withChange((c) => (c.local.name = 'dev')));
    expect(msg).toBe('environment "dev": name is declared more than once');
  });

  it.each([
    ['accessLogExpirationDays', 0],
    ['athenaResultsExpirationDays', -7],
  ] as const)('rejects %s = %d', (field, value) => {
    expect(messageOf(withChange((c) => (prod(c)[field] = value)))).toBe(`environment "prod": ${field} must be a positive integer, got ${value}`);
  });

  it.each([0, 169, 2.5])('rejects a late window of %p hours', (hours) => {
    expect(messageOf(withChange((c) => (prod(c).usageJob.lateWindowHours = hours)))).toBe(
      `environment "prod": usageJob.lateWindowHours must be an integer from 1 to 168, got ${hours}`,
    );
  });

  it('accepts late windows of 1 and 168 hours', () => {
    for (const hours of [1, 168]) {
      expect(() => validatePlatformConfig(withChange((c) => (prod(c).usageJob.lateWindowHours = hours)))).not.toThrow();
    }
  });

  it('rejects an Athena cutoff below 10 MB and accepts exactly 10 MB', () => {
    expect(messageOf(withChange((c) => (prod(c).usageJob.athenaBytesScannedCutoff = 10_485_759)))).toContain(
      'environment "prod": usageJob.athenaBytesScannedCutoff must be an integer of at least 10485760 bytes',
    );
    expect(() => validatePlatformConfig(withChange((c) => (prod(c).usageJob.athenaBytesScannedCutoff = 10_485_760)))).not.toThrow();
  });

  it.each(['oncall', 'on call@example.com', 'a@b'])('rejects e-mail %j', (email) => {
    expect(messageOf(withChange((c) => (prod(c).alarms.emails = [email])))).toBe(`environment "prod": alarms.emails[0] "${email}" is not an e-mail address`);
  });

  it('rejects the same e-mail twice', () => {
    expect(messageOf(withChange((c) => (prod(c).alarms.emails = ['a@example.com', 'A@example.com'])))).toBe(
      'environment "prod": alarms.emails[1] "A@example.com" is listed twice',
    );
  });

  it.each(['Prod', 'prod_1', 'a-very-long-environment-name'])('rejects environment name %j', (name) => {
    expect(messageOf(withChange((c) => (prod(c).name = name)))).toBe(
      `environment "${name}": name must be 1 to 16 lowercase letters, digits or dashes, starting with a letter`,
    );
  });

  it('rejects a usage plan name that cannot be part of resource names', () => {
    const msg = messageOf(
      withChange((c) => {
        const env = prod(c);
        env.usagePlans = { Gold_Plan: env.usagePlans.basic };
        env.prices.plans = { Gold_Plan: env.prices.plans.basic };
      }),
    );
    expect(msg).toBe('environment "prod": usagePlans.Gold_Plan name must be lowercase letters, digits and single dashes, starting with a letter');
  });

  it('rejects a configuration without deployed environments', () => {
    expect(messageOf(withChange((c) => (c.environments = [])))).toBe('platform: environments must declare at least one environment');
  });

  it('validates the local environment too', () => {
    expect(messageOf(withChange((c) => (c.local.usagePlans.basic.monthlyQuota = 0)))).toBe(
      'environment "local": usagePlans.basic.monthlyQuota must be a positive integer, got 0',
    );
  });

  it('validates the bootstrap and GitHub sections', () => {
    expect(messageOf(withChange((c) => (c.bootstrap.stateBucket = 'Bad_Bucket')))).toContain('bootstrap: stateBucket "Bad_Bucket"');
    expect(messageOf(withChange((c) => (c.github.owner = 'bad owner')))).toBe('github: owner "bad owner" is not a GitHub user or organisation name');
  });

  // Issue 17, part 6: the state bucket in the dev account let a dev-account administrator read prod's state.
  it('refuses a state bucket in an environment account unless explicitly opted in', () => {
    expect(messageOf(withChange((c) => (c.bootstrap.accountId = c.environments[0].accountId)))).toBe(
      'bootstrap: accountId "111111111111" is also the account of environment "dev"; put the state bucket in a tooling account no environment uses, or set bootstrap.stateInEnvironmentAccount: true to accept that this account\'s administrators reach every environment\'s state (docs/platform.md, "State apart")',
    );
    expect(() =>
      validatePlatformConfig(
        withChange((c) => {
          c.bootstrap.accountId = c.environments[0].accountId;
          c.bootstrap.stateInEnvironmentAccount = true;
        }),
      ),
    ).not.toThrow();
    expect(messageOf(withChange((c) => (c.bootstrap.stateBucket = 'ubb-dev-state')))).toBe(
      'bootstrap: stateBucket "ubb-dev-state" starts with environment "dev"\'s prefix "ubb-dev-", which its apply role may manage; choose a name outside every environment prefix',
    );
    // The local environment is never deployed, so it may share any account id.
    expect(() => validatePlatformConfig(withChange((c) => (c.local.accountId = c.bootstrap.accountId)))).not.toThrow();
  });

  it('refuses nested prefixes within one account and a bootstrap prefix inside an environment prefix', () => {
    expect(
      messageOf(
        withChange((c) => {
          prod(c).accountId = c.environments[0].accountId;
          c.environments[0].prefix = 'api';
          prod(c).prefix = 'api-prod';
        }),
      ),
    ).toContain('bootstrap: environments environment "prod"\'s prefix "api-prod" nests inside environment "dev"\'s prefix "api" in account "111111111111"');
    expect(messageOf(withChange((c) => (c.bootstrap.prefix = 'ubb-dev')))).toContain(
      'bootstrap: prefix "ubb-dev" equals or nests inside environment "dev"\'s prefix "ubb-dev"',
    );
    expect(messageOf(withChange((c) => (c.bootstrap.prefix = 'ubb-prod-tools')))).toContain('bootstrap: prefix "ubb-prod-tools" equals or nests');
    // In different accounts the role patterns never meet.
    expect(() => validatePlatformConfig(withChange((c) => (c.environments[0].prefix = 'api')))).not.toThrow();
  });

  it('lists every problem in one message, separated by semicolons', () => {
    const msg = messageOf(
      withChange((c) => {
        prod(c).logRetentionDays = 2;
        c.environments[0].accountId = '1';
      }),
    );
    expect(msg.split('; ')).toEqual([
      'environment "dev": accountId must be 12 digits, got "1"',
      expect.stringMatching(/^environment "prod": logRetentionDays 2 is not allowed/),
    ]);
  });
});
