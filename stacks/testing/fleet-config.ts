/** The shipped configuration with one environment's keys replaced by `n` generated keys (sizing tests, benchmarks, the cost table). */
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';

export function withKeys(config: PlatformConfig, n: number, environment = 'prod', monitoring?: Partial<EnvironmentConfig['monitoring']>): PlatformConfig {
  const fleet = (env: EnvironmentConfig): EnvironmentConfig =>
    env.name !== environment
      ? env
      : {
          ...env,
          monitoring: { ...env.monitoring, ...monitoring },
          apiKeys: Array.from({ length: n }, (_, i) => ({
            id: `customer-${String(i).padStart(5, '0')}`,
            customer: `Customer ${i}`,
            plan: i % 2 ? 'pro' : 'basic',
          })),
        };
  return { ...config, environments: config.environments.map(fleet) };
}
