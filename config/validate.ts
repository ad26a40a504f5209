/**
 * Validates the platform configuration before anything is synthesized. Every problem is reported
 * with the environment and the field it concerns, e.g.
 *   environment "prod": usagePlans.pro.burstLimit (50) must be at least rateLimit (100)
 * `validatePlatformConfig` throws one ConfigError whose message lists every problem found.
 */
import { resourceNames } from '../contracts/resource-names';
import { quotaNoticeSource } from '../contracts/quota-notice';
import { BILLING_SINK_NAMES, configuredSinkNames } from './sinks';
import { resolveMarketplaceConfig } from './marketplace-sink';
import { stripeSinkConfigError } from './stripe-sink';
import { planPriceProblems } from '../contracts/prices';
import type { EnvironmentConfig, PlatformConfig, SinksConfig } from './types';
import { ACCOUNT_ID, BUCKET_NAME, KEY_ID, MAX_ENVIRONMENT_NAME_LENGTH, MAX_KEY_ID_LENGTH, NAME, REGION } from '../contracts/name-rules';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/**
 * Retention values CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays):
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * Smallest per-query bytes-scanned cutoff (10 MB = 10,485,760 bytes). Athena's API model allows
 * 10,000,000 (https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html);
 * the AWS provider validates `IntAtLeast(10485760)` on aws_athena_workgroup
 * (hashicorp/terraform-provider-aws internal/service/athena/workgroup.go), so the stricter bound wins.
 */
export const MIN_ATHENA_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024;

/** S3 bucket names are 3 to 63 characters (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
export const MAX_BUCKET_NAME_LENGTH = 63;

/** The usage job recomputes a trailing window of at most one week. */
export const MAX_LATE_WINDOW_HOURS = 168;

/** A Metrics Insights query returns at most 500 time series (docs/monitoring.md). */
export const MAX_DASHBOARD_TOP_KEYS = 500;

/** API Gateway allows 10,000 API keys per account and Region, so no environment publishes more per-key metrics. */
export const MAX_TOP_KEYS = 10_000;

/** A sink behind by more than 35 days can no longer send to Stripe (docs/sinks.md); an alarm threshold beyond that is meaningless. */
export const MAX_SINK_HOURS_BEHIND_THRESHOLD = 35 * 24;

/** Quota thresholds above 1000 % of quota would never be reached in practice. */
export const MAX_QUOTA_PERCENT_THRESHOLD = 1000;

/** Lowercase letters, digits and single dashes; starts with a letter, ends with a letter or digit. */
const CURRENCY = /^[A-Z]{3}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

class Problems {
  readonly list: string[] = [];
  constructor(private readonly where: string) {}
  add(field: string, message: string): void {
    this.list.push(`${this.where}: ${field} ${message}`);
  }
  /** A problem whose text already starts with its field. */
  raw(problem: string): void {
    this.list.push(`${this.where}: ${problem}`);
  }
  positiveInteger(field: string, value: unknown): void {
    if (!isPositiveInteger(value)) this.add(field, `must be a positive integer, got ${show(value)}`);
  }
}

function checkIdentity(env: EnvironmentConfig, p: Problems): void {
  if (typeof env.name !== 'string' || !NAME.test(env.name) || env.name.length > MAX_ENVIRONMENT_NAME_LENGTH) {
    p.add('name', 'must be 1 to 16 lowercase letters, digits or dashes, starting with a letter');
  }
  if (!ACCOUNT_ID.test(env.accountId)) p.add('accountId', `must be 12 digits, got ${show(env.accountId)}`);
  if (!REGION.test(env.region)) p.add('region', `${show(env.region)} is not an AWS region name such as eu-west-1`);
  if (!NAME.test(env.prefix)) {
    p.add('prefix', `${show(env.prefix)} must be lowercase letters, digits and single dashes, starting with a letter`);
  } else if (quotaNoticeSource(env.prefix).startsWith('aws.')) {
    p.add(
      'prefix',
      `${show(env.prefix)} makes the quota notices' source ${show(quotaNoticeSource(env.prefix))}; EventBridge refuses custom sources starting with "aws."`,
    );
  } else if (ACCOUNT_ID.test(env.accountId)) {
    const names = resourceNames(env);
    for (const [what, bucket] of Object.entries({
      logBucket: names.logBucket,
      athenaResultsBucket: names.athenaResultsBucket,
      usageBucket: names.usageBucket,
      keyRegistryBucket: names.keyRegistryBucket,
    })) {
      if (bucket.length > MAX_BUCKET_NAME_LENGTH) {
        p.add(
          'prefix',
          `${show(env.prefix)} is too long: bucket name ${show(bucket)} (${what}) has ${bucket.length} characters, S3 allows ${MAX_BUCKET_NAME_LENGTH}`,
        );
        break;
      }
    }
  }
}

