/**
 * Stopgap (branch keys-stacks): `apiKeys` left config/environments.ts, since customers are
 * registry data now. Until the local platform reads the registry (keys-runtime), it keeps seeding
 * these keys, or the ones a LOCAL_ENVIRONMENT_FILE override lists under `apiKeys`.
 */
import type { EnvironmentConfig } from '../config/types';

export interface LocalSeedKey {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
}

/** The local environment as the local platform reads it: the config plus optional seed keys. */
export type LocalEnvironment = EnvironmentConfig & { readonly apiKeys?: readonly LocalSeedKey[] };

/** What config/environments.ts listed for the local environment before keys became registry data. */
export const LOCAL_SEED_KEYS: readonly LocalSeedKey[] = [
  { id: 'acme', customer: 'Acme Corp', plan: 'pro' },
  { id: 'globex', customer: 'Globex Inc', plan: 'basic' },
];

export function localSeedKeys(environment: LocalEnvironment): readonly LocalSeedKey[] {
  return environment.apiKeys ?? LOCAL_SEED_KEYS;
}
