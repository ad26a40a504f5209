/**
 * The billing sinks of an environment (docs/sinks.md). Adding a sink: its folder beside its
 * siblings (usage-job/sinks/<name>/) exporting a factory, its member in config/types.ts SinksConfig
 * and its name in config/sinks.ts BILLING_SINK_NAMES, and one entry in SINK_FACTORIES below.
 */
import { configuredSinkNames } from '../../config/sinks';
import type { EnvironmentConfig, SinksConfig } from '../../config/types';
import type { StripeSinkConfig } from '../../config/stripe-sink';
import { createMarketplaceSink } from './marketplace/index';
import type { SinkLedgerStore, SinkReport, UsageSink } from './sink';
import { createStripeSink, credentialsFromEnvironment, credentialsFromSecret, type StripeCredentials } from './stripe/index';

export { hoursBehind, runSinks, sinksOutcome, summaryLine } from './run-sinks';
export type { SinkLedgerStore, SinkReport, SinkRunInput, UsageSink } from './sink';

/** What a sink factory gets besides its config member. */
export interface SinkContext {
  /** Where the sink keeps its ledger: the usage bucket in AWS, beside the run's state locally. */
  readonly ledgers: SinkLedgerStore;
  /** The process environment (e.g. STRIPE_API_KEY, STRIPE_API_BASE for the CLI and tests). */
  readonly vars: NodeJS.ProcessEnv;
  readonly progress: (message: string) => void;
}

export type SinkFactory<Config> = (config: Config, context: SinkContext) => UsageSink | Promise<UsageSink>;

/** One factory per member of SinksConfig: a member without a factory does not compile. */
export const SINK_FACTORIES: { readonly [Name in keyof SinksConfig]-?: SinkFactory<NonNullable<SinksConfig[Name]>> } = {
  stripe: (config, context) => createStripeSink({ config, ledgers: context.ledgers, credentials: () => stripeCredentials(config, context) }),
  marketplace: (config, context) => createMarketplaceSink({ config, ledger: context.ledgers }),
};

/**
 * The Stripe key: STRIPE_API_KEY (and STRIPE_API_BASE) from the environment when set (the CLI, a
 * fake in tests), otherwise the environment's Secrets Manager secret (the scheduled job in AWS).
 */
async function stripeCredentials(config: StripeSinkConfig, context: SinkContext): Promise<StripeCredentials> {
  const fromEnvironment = credentialsFromEnvironment(context.vars);
  if (fromEnvironment !== undefined) return fromEnvironment;
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  return credentialsFromSecret(
    config.apiKeySecretName,
    async (secretId) => (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
  );
}

/** A sink that could not be built (a missing API key): it runs like the others and reports failed, with the reason. */
export function unavailableSink(name: string, reason: string): UsageSink {
  return {
    name,
    export: async (): Promise<SinkReport> => {
      throw new Error(`not started: ${reason}`);
    },
  };
}

/** The billing sinks configured for `env` (none: an empty list; CloudWatch is the run's own last step, publish-run.ts). */
export async function sinksFor(env: Pick<EnvironmentConfig, 'name' | 'sinks'>, context: SinkContext): Promise<UsageSink[]> {
  const factories = SINK_FACTORIES as Readonly<Record<string, SinkFactory<unknown> | undefined>>;
  const configs = (env.sinks ?? {}) as Readonly<Record<string, unknown>>;
  const sinks: UsageSink[] = [];
  for (const name of configuredSinkNames(env)) {
    const factory = factories[name];
    if (factory === undefined) {
      sinks.push(unavailableSink(name, `environment ${env.name} configures sink ${name}, which this version of the usage job does not have`));
      continue;
    }
    try {
      sinks.push(await factory(configs[name], context));
    } catch (error) {
      sinks.push(unavailableSink(name, error instanceof Error ? error.message.split('\n')[0]! : String(error)));
    }
  }
  return sinks;
}
