/**
 * The AWS side of the usage job, wired up. Two entry points:
 *
 * - createAwsUsageBackend({ env, region?, endpoint?, ... }): everything an Athena run needs
 *   (customers from the key registry the deployment file names, Athena engine, S3 log lister and rollup store, CloudWatch
 *   publisher that reconciles with API Gateway, EventBridge notice sender, and the notice ledger and
 *   the billing sinks' ledgers in the usage bucket). Tests pass an endpoint (any AWS-compatible server) and may wrap each API to
 *   inject faults.
 * - cloudWatchUsagePublisher({ environment, region, endpoint? }): the one CloudWatch publisher
 *   factory (the backend, DuckDB runs that publish and the local platform's --cloudwatch-endpoint
 *   all build theirs here).
 *
 * The CLI (../cli.ts) loads this module lazily through ../aws-parts.ts and calls
 * createAthenaJobParts / createPublishingParts, which read endpoints from the SDK's standard
 * variables AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_{S3,ATHENA,CLOUDWATCH,API_GATEWAY,EVENTBRIDGE}
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */
import type { CustomerUsageSummary } from '../../contracts/customer-usage';
import { putCustomerUsageSummary, type SummaryWrite } from './customer-usage-store';
import { resourceNames, type NamedEnvironment } from '../../contracts/resource-names';
import type { DeployedTerms, UsageJobDeployment } from '../../contracts/usage-job-deployment';
import type { AthenaJobParts, AwsPartsOptions, PublishingParts } from '../aws-parts';
import type { Customers } from '../customers';
import type { RunAttribution } from '../rollup-store';
import { hoursForMonth } from '../incremental-run';
import type { HourlyUsageRow } from '../types';
import { AthenaEngine, athenaApi, type AthenaApi, type AthenaEngineOptions } from './athena-engine';
import { apiGatewayClient, athenaClient, cloudWatchClient, eventBridgeClient, s3Client, type AwsConnection } from './clients';
import { CloudWatchPublisher, cloudWatchApi, type CloudWatchApi, type Reconciler } from './cloudwatch-publisher';
import { mapLimit } from '../concurrency';
import { readUsageJobDeployment } from './deployment-file';
import { readRegistryObject } from './registry-object';
import { EventBridgeNoticeSender, eventBridgeApi, S3NoticeLedger, type EventBridgeApi } from './eventbridge-notices';
import { ApiGatewayReconciler, apiGatewayUsageApi, type ApiGatewayUsageApi } from './reconciliation';
import type { BackoffOptions } from './retry';
import { S3LogLister, S3RollupStore } from './s3-rollup-store';
import { S3SinkLedgerStore } from './s3-sink-ledger-store';
import { s3StateSource } from '../state-source';

export { AthenaEngine, AthenaQueryError } from './athena-engine';
export { putCustomerUsageSummary } from './customer-usage-store';
export { CloudWatchPublisher, PublishError } from './cloudwatch-publisher';
export { DeploymentFileError } from './deployment-file';
export { EventBridgeNoticeSender, S3NoticeLedger } from './eventbridge-notices';
export type { KeyReconciliationReport, DayReconciliation } from './reconciliation';
export { S3LogLister, S3RollupStore } from './s3-rollup-store';
export { S3SinkLedgerStore } from './s3-sink-ledger-store';

type Service = 's3' | 'athena' | 'cloudWatch' | 'apiGateway' | 'eventBridge';

export interface AwsBackendOptions {
  /** The environment (EnvironmentConfig fits): its name, prefix and account name the resources. */
  readonly env: NamedEnvironment & { readonly region?: string; readonly monitoring?: { readonly logShortfallMinRequests: number } };
  /** Default: env.region. */
  readonly region?: string;
  /** One endpoint for every service (moto, the local platform). Default: AWS. */
  readonly endpoint?: string;
  /** Per-service endpoints; win over `endpoint`. */
  readonly endpoints?: Partial<Record<Service, string>>;
  readonly credentials?: AwsConnection['credentials'];
  /** Wrap an API (tests inject faults this way). */
  readonly wrap?: {
    readonly athena?: (api: AthenaApi) => AthenaApi;
    readonly cloudWatch?: (api: CloudWatchApi) => CloudWatchApi;
    readonly apiGateway?: (api: ApiGatewayUsageApi) => ApiGatewayUsageApi;
    readonly eventBridge?: (api: EventBridgeApi) => EventBridgeApi;
  };
  /** Engine tuning (timeouts, polling, concurrency, injected clock). */
  readonly athena?: Omit<AthenaEngineOptions, 'workgroup' | 'database' | 'table'>;
  readonly publisher?: { readonly batchSize?: number; readonly backoff?: BackoffOptions };
  readonly backoff?: BackoffOptions;
  readonly now?: () => Date;
  readonly progress?: (message: string) => void;
}

