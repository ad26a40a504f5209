/**
 * Settings of the local platform (`npm start`): the `local` environment from
 * config/environments.ts, optionally overridden for tests and experiments, plus where state
 * lives and how often logs are flushed and usage recomputed.
 *
 * Environment variables:
 *   PORT                     port on 127.0.0.1 (default 3000; 0 picks a free port)
 *   LOCAL_STATE_DIR          state folder: registry.json, api-gateway-keys.json, edge-keys.json,
 *                            keys.json, quota.json, logs/, usage-state/ (default .local)
 *   LOCAL_ENVIRONMENT_FILE   JSON file whose top-level fields replace those of the local
 *                            environment (e.g. usagePlans, stageThrottle); validated
 *   LOCAL_SEED_FILE          JSON array of { id, customer, plan }: the customers made on a fresh
 *                            state folder (default: acme on pro, globex on basic)
 *   LOCAL_FLUSH_MS           log buffer flush interval (default 2000)
 *   LOCAL_USAGE_MS           usage job interval (default 5000)
 */
import { resolve } from 'node:path';
import type { EnvironmentConfig } from '../config/types';
import { localEnvironment as sharedLocalEnvironment, LocalEnvironmentError } from '../usage-job/local/environment';
import { DEFAULT_SEED, readSeedFile, type SeedCustomer } from './keys/seed';

export interface LocalSettings {
  readonly environment: EnvironmentConfig;
  /** Customers created (through the keys CLI's create) when the registry lacks them. */
  readonly seed: readonly SeedCustomer[];
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
  const environment = localEnvironment(env.LOCAL_ENVIRONMENT_FILE);
  let seed: readonly SeedCustomer[] = DEFAULT_SEED;
  if (env.LOCAL_SEED_FILE !== undefined && env.LOCAL_SEED_FILE !== '') {
    try {
      seed = readSeedFile(env.LOCAL_SEED_FILE, environment);
    } catch (error) {
      throw new SettingsError((error as Error).message);
    }
  }
  return {
    environment,
    seed,
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

/** The local environment, with the override file's top-level fields applied and validated (usage-job/local/environment.ts). */
export function localEnvironment(overrideFile: string | undefined): EnvironmentConfig {
  try {
    return sharedLocalEnvironment(overrideFile);
  } catch (error) {
    if (error instanceof LocalEnvironmentError) throw new SettingsError(error.message);
    throw error;
  }
}