function checkPlans(env: EnvironmentConfig, p: Problems): void {
  const planNames = Object.keys(env.usagePlans ?? {});
  if (planNames.length === 0) p.add('usagePlans', 'must declare at least one plan');
  for (const planName of planNames) {
    const plan = env.usagePlans[planName];
    const at = `usagePlans.${planName}`;
    if (!NAME.test(planName)) p.add(at, 'name must be lowercase letters, digits and single dashes, starting with a letter');
    p.positiveInteger(`${at}.monthlyQuota`, plan.monthlyQuota);
    p.positiveInteger(`${at}.rateLimit`, plan.rateLimit);
    p.positiveInteger(`${at}.burstLimit`, plan.burstLimit);
    if (isPositiveInteger(plan.rateLimit) && isPositiveInteger(plan.burstLimit) && plan.burstLimit < plan.rateLimit) {
      p.add(`${at}.burstLimit`, `(${plan.burstLimit}) must be at least rateLimit (${plan.rateLimit})`);
    }
  }
}

/** The migration list names each former key once, in the key id format. */
function checkKeys(env: EnvironmentConfig, p: Problems): void {
  const former = env.formerTerraformKeyIds ?? [];
  if (!Array.isArray(former)) {
    p.add('formerTerraformKeyIds', `must be a list of key ids, got ${show(former)}`);
    return;
  }
  const seen = new Map<string, number>();
  former.forEach((id, i) => {
    const at = `formerTerraformKeyIds[${i}]`;
    if (typeof id !== 'string' || !KEY_ID.test(id) || id.length > MAX_KEY_ID_LENGTH) {
      p.add(at, `${show(id)} must be 1 to ${MAX_KEY_ID_LENGTH} lowercase letters, digits and single dashes`);
    }
    const first = seen.get(id);
    if (first !== undefined) p.add(at, `${show(id)} is already listed at formerTerraformKeyIds[${first}]`);
    else seen.set(id, i);
  });
}

function checkEdgeKeyCheck(env: EnvironmentConfig, p: Problems): void {
  const check = env.edgeKeyCheck;
  if (check !== undefined && check !== 'enforce' && check !== 'admit-unknown') {
    p.add('edgeKeyCheck', `must be 'enforce' or 'admit-unknown', got ${show(check)}`);
  }
}

function checkLimits(env: EnvironmentConfig, p: Problems): void {
  if (!LOG_RETENTION_DAYS.includes(env.logRetentionDays)) {
    p.add('logRetentionDays', `${show(env.logRetentionDays)} is not allowed by CloudWatch Logs (allowed: ${LOG_RETENTION_DAYS.join(', ')})`);
  }
  p.positiveInteger('accessLogExpirationDays', env.accessLogExpirationDays);
  p.positiveInteger('athenaResultsExpirationDays', env.athenaResultsExpirationDays);
  p.positiveInteger('stageThrottle.rateLimit', env.stageThrottle?.rateLimit);
  p.positiveInteger('stageThrottle.burstLimit', env.stageThrottle?.burstLimit);
  if (
    isPositiveInteger(env.stageThrottle?.rateLimit) &&
    isPositiveInteger(env.stageThrottle?.burstLimit) &&
    env.stageThrottle.burstLimit < env.stageThrottle.rateLimit
  ) {
    p.add('stageThrottle.burstLimit', `(${env.stageThrottle.burstLimit}) must be at least rateLimit (${env.stageThrottle.rateLimit})`);
  }
}

