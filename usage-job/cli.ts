/**
 * The usage CLI (docs/contracts.md, usage CLI):
 *   npm run --silent usage -- --engine duckdb|athena --month YYYY-MM [options]
 * stdout holds only the report (JSON or table); progress and errors go to stderr; exit code 0 on
 * success, 1 with a one-line reason otherwise. A billing sink that reports partial or failed is not
 * a failed run (exit 0): the report, the heartbeat and the sink's alarm say so (docs/sinks.md).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeployedTerms } from '../contracts/usage-job-deployment';
import { platformConfig } from '../config/environments';
import { configuredSinkNames } from '../config/sinks';
import type { EnvironmentConfig } from '../config/types';
import { loadAwsModule, type AthenaJobParts } from './aws-parts';
import type { Customers } from './customers';
import { DuckDbUsageEngine } from './local/duckdb-engine';
import { isMonth } from '../sql/hours';
import { runIncremental } from './incremental-run';
import { customerUsageSummary } from './customer-usage-summary';
import { openingCustomerUsageSummary } from './opening-summary';
import { invoiceFormat, invoiceLines, writeInvoice } from './invoice-lines';
import { localEnvironment } from './local/environment';
import { LocalLogLister } from './local/log-lister';
import { LocalRollupStore } from './local/rollup-store';
import { LocalNoticeLedger } from './local/notice-ledger';
import { customerHours } from './customer-hours';
import { monthStatus } from './month-status';
import { monthUsage } from './month-usage';
import { FileSinkLedgerStore } from './local/sink-ledger-store';
import { runSinks, sinksFor, sinksOutcome, summaryLine } from './sinks/index';
import { withOpenWork } from './sinks/open-work';
import type { SinkLedgerStore, SinkReport } from './sinks/sink';
import { publishRun, type Publishing } from './publish-run';
import { readRegistryFile } from './local/registry-file';
import { dueNotices, type NoticeRunResult } from './quota-notices';
import type { LogLister, RollupStore, RunAttribution } from './rollup-store';
import { storeForRun } from './read-only-store';
import { defaultLocalStateDir, localStateSource } from './state-source';
import type { UsageEngine } from './types';
import type { Reconciliation } from './usage-publisher';
import { usageReport } from './usage-report';
import { usageTable } from './usage-table';

export const HELP = `Usage: npm run --silent usage -- --engine duckdb|athena --month YYYY-MM [options]

Computes month-to-date usage per customer (summed over its API keys) from CloudFront logs,
incrementally: hourly rollups are kept in a state store and only hours that are new, or changed
within the late window, are read. Customers come from the key registry (keys/registry.ts).

  --engine duckdb|athena   duckdb: local Parquet logs (--logs); athena: the environment's Glue table
  --month YYYY-MM          UTC month to report (requests belong to the month of their date)
  --env NAME               environment whose plans, prices, late window and AWS resources apply (default: local;
                           for local, LOCAL_ENVIRONMENT_FILE's fields apply as they do to npm start)
  --logs DIR               duckdb: log root laid out like the log bucket (AWSLogs/...)
  --registry FILE          duckdb: the key registry file (e.g. .local/registry.json, what npm start and
                           keys --env local write); athena: the registry object the deployment file names
  --state DIR              duckdb: where hourly rollups and the manifest live; a folder holds the state of
                           one log root (default .local/usage-state/<env>/<logs folder name>-<hash of its path>)
  --late-window-hours N    hours recomputed when their logs change (default: the environment's usageJob.lateWindowHours)
  --now ISO-TIME           the run's time (default: now); hours after it are not read. With billing sinks
                           configured and without --dry-run it must lie within an hour of the clock (a Stripe
                           sink judges resends and closed months by it)
  --acknowledge-open-work  record what the billing sinks leave open in this month as resolved by hand, so
                           runs of later months stop reporting it (they report a month's open work for two months)
  --sinks-clock-override   accept any --now with billing sinks: for tests and replays against fake Stripe and
                           Marketplace services only (a backdated --now can resend events a real Stripe counted)
  --format json|table      stdout format (default json)
  --invoice FILE           also write invoice lines (.csv or .json) with the environment's prices
  --dry-run                compute and print; publish nothing to CloudWatch, send no quota notice, send nothing
                           to a billing sink (each reports what it would send) and write no sink ledger, and
                           with --engine athena write nothing to the usage bucket (recomputed hours stay in memory)
  --help                   this text
`;

export class UsageCliError extends Error {}

export interface CliOptions {
  readonly engine: 'duckdb' | 'athena';
  readonly month: string;
  readonly env: EnvironmentConfig;
  readonly logs?: string;
  readonly registryFile?: string;
  readonly state?: string;
  readonly lateWindowHours: number;
  readonly now: Date;
  readonly format: 'json' | 'table';
  readonly invoice?: string;
  readonly dryRun: boolean;
  /** Marks what this run's sinks leave open as resolved by hand (docs/sinks.md, "Earlier months"). */
  readonly acknowledgeOpenWork: boolean;
}

