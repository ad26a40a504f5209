/**
 * Settings of the local platform (`npm start`): the `local` environment from
 * config/environments.ts, optionally overridden for tests and experiments, plus where state
 * lives and how often logs are flushed and usage recomputed.
 *
 * Environment variables:
 *   PORT                     port on 127.0.0.1 (default 3000; 0 picks a free port)
 *   LOCAL_STATE_DIR          state folder: keys.json, quota.json, logs/, usage/ (default .local)
 *   LOCAL_ENVIRONMENT_FILE   JSON file whose top-level fields replace those of the local
 *                            environment (e.g. usagePlans, apiKeys, stageThrottle); validated
 *   LOCAL_FLUSH_MS           log buffer flush interval (default 2000)
 *   LOCAL_USAGE_MS           usage job interval (default 5000)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { platformConfig } from '../config/environments';
import type { LocalEnvironment } from './seed-keys';
import { platformConfigProblems } from '../config/validate';

export interface LocalSettings {
  readonly environment: LocalEnvironment;
  readonly port: number;
  readonly stateDir: string;
  readonly flushIntervalMs: number;
  readonly usageIntervalMs: number;
  /** AWS-compatible CloudWatch endpoint the usage metrics are published to, if any. */
  readonly cloudwatchEndpoint: string | undefined;
}

/** Thrown for bad settings; main prints the message alone and exits 2. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const USAGE = `usage: npm start [-- --cloudwatch-endpoint URL]
  serves the local platform on http://127.0.0.1:$PORT (default 3000); see local/README.md`;

export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): LocalSettings | 'help' {
  let cloudwatchEndpoint: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--cloudwatch-endpoint' || arg.startsWith('--cloudwatch-endpoint=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || !/^https?:\/\/[^\s]+$/.test(value)) {
        throw new SettingsError(`--cloudwatch-endpoint needs an http(s) URL, got ${JSON.stringify(value ?? '')}\n${USAGE}`);
      }
      cloudwatchEndpoint = value;
      continue;
    }
    throw new SettingsError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return {
    environment: localEnvironment(env.LOCAL_ENVIRONMENT_FILE),
    port: integerSetting(env, 'PORT', 3000, 0, 65535),
    stateDir: resolve(env.LOCAL_STATE_DIR && env.LOCAL_STATE_DIR !== '' ? env.LOCAL_STATE_DIR : '.local'),
    flushIntervalMs: integerSetting(env, 'LOCAL_FLUSH_MS', 2000, 50, 60_000),
    usageIntervalMs: integerSetting(env, 'LOCAL_USAGE_MS', 5000, 200, 600_000),
    cloudwatchEndpoint,
  };
}

export const HELP = USAGE;

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The local environment, with the override file's top-level fields applied and validated. */
export function localEnvironment(overrideFile: string | undefined): LocalEnvironment {
  if (overrideFile === undefined || overrideFile === '') return platformConfig.local;
  if (!existsSync(overrideFile)) throw new SettingsError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(overrideFile, 'utf8'));
  } catch (error) {
    throw new SettingsError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} must hold a JSON object of environment fields`);
  }
  const environment = { ...platformConfig.local, ...(parsed as Partial<LocalEnvironment>), name: platformConfig.local.name };
  const problems = platformConfigProblems({ ...platformConfig, local: environment });
  if (problems.length > 0) {
    throw new SettingsError(`LOCAL_ENVIRONMENT_FILE ${overrideFile} is not a valid environment: ${problems.join('; ')}`);
  }
  return environment;
}