function checkAlarms(env: EnvironmentConfig, p: Problems): void {
  const thresholds = env.alarms?.quotaPercentThresholds ?? [];
  if (thresholds.length === 0) p.add('alarms.quotaPercentThresholds', 'must list at least one percentage');
  thresholds.forEach((t, i) => {
    const at = `alarms.quotaPercentThresholds[${i}]`;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > MAX_QUOTA_PERCENT_THRESHOLD) {
      p.add(at, `${show(t)} must be a percentage in (0, ${MAX_QUOTA_PERCENT_THRESHOLD}]`);
    } else if (i > 0 && !(t > thresholds[i - 1])) {
      p.add(at, `${show(t)} must be greater than the previous threshold ${show(thresholds[i - 1])} (ascending)`);
    }
  });
  const unattributed = env.alarms?.unattributedPercentThreshold;
  if (typeof unattributed !== 'number' || !Number.isFinite(unattributed) || unattributed <= 0 || unattributed > 100) {
    p.add('alarms.unattributedPercentThreshold', `${show(unattributed)} must be a percentage in (0, 100]`);
  }
  const seenEmails = new Set<string>();
  (env.alarms?.emails ?? []).forEach((email, i) => {
    if (typeof email !== 'string' || !EMAIL.test(email)) p.add(`alarms.emails[${i}]`, `${show(email)} is not an e-mail address`);
    else if (seenEmails.has(email.toLowerCase())) p.add(`alarms.emails[${i}]`, `${show(email)} is listed twice`);
    seenEmails.add(String(email).toLowerCase());
  });
}

/** Every usage plan has a price and every price a usage plan; each price by the model of contracts/prices.ts. */
function checkPrices(env: EnvironmentConfig, p: Problems): void {
  if (!CURRENCY.test(env.prices?.currency ?? '')) p.add('prices.currency', `${show(env.prices?.currency)} must be an ISO 4217 code such as USD`);
  const plans = env.prices?.plans;
  if (typeof plans !== 'object' || plans === null) {
    p.add('prices.plans', `must map every usage plan to its price, got ${show(plans)}`);
    return;
  }
  for (const plan of Object.keys(env.usagePlans ?? {})) {
    if (plans[plan] === undefined) p.add(`prices.plans.${plan}`, `is missing: usage plan "${plan}" needs a price`);
  }
  for (const [plan, price] of Object.entries(plans)) {
    if (env.usagePlans?.[plan] === undefined) p.add(`prices.plans.${plan}`, `prices a plan that usagePlans does not declare`);
    else for (const problem of planPriceProblems(price, `prices.plans.${plan}`)) p.raw(problem);
  }
}

function checkMonitoring(env: EnvironmentConfig, p: Problems): void {
  const monitoring = env.monitoring;
  const perKey = monitoring?.perKeyMetrics;
  if (perKey?.mode === 'top') {
    if (!isPositiveInteger(perKey.keys) || perKey.keys > MAX_TOP_KEYS) {
      p.add('monitoring.perKeyMetrics.keys', `must be an integer from 1 to ${MAX_TOP_KEYS}, got ${show(perKey.keys)}`);
    }
  } else if (perKey?.mode !== 'all') {
    p.add('monitoring.perKeyMetrics', `must be { mode: 'all' } or { mode: 'top', keys: N }, got ${show(perKey)}`);
  }
  const topKeys = monitoring?.dashboardTopKeys;
  if (!isPositiveInteger(topKeys) || topKeys > MAX_DASHBOARD_TOP_KEYS) {
    p.add(
      'monitoring.dashboardTopKeys',
      `must be an integer from 1 to ${MAX_DASHBOARD_TOP_KEYS} (Metrics Insights returns at most 500 series), got ${show(topKeys)}`,
    );
  }
  const shortfall = monitoring?.logShortfallPercentThreshold;
  if (typeof shortfall !== 'number' || !Number.isFinite(shortfall) || shortfall <= 0 || shortfall > 100) {
    p.add('monitoring.logShortfallPercentThreshold', `${show(shortfall)} must be a percentage in (0, 100]`);
  }
  p.positiveInteger('monitoring.logShortfallMinRequests', monitoring?.logShortfallMinRequests);
  const behind = monitoring?.sinkHoursBehindThreshold;
  if (!isPositiveInteger(behind) || behind > MAX_SINK_HOURS_BEHIND_THRESHOLD) {
    p.add('monitoring.sinkHoursBehindThreshold', `must be an integer from 1 to ${MAX_SINK_HOURS_BEHIND_THRESHOLD} hours, got ${show(behind)}`);
  }
}

