/**
 * The monitoring cost table of docs/monitoring.md, computed from the code's own counts, not typed:
 * - custom metrics: the data one run of the CloudWatch publisher puts (usage-job/aws/cloudwatch-publisher.ts
 *   usageMetricData + heartbeatData) for N configured keys and the environment's billing sinks, counted
 *   as distinct (metric, dimension) pairs;
 * - alarms and dashboards: the resources of the synthesized billing stack (stacks/); customers are
 *   registry data, not configuration, so the stack is the same for every fleet size;
 * - API requests: PutMetricData calls per run (metricBatches), EventBridge PutEvents for the notices,
 *   GetMetricData when the dashboard is opened.
 *   npm run --silent cost:monitoring              prints the table (synthesizes 10, 1,000 and 10,000 keys)
 *   npm run --silent cost:monitoring -- --write   also writes it into docs/monitoring.md
 * docs/monitoring.md's test (bench/monitoring-cost.test.ts) recomputes the table and fails when it differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../contracts/metrics';
import { platformConfig } from '../config/environments';
import { configuredSinkNames } from '../config/sinks';
import type { EnvironmentConfig, PerKeyMetricsConfig } from '../config/types';
import { billingStackName } from '../stacks/stack-names';
import { REPO_ROOT } from '../stacks/shared/repo';
import { withMonitoring } from '../stacks/testing/fleet-config';
import { asObject, synthPlatform } from '../stacks/testing/synth-platform';
import { heartbeatData, keysWithPerKeyMetrics, metricBatches, usageMetricData, type MetricContext } from '../usage-job/aws/cloudwatch-publisher';
import type { KeyMonthUsage, MonthUsage } from '../usage-job/month-figures';

/**
 * List prices, US East (N. Virginia), without the free tier (https://aws.amazon.com/cloudwatch/pricing/,
 * https://aws.amazon.com/eventbridge/pricing/; sources and what could not be checked: docs/monitoring.md).
 */
export const PRICES = {
  /** Custom metrics per metric-month: first 10,000, next 240,000 (prorated by the hour they receive data). */
  metricTiers: [
    { upTo: 10_000, usd: 0.3 },
    { upTo: 250_000, usd: 0.1 },
    { upTo: 1_000_000, usd: 0.05 },
    { upTo: Infinity, usd: 0.02 },
  ],
  /** Standard-resolution alarm, per alarm metric and month. */
  alarmMetric: 0.1,
  dashboard: 3,
  /** PutMetricData and other "API requests", per 1,000 requests. */
  apiRequestsPer1000: 0.01,
  /** GetMetricData, per 1,000 metrics requested (Metrics Insights: metrics analyzed, an assumption). */
  getMetricDataPer1000Metrics: 0.01,
  /** EventBridge custom events, per million. */
  eventsPerMillion: 1,
} as const;

/** Hourly runs a month (730 hours, AWS's monthly hour count). */
export const RUNS_PER_MONTH = 730;
/** Assumption for the API column: the dashboard is opened this many times a month. */
export const DASHBOARD_VIEWS = 100;
/** The large-fleet option the table shows. */
export const LARGE_FLEET = { mode: 'top', keys: 100 } as const satisfies PerKeyMetricsConfig;
export const FLEET_SIZES = [10, 1_000, 10_000] as const;

export interface StackCounts {
  readonly alarms: number;
  /** Alarm metrics (each alarm watches one metric; a Metrics Insights or math alarm would count its metrics). */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  /** Metric lines and queries in the dashboard body. */
  readonly dashboardQueries: number;
  readonly resources: number;
}

/** Counts in the synthesized billing stack of `env` (the same for every number of customers). */
export function stackCounts(environment = 'prod', monitoring: Partial<EnvironmentConfig['monitoring']> = {}): StackCounts {
  const synth = synthPlatform(withMonitoring(platformConfig, environment, monitoring)).get(billingStackName(environment));
  if (synth === undefined) throw new Error(`no billing stack for ${environment}`);
  const resources = asObject(synth.json.resource);
  const ofType = (type: string) => Object.values(asObject(resources[type] ?? {})).map((r) => asObject(r));
  const alarms = ofType('aws_cloudwatch_metric_alarm');
  const alarmMetrics = alarms.reduce((s, a) => s + (Array.isArray(a.metric_query) ? a.metric_query.length : 1), 0);
  const dashboards = ofType('aws_cloudwatch_dashboard');
  const dashboardQueries = dashboards.reduce((s, d) => {
    const body = asObject(JSON.parse(String(d.dashboard_body)));
    return s + (body.widgets as { properties?: { metrics?: unknown[] } }[]).reduce((w, x) => w + (x.properties?.metrics?.length ?? 0), 0);
  }, 0);
  return {
    alarms: alarms.length,
    alarmMetrics,
    dashboards: dashboards.length,
    dashboardQueries,
    resources: Object.values(resources).reduce((s: number, byId) => s + Object.keys(asObject(byId)).length, 0),
  };
}

/** A month's figures for `n` keys, spread so every threshold is crossed by some keys. */
function fleetUsage(n: number): MonthUsage {
  const keys: KeyMonthUsage[] = Array.from({ length: n }, (_, i) => {
    const requests = (i * 7919) % 1200;
    return {
      id: `customer-${String(i).padStart(5, '0')}`,
      name: `Customer ${i}`,
      requests,
      rejected: 0,
      errors: 0,
      bytesOut: 0,
      bytesIn: 0,
      quota: 1000,
      quotaUsedPercent: requests / 10,
    };
  });
  return { month: '2026-11', keys, unattributed: { requests: 0 }, totalRequests: n };
}

export interface PublisherCounts {
  /** Distinct custom metrics one run puts (heartbeat included), i.e. metric-months when every run puts them. */
  readonly metrics: number;
  readonly perKeyMetrics: number;
  readonly putMetricDataCalls: number;
}