export function findEnvironment(name: string, vars: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const all = [...platformConfig.environments, platformConfig.local];
  const env = all.find((e) => e.name === name);
  if (!env) throw new UsageCliError(`--env ${name}: unknown environment (known: ${all.map((e) => e.name).join(', ')})`);
  if (env.name !== platformConfig.local.name) return env;
  // The local environment as npm start sees it: LOCAL_ENVIRONMENT_FILE's fields (e.g. usagePlans) apply here too.
  try {
    return localEnvironment(vars.LOCAL_ENVIRONMENT_FILE);
  } catch (error) {
    throw new UsageCliError((error as Error).message);
  }
}

/** How far --now may lie from the clock on a run that sends to billing sinks. */
export const SINK_CLOCK_TOLERANCE_MS = 3_600_000;

/**
 * A Stripe sink decides from the run's time whether a pending event's identifier is still
 * remembered by Stripe, whether a month's invoice may be final and what lies in the 35-day window,
 * so a backdated --now can make an old pending event look young and send it again (counted twice).
 */
function checkSinkClock(env: EnvironmentConfig, now: Date, clock: Date, dryRun: boolean, override: boolean): void {
  const sinks = configuredSinkNames(env);
  if (dryRun || override || sinks.length === 0 || Math.abs(now.getTime() - clock.getTime()) <= SINK_CLOCK_TOLERANCE_MS) return;
  throw new UsageCliError(
    `--now ${now.toISOString()} is more than an hour from the clock (${clock.toISOString()}) and environment ${env.name} sends to billing sinks (${sinks.join(', ')}); run without --now, or with --dry-run (--sinks-clock-override is for tests against fakes only)`,
  );
}