function checkSinks(env: EnvironmentConfig, p: Problems): void {
  const sinks: unknown = env.sinks;
  if (sinks === undefined) return;
  if (typeof sinks !== 'object' || sinks === null || Array.isArray(sinks)) {
    p.add('sinks', `must be an object of billing sink settings, got ${show(sinks)}`);
    return;
  }
  const known: readonly string[] = BILLING_SINK_NAMES;
  for (const name of configuredSinkNames(env)) {
    if (!known.includes(name))
      p.add(`sinks.${name}`, `is not a billing sink (known: ${known.length > 0 ? known.join(', ') : 'none yet'}; CloudWatch always runs)`);
  }
  const { stripe, marketplace } = sinks as SinksConfig;
  if (stripe !== undefined) {
    const problem = stripeSinkConfigError(stripe);
    if (problem !== undefined) p.add('sinks.stripe', problem);
  }
  if (marketplace !== undefined) {
    try {
      resolveMarketplaceConfig(marketplace, 'config');
    } catch (error) {
      p.add('sinks.marketplace', (error as Error).message.replace(/^config: /, ''));
    }
  }
}

function checkUsageJob(env: EnvironmentConfig, p: Problems): void {
  const late = env.usageJob?.lateWindowHours;
  if (!isPositiveInteger(late) || late > MAX_LATE_WINDOW_HOURS) {
    p.add('usageJob.lateWindowHours', `must be an integer from 1 to ${MAX_LATE_WINDOW_HOURS}, got ${show(late)}`);
  }
  const cutoff = env.usageJob?.athenaBytesScannedCutoff;
  if (!isPositiveInteger(cutoff) || cutoff < MIN_ATHENA_BYTES_SCANNED_CUTOFF) {
    p.add(
      'usageJob.athenaBytesScannedCutoff',
      `must be an integer of at least ${MIN_ATHENA_BYTES_SCANNED_CUTOFF} bytes (10 MB, Athena's minimum), got ${show(cutoff)}`,
    );
  }
}

function validateEnvironment(env: EnvironmentConfig): string[] {
  const p = new Problems(`environment ${show(env.name)}`);
  checkIdentity(env, p);
  checkPlans(env, p);
  checkKeys(env, p);
  checkEdgeKeyCheck(env, p);
  checkLimits(env, p);
  checkAlarms(env, p);
  checkPrices(env, p);
  checkMonitoring(env, p);
  checkUsageJob(env, p);
  checkSinks(env, p);
  return p.list;
}

/**
 * The state bucket holds every environment's state (API key values, the origin secret): in an
 * environment's account, that account's administrators could read or rewrite the other
 * environments' state. So it lives in its own tooling account unless explicitly opted in; and its
 * name never falls under an environment's prefix, which the apply role's bucket grant
 * (<prefix>-*) would cover.
 */