export interface AwsUsageBackend {
  /** From the key registry (fingerprints, never key values), read once for the run. */
  readonly customers: Customers;
  /** The registry revision and deployment file the run attributes with (into the manifest and the report). */
  readonly attribution: RunAttribution;
  /** The prices and quota thresholds of record: the deployment file's, never the code's config. */
  readonly terms: DeployedTerms;
  readonly engine: AthenaEngine;
  readonly lister: S3LogLister;
  readonly store: S3RollupStore;
  /** Publishes the metrics of contracts/metrics.ts, LogShortfallPercent from the reconciliation with API Gateway. */
  readonly publisher: CloudWatchPublisher;
  /** Quota notices to the default event bus; their ledger in the usage bucket. */
  readonly noticeSender: EventBridgeNoticeSender;
  readonly noticeLedger: S3NoticeLedger;
  /** The billing sinks' ledgers in the usage bucket. */
  readonly sinkLedgers: S3SinkLedgerStore;
  /** The customer usage summary GET /usage reads (customer-usage-store.ts). */
  readonly writeCustomerUsage: (summary: CustomerUsageSummary) => Promise<SummaryWrite>;
}

function connection(options: AwsBackendOptions, service: Service, region: string): AwsConnection {
  const endpoint = options.endpoints?.[service] ?? options.endpoint;
  return {
    region,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  };
}

function checkDeployment(deployment: UsageJobDeployment, env: AwsBackendOptions['env'], region: string, source: string): void {
  const expected: [keyof UsageJobDeployment, string][] = [
    ['environment', env.name],
    ['accountId', env.accountId],
    ['region', region],
    ['usageBucket', resourceNames(env).usageBucket],
  ];
  for (const [field, value] of expected) {
    if (deployment[field] !== value) {
      throw new Error(
        `${source}: field "${field}" is ${JSON.stringify(deployment[field])} but environment ${env.name} expects ${JSON.stringify(value)}; ` +
          'are the credentials for the right account, and is the stack deployed?',
      );
    }
  }
}

export async function createAwsUsageBackend(options: AwsBackendOptions): Promise<AwsUsageBackend> {
  const region = options.region ?? options.env.region;
  if (region === undefined) throw new Error(`no AWS region for environment ${options.env.name}`);
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? (() => undefined);
  const s3 = s3Client(connection(options, 's3', region));
  const usageBucket = resourceNames(options.env).usageBucket;

  progress(`reading the usage-job deployment file from s3://${usageBucket}`);
  const read = await readUsageJobDeployment(s3, usageBucket);
  const { deployment } = read;
  checkDeployment(deployment, options.env, region, `s3://${usageBucket}`);
  const terms: DeployedTerms = { prices: deployment.prices, alarms: { quotaPercentThresholds: deployment.quotaPercentThresholds } };
  progress(`prices and quota thresholds of record from ${read.location} (${Object.keys(deployment.prices.plans).join(', ')}; ${deployment.prices.currency})`);
  progress(`reading the key registry from s3://${deployment.keyRegistry.bucket}/${deployment.keyRegistry.key}`);
  const customers = await readRegistryObject(s3, deployment, { ...(options.backoff !== undefined ? { backoff: options.backoff } : {}), progress });
  const attribution: RunAttribution = {
    registry: customers.registry,
    deployment: {
      location: read.location,
      ...(read.etag !== undefined ? { etag: read.etag } : {}),
      ...(read.versionId !== undefined ? { versionId: read.versionId } : {}),
    },
  };

  const athena = athenaApi(athenaClient(connection(options, 'athena', region)));
  const engine = new AthenaEngine(options.wrap?.athena?.(athena) ?? athena, {
    ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    ...options.athena,
    workgroup: deployment.athenaWorkgroup,
    database: deployment.glueDatabase,
    table: deployment.glueTable,
  });
  const backoff = options.backoff !== undefined ? { backoff: options.backoff } : {};
  const logs = s3StateSource({ bucket: deployment.logBucket, accountId: deployment.accountId, distributionId: deployment.distributionId });
  const lister = new S3LogLister(s3, logs, backoff);
  // The usage bucket's state belongs to the distribution's logs; runs refuse a state of other logs.
  const store = new S3RollupStore(s3, deployment.usageBucket, logs, backoff);

  const gateway = apiGatewayUsageApi(apiGatewayClient(connection(options, 'apiGateway', region)));
  const gatewayApi = options.wrap?.apiGateway?.(gateway) ?? gateway;
  const monthRows = async (month: string, runTime: Date): Promise<HourlyUsageRow[]> => {
    const rollups = await mapLimit(hoursForMonth(month, runTime), 16, (hour) => store.getHour(hour));
    return rollups.flatMap((r) => (r?.rows ?? []).filter((row) => row.month === month));
  };
  const reconciler = new ApiGatewayReconciler(
    gatewayApi,
    customers.customers,
    Object.values(deployment.usagePlans).map((p) => p.usagePlanId),
    monthRows,
    options.backoff,
    options.env.monitoring?.logShortfallMinRequests,
  );

  const publisher = cloudWatchUsagePublisher({
    environment: options.env.name,
    connection: connection(options, 'cloudWatch', region),
    reconciler,
    now,
    ...(options.wrap?.cloudWatch !== undefined ? { wrap: options.wrap.cloudWatch } : {}),
    ...(options.publisher?.batchSize !== undefined ? { batchSize: options.publisher.batchSize } : {}),
    ...((options.publisher?.backoff ?? options.backoff) !== undefined ? { backoff: options.publisher?.backoff ?? options.backoff } : {}),
  });
  const events = eventBridgeApi(eventBridgeClient(connection(options, 'eventBridge', region)));
  const noticeSender = new EventBridgeNoticeSender(options.wrap?.eventBridge?.(events) ?? events, { prefix: options.env.prefix, ...backoff });
  const noticeLedger = new S3NoticeLedger(s3, deployment.usageBucket, options.env.name, options.backoff);

  const sinkLedgers = new S3SinkLedgerStore(s3, deployment.usageBucket, options.env.name, backoff);

  const writeCustomerUsage = (summary: CustomerUsageSummary) => putCustomerUsageSummary(s3, deployment.usageBucket, summary);
  return { customers, attribution, terms, engine, lister, store, publisher, noticeSender, noticeLedger, sinkLedgers, writeCustomerUsage };
}

