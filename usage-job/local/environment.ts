/**
 * The local environment as `npm start` and the usage CLI's `--env local` both see it:
 * `platformConfig.local`, with the top-level fields of LOCAL_ENVIRONMENT_FILE (a JSON object, e.g.
 * `usagePlans`, `stageThrottle`) replacing its own, validated like the config. So a customer on a
 * plan the override file declares is billed by the CLI with the same plan and quota.
 */
import { existsSync, readFileSync } from 'node:fs';
import { platformConfig } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import { platformConfigProblems } from '../../config/validate';

export class LocalEnvironmentError extends Error {}

export function localEnvironment(overrideFile: string | undefined): EnvironmentConfig {
  if (overrideFile === undefined || overrideFile === '') return platformConfig.local;
  if (!existsSync(overrideFile)) throw new LocalEnvironmentError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(overrideFile, 'utf8'));
  } catch (error) {
    throw new LocalEnvironmentError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LocalEnvironmentError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} must hold a JSON object of environment fields`);
  }
  const environment = { ...platformConfig.local, ...(parsed as Partial<EnvironmentConfig>), name: platformConfig.local.name } as EnvironmentConfig;
  const problems = platformConfigProblems({ ...platformConfig, local: environment });
  if (problems.length > 0) {
    throw new LocalEnvironmentError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} is not a valid environment: ${problems.join('; ')}`);
  }
  return environment;
}
