/**
 * Builds every stack of the platform into one CDKTF App (one process, one pass):
 * a bootstrap stack per AWS account and a billing stack per environment. `local` is emulated by
 * `npm start`, never synthesized.
 */
import type { App } from 'cdktf';
import type { EnvironmentConfig, PlatformConfig } from '../config/types';
import { validatePlatformConfig } from '../config/validate';
import type { BackendKind } from './shared/backend';
import { BillingStack } from './billing/billing-stack';
import { BootstrapStack } from './bootstrap/bootstrap-stack';
import { billingStackName, bootstrapStackName } from './stack-names';

export interface BuildOptions {
  /** Backend of every stack: S3 with native locking, or local (tests, the tooling bootstrap on day one). */
  readonly backend: BackendKind;
}

export function buildPlatform(app: App, config: PlatformConfig, options: BuildOptions): void {
  validatePlatformConfig(config);

  const byAccount = new Map<string, EnvironmentConfig[]>([[config.bootstrap.accountId, []]]);
  for (const env of config.environments) byAccount.set(env.accountId, [...(byAccount.get(env.accountId) ?? []), env]);
  for (const [accountId, environments] of byAccount) {
    new BootstrapStack(app, bootstrapStackName(accountId, config.bootstrap.accountId), { config, accountId, environments, backend: options.backend });
  }
  for (const env of config.environments) {
    new BillingStack(app, billingStackName(env.name), { config, env, backend: options.backend });
  }
}
