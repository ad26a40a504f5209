/**
 * What the CLI needs from the AWS side of the usage job (usage-job/aws/), and
 * how it loads it: lazily, so DuckDB dry runs never load an AWS SDK.
 *
 * usage-job/aws/index.ts exports the two functions of AwsUsageJobModule.
 */
import type { DeployedTerms } from '../contracts/usage-job-deployment';
import type { EnvironmentConfig } from '../config/types';
import type { CustomerUsageSummary } from '../contracts/customer-usage';
import type { Customers } from './customers';
import type { NoticeLedger, NoticeSender } from './quota-notices';
import type { LogLister, RollupStore, RunAttribution } from './rollup-store';
import type { UsageEngine } from './types';
import type { SinkLedgerStore } from './sinks/sink';
import type { UsagePublisher } from './usage-publisher';

export interface AwsPartsOptions {
  readonly env: EnvironmentConfig;
  /** Progress lines for stderr. */
  readonly progress: (message: string) => void;
}

/** Everything an Athena run needs: engine, S3 listing and rollup store, customers from the key registry. */
export interface AthenaJobParts {
  readonly engine: UsageEngine;
  readonly lister: LogLister;
  readonly store: RollupStore;
  /** From the key registry the deployment file names (fingerprints; never key values). */
  readonly customers: Customers;
  /** The registry revision and the deployment file the run attributes with. */
  readonly attribution: RunAttribution;
  /** The prices and quota thresholds of record, from the deployment file (what the apply deployed). */
  readonly terms: DeployedTerms;
  readonly publisher: UsagePublisher;
  readonly noticeSender: NoticeSender;
  /** In the usage bucket. */
  readonly noticeLedger: NoticeLedger;
  /** The billing sinks' ledgers, in the usage bucket (sinks/<environment>/<sink>/<month>.json). */
  readonly sinkLedgers: SinkLedgerStore;
  /** Writes the customer usage summary GET /usage reads (usage bucket, customer-usage/<month>.json). */
  readonly writeCustomerUsage: (summary: CustomerUsageSummary) => Promise<'written' | 'newer-present'>;
}

/** What a run that publishes sends to AWS: metrics to CloudWatch, quota notices to EventBridge. */
export interface PublishingParts {
  readonly publisher: UsagePublisher;
  readonly noticeSender: NoticeSender;
}

export interface AwsUsageJobModule {
  createAthenaJobParts(options: AwsPartsOptions): Promise<AthenaJobParts>;
  /** The CloudWatch publisher and the EventBridge notice sender, for DuckDB runs that publish (not --dry-run). */
  createPublishingParts(options: AwsPartsOptions): Promise<PublishingParts>;
}

function isAwsModule(value: unknown): value is AwsUsageJobModule {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.createAthenaJobParts === 'function' && typeof m.createPublishingParts === 'function';
}

export async function loadAwsModule(): Promise<AwsUsageJobModule> {
  const path = './aws/index';
  let loaded: unknown;
  try {
    loaded = (await import(path)) as unknown;
  } catch (error) {
    throw new Error(`the AWS side of the usage job (usage-job/aws/index.ts) cannot be loaded: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  if (!isAwsModule(loaded)) throw new Error('usage-job/aws/index.ts does not export createAthenaJobParts and createPublishingParts');
  return loaded;
}