function checkStateApart(config: PlatformConfig, bs: Problems): void {
  const deployed = config.environments ?? [];
  const sharing = deployed.filter((env) => env.accountId === config.bootstrap?.accountId);
  if (sharing.length > 0 && config.bootstrap.stateInEnvironmentAccount !== true) {
    bs.add(
      'accountId',
      `${show(config.bootstrap.accountId)} is also the account of environment ${sharing.map((e) => show(e.name)).join(', ')}; put the state bucket in a tooling account no environment uses, or set bootstrap.stateInEnvironmentAccount: true to accept that this account's administrators reach every environment's state (docs/platform.md, "State apart")`,
    );
  }
  // An apply role manages what is named <prefix>-* (buckets, functions, log groups; roles under
  // /<prefix>-bounded/, stacks/bootstrap/iam-guard.ts): a nested prefix puts
  // another environment's, or the bootstrap's, roles inside that pattern.
  const bootstrapPrefix = config.bootstrap?.prefix ?? '';
  for (const env of deployed) {
    if (typeof env.prefix !== 'string') continue;
    if (bootstrapPrefix === env.prefix || bootstrapPrefix.startsWith(`${env.prefix}-`)) {
      bs.add(
        'prefix',
        `${show(bootstrapPrefix)} equals or nests inside environment ${show(env.name)}'s prefix ${show(env.prefix)}, whose apply role manages ${show(`${env.prefix}-*`)}; choose a bootstrap prefix outside every environment prefix`,
      );
    }
    for (const other of deployed) {
      if (other !== env && other.accountId === env.accountId && typeof other.prefix === 'string' && other.prefix.startsWith(`${env.prefix}-`)) {
        bs.add(
          'environments',
          `environment ${show(other.name)}'s prefix ${show(other.prefix)} nests inside environment ${show(env.name)}'s prefix ${show(env.prefix)} in account ${show(env.accountId)}, so ${show(env.name)}'s apply role would manage its roles; choose prefixes where neither starts with the other followed by "-"`,
        );
      }
    }
  }
  const bucket = config.bootstrap?.stateBucket ?? '';
  for (const env of deployed) {
    if (typeof env.prefix === 'string' && bucket.startsWith(`${env.prefix}-`)) {
      bs.add(
        'stateBucket',
        `${show(bucket)} starts with environment ${show(env.name)}'s prefix ${show(`${env.prefix}-`)}, which its apply role may manage; choose a name outside every environment prefix`,
      );
    }
  }
}

/** Returns every problem of the configuration, each naming its environment (or section) and field. */
export function platformConfigProblems(config: PlatformConfig): string[] {
  const problems: string[] = [];
  const top = new Problems('platform');
  if (typeof config.project !== 'string' || !NAME.test(config.project)) {
    top.add('project', `${show(config.project)} must be lowercase letters, digits and single dashes`);
  }
  problems.push(...top.list);

  const gh = new Problems('github');
  if (!GITHUB_OWNER.test(config.github?.owner ?? '')) gh.add('owner', `${show(config.github?.owner)} is not a GitHub user or organisation name`);
  if (!GITHUB_REPO.test(config.github?.repo ?? '')) gh.add('repo', `${show(config.github?.repo)} is not a GitHub repository name`);
  if (typeof config.github?.mainBranch !== 'string' || config.github.mainBranch.trim() === '' || /[\s*?[~^:\\]/.test(config.github.mainBranch)) {
    gh.add('mainBranch', `${show(config.github?.mainBranch)} is not a branch name`);
  }
  problems.push(...gh.list);

  const bs = new Problems('bootstrap');
  if (!ACCOUNT_ID.test(config.bootstrap?.accountId ?? '')) bs.add('accountId', `must be 12 digits, got ${show(config.bootstrap?.accountId)}`);
  if (!REGION.test(config.bootstrap?.region ?? '')) bs.add('region', `${show(config.bootstrap?.region)} is not an AWS region name such as eu-west-1`);
  if (!NAME.test(config.bootstrap?.prefix ?? '')) bs.add('prefix', `${show(config.bootstrap?.prefix)} must be lowercase letters, digits and single dashes`);
  if (!BUCKET_NAME.test(config.bootstrap?.stateBucket ?? '') || config.bootstrap.stateBucket.includes('..')) {
    bs.add('stateBucket', `${show(config.bootstrap?.stateBucket)} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots, dashes)`);
  }
  if (config.bootstrap?.stateInEnvironmentAccount !== undefined && typeof config.bootstrap.stateInEnvironmentAccount !== 'boolean') {
    bs.add('stateInEnvironmentAccount', `must be true or false, got ${show(config.bootstrap.stateInEnvironmentAccount)}`);
  }
  checkStateApart(config, bs);
  problems.push(...bs.list);

  const environments = [...(config.environments ?? []), config.local];
  if ((config.environments ?? []).length === 0) problems.push('platform: environments must declare at least one environment');
  const seen = new Set<string>();
  for (const env of environments) {
    if (seen.has(env.name)) problems.push(`environment ${show(env.name)}: name is declared more than once`);
    seen.add(env.name);
    problems.push(...validateEnvironment(env));
  }
  return problems;
}

/** Throws a ConfigError naming every problem; returns the config unchanged when it is valid. */
export function validatePlatformConfig(config: PlatformConfig): PlatformConfig {
  const problems = platformConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