/** Every flag the CLI parses (docs/contracts.md, usage CLI, names each one; cli.test.ts checks it). */
export const CLI_FLAGS = {
  engine: { type: 'string' },
  month: { type: 'string' },
  env: { type: 'string' },
  logs: { type: 'string' },
  registry: { type: 'string' },
  state: { type: 'string' },
  'late-window-hours': { type: 'string' },
  now: { type: 'string' },
  format: { type: 'string' },
  invoice: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'sinks-clock-override': { type: 'boolean' },
  'acknowledge-open-work': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** Parses and validates argv; returns null for --help. `clock` is the real time (tests pass their own). */
export function parseCliArgs(argv: readonly string[], clock: () => Date = () => new Date()): CliOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: CLI_FLAGS,
    }));
  } catch (error) {
    throw new UsageCliError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return null;
  const engine = values.engine;
  if (engine !== 'duckdb' && engine !== 'athena')
    throw new UsageCliError(`--engine must be duckdb or athena${engine === undefined ? '' : `, got "${engine}"`}`);
  const month = values.month;
  if (month === undefined) throw new UsageCliError('--month YYYY-MM is required');
  if (!isMonth(month)) throw new UsageCliError(`--month must be a month as YYYY-MM (e.g. 2026-11), got "${month}"`);
  const env = findEnvironment(values.env ?? 'local');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'table') throw new UsageCliError(`--format must be json or table, got "${format}"`);
  let lateWindowHours = env.usageJob.lateWindowHours;
  if (values['late-window-hours'] !== undefined) {
    const text = values['late-window-hours'];
    if (!/^\d+$/.test(text) || Number(text) > 24 * 366)
      throw new UsageCliError(`--late-window-hours must be a whole number of hours (0 to 8784), got "${text}"`);
    lateWindowHours = Number(text);
  }
  const realTime = clock();
  let now = realTime;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(values.now) || Number.isNaN(now.getTime()))
      throw new UsageCliError(`--now must be an ISO time such as 2026-11-28T05:00:00Z, got "${values.now}"`);
  }
  checkSinkClock(env, now, realTime, values['dry-run'] ?? false, values['sinks-clock-override'] ?? false);
  if (values.invoice !== undefined) {
    try {
      invoiceFormat(values.invoice);
    } catch (error) {
      throw new UsageCliError((error as Error).message);
    }
  }
  if (engine === 'duckdb') {
    if (values.logs === undefined) throw new UsageCliError('--logs DIR is required with --engine duckdb (the local log root, holding AWSLogs/)');
    if (!existsSync(values.logs) || !statSync(values.logs).isDirectory()) throw new UsageCliError(`--logs ${values.logs}: no such directory`);
    if (values.registry === undefined)
      throw new UsageCliError('--registry FILE is required with --engine duckdb (the key registry file, e.g. .local/registry.json)');
  } else {
    for (const flag of ['logs', 'registry', 'state'] as const) {
      if (values[flag] !== undefined)
        throw new UsageCliError(`--${flag} applies to --engine duckdb only (athena reads the environment's log bucket, deployment file and usage bucket)`);
    }
  }
  return {
    engine,
    month,
    env,
    logs: values.logs,
    registryFile: values.registry,
    state: values.state,
    lateWindowHours,
    now,
    format,
    invoice: values.invoice,
    dryRun: values['dry-run'] ?? false,
    acknowledgeOpenWork: values['acknowledge-open-work'] ?? false,
  };
}

interface RunParts {
  readonly engine: UsageEngine;
  readonly lister: LogLister;
  readonly store: RollupStore;
  /** Read once per run: every figure of the run is attributed with this registry revision. */
  readonly customers: Customers;
  readonly attribution: RunAttribution;
  /** Prices and quota thresholds of record: the deployment file's in AWS, the config's locally. */
  readonly terms: DeployedTerms;
  /** Metrics and notices, built only for runs that publish. */
  readonly publishing: () => Promise<Publishing>;
  /** Where the billing sinks keep their ledgers (docs/sinks.md). */
  readonly sinkLedgers: SinkLedgerStore;
  /** Athena runs that publish also write the customer usage summary GET /usage reads. */
  readonly writeCustomerUsage?: AthenaJobParts['writeCustomerUsage'];
}

/** The environment with the prices and quota thresholds the run bills and alarms with. */
function environmentOfRecord(env: EnvironmentConfig, terms: DeployedTerms): EnvironmentConfig {
  return { ...env, prices: terms.prices, alarms: { ...env.alarms, quotaPercentThresholds: terms.alarms.quotaPercentThresholds } };
}

/** The state folder of a DuckDB run: --state, or one folder per log root so runs over other logs never collide. */
function localStore(options: CliOptions, logs: string): LocalRollupStore {
  const source = localStateSource(logs);
  const dir = resolve(options.state ?? defaultLocalStateDir(options.env.name, source));
  return new LocalRollupStore(dir, source, { otherSourceAdvice: `pass --state DIR for a separate state folder, or move ${dir} aside to start over` });
}

async function partsFor(options: CliOptions, progress: (m: string) => void, deps: CliDependencies): Promise<RunParts> {
  if (options.engine === 'duckdb') {
    const logs = resolve(options.logs!);
    let customers: Customers;
    try {
      customers = await readRegistryFile(options.registryFile!, options.env.name, options.env.usagePlans);
    } catch (error) {
      throw new UsageCliError((error as Error).message);
    }
    const store = localStore(options, logs);
    return {
      engine: new DuckDbUsageEngine(logs),
      lister: new LocalLogLister(logs),
      store,
      customers,
      attribution: { registry: customers.registry },
      // Beside the rollups of the same log root, per environment, like the notice ledger.
      sinkLedgers: new FileSinkLedgerStore(resolve(store.location, 'sinks', options.env.name)),
      terms: options.env,
      publishing: async () => ({
        ...(deps.publishing !== undefined ? await deps.publishing() : await (await loadAwsModule()).createPublishingParts({ env: options.env, progress })),
        // The ledger lives beside the rollups of the same log root, per environment (a shared --state folder keeps them apart).
        noticeLedger: new LocalNoticeLedger(resolve(store.location, 'notices', options.env.name)),
      }),
    };
  }
  const aws = await loadAwsModule();
  const parts = await aws.createAthenaJobParts({ env: options.env, progress });
  return { ...parts, publishing: async () => parts };
}

