/**
 * Which billing sinks an environment runs (EnvironmentConfig.sinks, docs/sinks.md): the usage job
 * builds one sink per name, and the stacks put one "behind" alarm per name.
 */
import type { EnvironmentConfig, SinksConfig } from './types';

/** Every member SinksConfig may have; a sink adds its name here with its config member. */
export const BILLING_SINK_NAMES: readonly (keyof SinksConfig & string)[] = ['marketplace', 'stripe'];

/** The names of the billing sinks configured for `env`, sorted (CloudWatch is not one: it always runs). */
export function configuredSinkNames(env: Pick<EnvironmentConfig, 'sinks'>): string[] {
  const sinks = (env.sinks ?? {}) as Readonly<Record<string, unknown>>;
  return Object.keys(sinks)
    .filter((name) => sinks[name] !== undefined)
    .sort();
}
