/**
 * Sizing tests, benchmarks and the cost table: the shipped configuration with one environment's
 * monitoring options changed. Customers are not configuration (they are registry data, docs/keys.md),
 * so a fleet of customers changes nothing the stacks read; bench/fleet.ts writes such fleets.
 */
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';

export function withMonitoring(config: PlatformConfig, environment: string, monitoring: Partial<EnvironmentConfig['monitoring']>): PlatformConfig {
  const apply = (env: EnvironmentConfig): EnvironmentConfig => (env.name !== environment ? env : { ...env, monitoring: { ...env.monitoring, ...monitoring } });
  return { ...config, environments: config.environments.map(apply) };
}