/**
 * Hands the month's per-customer hourly figures to the environment's billing sinks (none
 * configured: nothing runs). Never throws for a sink: a partial or failed sink is in the reports,
 * which go to the JSON report, to CloudWatch (publishRun) and to stderr.
 */
async function runBillingSinks(
  options: CliOptions,
  parts: RunParts,
  rows: Parameters<typeof customerHours>[1],
  usage: ReturnType<typeof monthUsage>,
  progress: (m: string) => void,
  build: typeof sinksFor,
): Promise<SinkReport[]> {
  const sinks = await build(options.env, { ledgers: parts.sinkLedgers, vars: process.env, progress });
  if (sinks.length === 0) return [];
  const billed = parts.customers.customers;
  const reports = await runSinks(sinks, {
    environment: options.env.name,
    month: options.month,
    now: options.now,
    monthStatus: monthStatus(options.month, options.now, options.lateWindowHours),
    hours: customerHours(options.month, rows, billed),
    customers: billed.map((c) => ({ id: c.id, name: c.name, plan: c.plan, revoked: c.revoked, billing: c.billing })),
    usage,
    dryRun: options.dryRun,
    progress,
  }).then((ran) =>
    withOpenWork(
      parts.sinkLedgers,
      {
        environment: options.env.name,
        month: options.month,
        now: options.now,
        monthStatus: monthStatus(options.month, options.now, options.lateWindowHours),
        isFinal: (month) => monthStatus(month, options.now, options.lateWindowHours) === 'final',
        dryRun: options.dryRun,
        acknowledge: options.acknowledgeOpenWork,
      },
      ran,
      progress,
    ),
  );
  if (sinksOutcome(reports) !== 'ok')
    progress(
      `billing sinks partial: ${reports
        .filter((r) => r.outcome !== 'ok')
        .map((r) => `${r.sink} ${r.outcome}`)
        .join(', ')} (exit code stays 0: the alarm per sink and UsageJobSinksPartial say so)`,
    );
  return reports;
}

/** Runs the CLI; returns the exit code. Writes the report to `out`, progress and errors to `err`. */
export interface CliDependencies {
  /** Builds the environment's billing sinks (tests pass fakes). */
  readonly sinksFor?: typeof sinksFor;
  /**
   * DuckDB runs: CloudWatch and EventBridge in place of the AWS ones (tests record them: CloudWatch
   * refuses data older than two weeks by the wall clock, so runs at a fixed --now cannot publish).
   */
  readonly publishing?: () => Promise<Pick<Publishing, 'publisher' | 'noticeSender'>>;
  /** The real time --now is checked against (tests pass a fixed one). */
  readonly clock?: () => Date;
}