/** What the publisher puts in one run for `n` keys and the billing sinks named. */
export function publisherCounts(n: number, thresholds: readonly number[], perKeyMetrics: PerKeyMetricsConfig, sinks: readonly string[] = []): PublisherCounts {
  const usage = fleetUsage(n);
  const now = new Date('2026-11-20T10:17:00Z');
  const context: MetricContext = {
    usage,
    timestamp: now,
    thresholds,
    perKeyMetrics,
    now,
    reconciliation: { keys: [], lastCompleteDay: { day: '2026-11-19', apiGatewayRequests: 1, logRequests: 1, shortfallPercent: 0 } },
    sinks: sinks.map((name) => ({ name, outcome: 'ok', hoursBehind: 0, problems: 0 })),
  };
  const data = usageMetricData(context);
  const heartbeat = heartbeatData(context);
  const distinct = new Set(data.map((d) => `${d.MetricName}|${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(',')}`));
  const perKey = data.filter((d) => d.MetricName === METRICS.quotaUsedPercent.name).length;
  if (perKey !== keysWithPerKeyMetrics(usage.keys, perKeyMetrics).length) throw new Error('per-key data and selected keys disagree');
  return { metrics: distinct.size + heartbeat.length, perKeyMetrics: perKey, putMetricDataCalls: metricBatches(data).length + 1 };
}

export function metricsCost(metrics: number): number {
  let left = metrics;
  let below = 0;
  let usd = 0;
  for (const tier of PRICES.metricTiers) {
    const inTier = Math.min(left, tier.upTo - below);
    usd += inTier * tier.usd;
    left -= inTier;
    below = tier.upTo;
    if (left <= 0) break;
  }
  return usd;
}

export interface CostRow {
  readonly keys: number;
  readonly option: string;
  readonly metrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly usd: { readonly metrics: number; readonly alarms: number; readonly dashboard: number; readonly api: number; readonly total: number };
}

export function costRow(
  n: number,
  stack: StackCounts,
  thresholds: readonly number[],
  perKeyMetrics: PerKeyMetricsConfig,
  sinks: readonly string[] = [],
): CostRow {
  const p = publisherCounts(n, thresholds, perKeyMetrics, sinks);
  const notices = n * thresholds.length; // at most one per key and threshold a month
  const api =
    (p.putMetricDataCalls * RUNS_PER_MONTH * PRICES.apiRequestsPer1000) / 1000 +
    (notices * PRICES.eventsPerMillion) / 1e6 +
    // each view reads every line, and the top-N query analyzes every per-key metric published
    (DASHBOARD_VIEWS * (stack.dashboardQueries + p.perKeyMetrics) * PRICES.getMetricDataPer1000Metrics) / 1000;
  const usd = {
    metrics: metricsCost(p.metrics),
    alarms: stack.alarmMetrics * PRICES.alarmMetric,
    dashboard: stack.dashboards * PRICES.dashboard,
    api,
  };
  return {
    keys: n,
    option: perKeyMetrics.mode === 'all' ? 'default (every key)' : `large fleet (top ${perKeyMetrics.keys})`,
    metrics: p.metrics,
    alarms: stack.alarms,
    dashboards: stack.dashboards,
    usd: { ...usd, total: usd.metrics + usd.alarms + usd.dashboard + usd.api },
  };
}

const money = (usd: number) => `$${usd < 10 ? usd.toFixed(2) : Math.round(usd).toLocaleString('en-US')}`;

export function costTable(rows: readonly CostRow[]): string {
  const lines = [
    '| keys | per-key metrics | custom metrics | alarms | dashboards | metrics | alarms | dashboard | API requests¹ | total a month |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.keys.toLocaleString('en-US')} | ${r.option} | ${r.metrics.toLocaleString('en-US')} | ${r.alarms} | ${r.dashboards} | ` +
        `${money(r.usd.metrics)} | ${money(r.usd.alarms)} | ${money(r.usd.dashboard)} | ${money(r.usd.api)} | **${money(r.usd.total)}** |`,
    ),
  ];
  return lines.join('\n');
}

/** The table for the shipped prod environment's thresholds, from one stack count per fleet size. */
export function monitoringCostTable(countsFor: (n: number) => StackCounts): string {
  const env = platformConfig.environments.find((e) => e.name === 'prod');
  if (env === undefined) throw new Error('no prod environment');
  const thresholds = env.alarms.quotaPercentThresholds;
  const sinks = configuredSinkNames(env);
  const rows = FLEET_SIZES.flatMap((n) => {
    const stack = countsFor(n);
    return [costRow(n, stack, thresholds, { mode: 'all' }, sinks), ...(n > LARGE_FLEET.keys ? [costRow(n, stack, thresholds, LARGE_FLEET, sinks)] : [])];
  });
  return costTable(rows);
}

export const DOC = join(REPO_ROOT, 'docs', 'monitoring.md');
const BEGIN = '<!-- cost-table:begin (generated by npm run cost:monitoring -- --write) -->';
const END = '<!-- cost-table:end -->';

export function tableInDoc(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC} has no cost-table markers`);
  return doc.slice(a + BEGIN.length, b).trim();
}

if (require.main === module) {
  // One stack for every fleet size: customers are registry data, not stack input (bench/fleet-synth.test.ts).
  const counts = stackCounts();
  const table = monitoringCostTable(() => counts);
  process.stdout.write(`${table}\n`);
  if (process.argv.includes('--write')) {
    const doc = readFileSync(DOC, 'utf8');
    writeFileSync(DOC, doc.replace(doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length), `${BEGIN}\n${table}\n${END}`));
    process.stderr.write(`written into ${DOC}\n`);
  }
}