/** The one factory of the CloudWatch publisher. */
export function cloudWatchUsagePublisher(options: {
  /** Environment name; the namespace is metricsNamespace(environment). */
  readonly environment: string;
  /** Region, endpoint (any AWS-compatible server, e.g. what --cloudwatch-endpoint sets) and credentials. */
  readonly connection: AwsConnection;
  readonly reconciler?: Reconciler;
  readonly now?: () => Date;
  readonly wrap?: (api: CloudWatchApi) => CloudWatchApi;
  readonly batchSize?: number;
  readonly backoff?: BackoffOptions;
}): CloudWatchPublisher {
  const api = cloudWatchApi(cloudWatchClient(options.connection));
  return new CloudWatchPublisher(options.wrap?.(api) ?? api, {
    environment: options.environment,
    ...(options.reconciler !== undefined ? { reconciler: options.reconciler } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
  });
}

/** Endpoints from the SDK's standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>). */
export function endpointsFromEnvironment(vars: NodeJS.ProcessEnv = process.env): Pick<AwsBackendOptions, 'endpoint' | 'endpoints'> {
  const pick = (name: string): string | undefined => {
    const value = vars[name];
    return value !== undefined && value !== '' ? value : undefined;
  };
  const endpoints: Partial<Record<Service, string>> = {};
  const perService: [Service, string][] = [
    ['s3', 'AWS_ENDPOINT_URL_S3'],
    ['athena', 'AWS_ENDPOINT_URL_ATHENA'],
    ['cloudWatch', 'AWS_ENDPOINT_URL_CLOUDWATCH'],
    ['apiGateway', 'AWS_ENDPOINT_URL_API_GATEWAY'],
    ['eventBridge', 'AWS_ENDPOINT_URL_EVENTBRIDGE'],
  ];
  for (const [service, name] of perService) {
    const value = pick(name);
    if (value !== undefined) endpoints[service] = value;
  }
  const endpoint = pick('AWS_ENDPOINT_URL');
  return { ...(endpoint !== undefined ? { endpoint } : {}), endpoints };
}

/** ../aws-parts.ts contract: the parts of an Athena run for the CLI. */
export async function createAthenaJobParts(options: AwsPartsOptions): Promise<AthenaJobParts> {
  const backend = await createAwsUsageBackend({ env: options.env, progress: options.progress, ...endpointsFromEnvironment() });
  return backend;
}

/** ../aws-parts.ts contract: what DuckDB runs that publish send to AWS (metrics, notices). */
export async function createPublishingParts(options: AwsPartsOptions): Promise<PublishingParts> {
  const { endpoint, endpoints } = endpointsFromEnvironment();
  const at = (service: Service): AwsConnection => {
    const url = endpoints?.[service] ?? endpoint;
    return { region: options.env.region, ...(url !== undefined ? { endpoint: url } : {}) };
  };
  const events = eventBridgeApi(eventBridgeClient(at('eventBridge')));
  return {
    publisher: cloudWatchUsagePublisher({ environment: options.env.name, connection: at('cloudWatch') }),
    noticeSender: new EventBridgeNoticeSender(events, { prefix: options.env.prefix }),
  };
}