export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, deps: CliDependencies = {}): Promise<number> {
  const progress = (message: string) => err(`usage: ${message}\n`);
  let engine: UsageEngine | undefined;
  try {
    const options = parseCliArgs(argv, deps.clock);
    if (options === null) {
      out(HELP);
      return 0;
    }
    const parts = await partsFor(options, progress, deps);
    engine = parts.engine;
    const env = environmentOfRecord(options.env, parts.terms);
    const started = Date.now();
    const run = await runIncremental({
      month: options.month,
      now: options.now,
      lateWindowHours: options.lateWindowHours,
      engine: parts.engine,
      lister: parts.lister,
      store: storeForRun(parts.store, options),
      attribution: parts.attribution,
      progress,
    });
    progress(`computed ${run.hoursComputed.length} of ${run.hoursConsidered} hours, read ${run.bytesScanned} bytes in ${Date.now() - started} ms`);
    const registry = parts.customers.registry;
    progress(`customers from ${registry.location}, revision ${registry.revision}${registry.versionId !== undefined ? `, version ${registry.versionId}` : ''}`);
    const usage = monthUsage(options.month, run.rows, parts.customers.customers);
    const sinkReports = await runBillingSinks(options, parts, run.rows, usage, progress, deps.sinksFor ?? sinksFor);
    if (options.invoice !== undefined) {
      // after the sinks: their reports name corrections of earlier months billed in this month's period
      const carried = sinkReports.flatMap((r) => r.carried ?? []);
      writeInvoice(
        options.invoice,
        invoiceLines(usage, parts.customers.customers, env.prices, { now: options.now, lateWindowHours: options.lateWindowHours }, carried),
      );
      progress(`invoice lines written to ${options.invoice}`);
    }
    const thresholds = env.alarms.quotaPercentThresholds;
    let reconciliation: Reconciliation | undefined;
    let notices: NoticeRunResult | undefined;
    if (options.dryRun) {
      progress(`dry run: nothing published, no quota notice sent (${dueNotices(options.env.name, usage, thresholds, options.now).length} due this month)`);
    } else {
      const result = await publishRun({ usage, env, now: options.now, publishing: await parts.publishing(), sinkReports, progress }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const hint = /credential/i.test(message) ? ' (no AWS credentials: pass --dry-run to compute and print without publishing)' : '';
        throw new Error(`${message}${hint}`, { cause: error });
      });
      notices = result.notices;
      reconciliation = result.reconciliation;
      progress(`published ${result.metricDataPut} metric data to CloudWatch (per-key metric for ${result.keysPublished} of ${usage.keys.length} keys)`);
      if (parts.writeCustomerUsage !== undefined) {
        const summary = customerUsageSummary({
          environment: options.env.name,
          usage,
          customers: parts.customers.customers,
          thresholds,
          prices: env.prices,
          now: options.now,
          lateWindowHours: options.lateWindowHours,
        });
        progress(`customer usage summary for GET /usage: ${await parts.writeCustomerUsage(summary)}`);
        // A failed write throws: the run exits 1 and the failure issue opens, so a missing opening summary is never silent.
        const opening = openingCustomerUsageSummary({
          environment: options.env.name,
          month: options.month,
          customers: parts.customers.customers,
          thresholds,
          now: options.now,
        });
        if (opening !== undefined) progress(`opening summary of ${opening.month} for GET /usage: ${await parts.writeCustomerUsage(opening)}`);
      }
    }
    if (options.format === 'table') {
      out(usageTable(usage));
      for (const report of sinkReports) out(`sink ${report.sink}: ${summaryLine(report)}\n`);
    } else {
      const report = usageReport(usage, {
        thresholds,
        ...(notices !== undefined ? { notices } : {}),
        ...(reconciliation !== undefined ? { reconciliation } : {}),
        sinks: sinkReports,
        run: {
          engine: parts.engine.name,
          environment: options.env.name,
          now: options.now.toISOString(),
          hoursConsidered: run.hoursConsidered,
          hoursComputed: run.hoursComputed.length,
          hoursKeptFromOtherSql: run.hoursKeptFromOtherSql,
          bytesScanned: run.bytesScanned,
          published: !options.dryRun,
          sinks: sinksOutcome(sinkReports),
          attribution: parts.attribution,
        },
      });
      out(`${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    err(`usage: error: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    await engine?.close();
  }
}

if (require.main === module) {
  // Node prints process warnings to stderr as many lines (the AWS SDK's NodeVersionSupportWarning on
  // Node 20 is nine); keep them, as one `usage: warning:` line each, so every stderr line is ours.
  // No printer installed means --no-warnings or NODE_NO_WARNINGS=1: stay silent then too.
  if (process.listenerCount('warning') > 0) {
    process.removeAllListeners('warning');
    process.on('warning', (warning) => process.stderr.write(`usage: warning: ${warning.message.replace(/\s+/g, ' ').trim()}\n`));
  }
  main(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`usage: error: ${String(error).split('\n')[0]}\n`);
      process.exitCode = 1;
    },
  );
}
