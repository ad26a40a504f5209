/**
 * Assembles the local platform: seed customers (made with the keys CLI's create), the API Gateway
 * emulation with the real handlers, the local edge with the real function, the access-log buffer,
 * the usage job and the HTTP server; and stops it without losing a record.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES as API_ROUTE_TABLE } from '../lambdas/routes';
import type { ProxyHandler } from '../lambdas/handlers/http';
import { setLogSink } from '../lambdas/handlers/logger';
import { ORIGIN_SECRET_ENV } from '../contracts/origin-secret';
import type { UsagePublisher } from '../usage-job/usage-publisher';
import { LocalApiGateway, type KeylessRoutes } from './api-gateway/gateway';
import { QuotaCounter } from './api-gateway/quota';
import type { LocalSettings } from './config';
import { LocalEdge } from './edge/edge';
import { registeredKeys } from './api-gateway/registered-keys';
import { edgeKeyFile, edgeKeysPath } from './edge/edge-key-file';
import { localKeysContext, seedCustomers, type LocalApiKey } from './keys/seed';
import { LogBuffer } from './logs/log-buffer';
import { startServer, type PlatformServer } from './server';
import { withCustomerUsageFile } from './usage/customer-usage-file';
import { duckDbUsageJob } from './usage/run-usage-job';
import { UsageRefresher } from './usage/usage-refresher';
import { usageRoutes } from './usage/usage-routes';

/** Distribution id the local logs are filed under, shaped like CloudFront's (uppercase letters and digits). */
export const LOCAL_DISTRIBUTION_ID = 'ELOCALPLATFORM';

/** The API's routes (lambdas/routes.ts), keyed as the gateway emulation looks them up. */
export const ROUTES: ReadonlyMap<string, ProxyHandler> = new Map(API_ROUTE_TABLE.map((r) => [`${r.method} ${r.path}`, r.handler]));

/** The routes that require no API key, with their method throttle (GET /usage). */
export const KEYLESS_ROUTES: KeylessRoutes = new Map(
  API_ROUTE_TABLE.filter((r) => r.apiKeyRequired === false).map((r) => {
    if (r.throttle === undefined) throw new Error(`route ${r.method} ${r.path} requires no key but has no throttle (lambdas/routes.ts)`);
    return [`${r.method} ${r.path}`, r.throttle];
  }),
);

export interface LocalPlatform {
  readonly url: string;
  /** Values the platform issued to its seed customers (also in <state>/keys.json). */
  readonly keys: readonly LocalApiKey[];
  readonly logRoot: string;
  readonly server: PlatformServer;
  readonly refresher: UsageRefresher;
  /** Log records written to Parquet so far. */
  readonly logRecordsWritten: () => number;
  /** Stops taking requests, lets the ones in flight finish, writes every log record, saves quotas. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly publisher?: UsagePublisher;
  readonly onError?: (message: string) => void;
}

export async function startLocalPlatform(settings: LocalSettings, options: StartOptions = {}): Promise<LocalPlatform> {
  const { environment, stateDir } = settings;
  mkdirSync(stateDir, { recursive: true });
  const logRoot = join(stateDir, 'logs');
  mkdirSync(logRoot, { recursive: true });
  const report = options.onError ?? ((m: string) => process.stderr.write(`local platform: ${m}\n`));
  // Seed customers are made the way `keys create --env local` makes customers, so the registry,
  // the local API Gateway and the edge file agree and `keys sync --fix` keeps them.
  const keys = await seedCustomers(localKeysContext(environment, stateDir), stateDir, settings.seed);

  // The handlers' structured logs (one JSON line per request) go to a file, as Lambda's go to
  // CloudWatch Logs, so the console stays readable.
  const lambdaLog = createWriteStream(join(stateDir, 'lambda.log'), { flags: 'a' });
  const restoreSink = setLogSink((line) => void lambdaLog.write(line + '\n'));

  // CloudFront adds the origin secret header; the handlers compare it with ORIGIN_SECRET.
  const originSecret = randomBytes(32).toString('base64url');
  process.env[ORIGIN_SECRET_ENV] = originSecret;

  const quota = new QuotaCounter(stateDir);
  const gateway = new LocalApiGateway(environment, registeredKeys(stateDir, environment, report), ROUTES, quota, originSecret, KEYLESS_ROUTES);
  const edge = new LocalEdge(edgeKeyFile(edgeKeysPath(stateDir), report));
  const logs = new LogBuffer({ root: logRoot, accountId: environment.accountId, distributionId: LOCAL_DISTRIBUTION_ID });
  const job = duckDbUsageJob(stateDir, logRoot, environment, environment.usageJob.lateWindowHours);
  // GET /usage reads the registry and the summary the runs write from the state folder (lambdas/handlers/usage-source.ts).
  process.env.USAGE_ENVIRONMENT = environment.name;
  process.env.USAGE_STATE_DIR = stateDir;
  const refresher = new UsageRefresher({
    run: withCustomerUsageFile(job.run, stateDir, environment),
    flushLogs: async () => {
      await logs.flush();
      quota.save();
    },
    logRecords: () => logs.written,
    logRoot,
    publisher: options.publisher,
    quotaThresholds: environment.alarms.quotaPercentThresholds,
    perKeyMetrics: environment.monitoring.perKeyMetrics,
    onError: report,
  });

  const server = await startServer(
    {
      edge,
      gateway,
      distributionId: LOCAL_DISTRIBUTION_ID,
      internal: usageRoutes(refresher, Math.max(1, Math.round(settings.usageIntervalMs / 1000)), environment.prices),
      log: (record) => logs.add(record),
    },
    settings.port,
  );

  const flushTimer = setInterval(() => {
    logs
      .flush()
      .then(() => quota.save())
      .catch((error: Error) => report(`log flush failed (records kept for the next flush): ${error.message}`));
  }, settings.flushIntervalMs);
  flushTimer.unref();
  refresher.start(settings.usageIntervalMs);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      refresher.stop();
      clearInterval(flushTimer);
      await server.close();
      await refresher.idle();
      await logs.close();
      quota.save();
      await job.close();
      restoreSink();
      await new Promise<void>((resolve) => lambdaLog.end(() => resolve()));
    })();
    return stopping;
  };

  return { url: server.url, keys, logRoot, server, refresher, logRecordsWritten: () => logs.written, stop };
}
