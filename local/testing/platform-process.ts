/**
 * Test helper: runs `local/main.ts` (what `npm start` runs) as a child process on a free port
 * (PORT=0) with its own state folder, and stops it with a signal the way a user does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EnvironmentConfig, PricesConfig } from '../../config/types';
import type { PlanPrice } from '../../contracts/prices';
import type { LocalApiKey, SeedCustomer } from '../keys/seed';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface PlatformProcess {
  readonly url: string;
  readonly stateDir: string;
  readonly keys: LocalApiKey[];
  readonly child: ChildProcess;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const created: string[] = [];

/** A fresh folder under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every folder tempDir() made in this test file (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A one-tier price (0.5 per 1,000 requests, 0.09 per GB) for overrides that declare plans but no prices. */
const TEST_PLAN_PRICE: PlanPrice = {
  requests: { mode: 'graduated', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] },
  gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
};

/** Every plan needs a price (config/validate.ts): an override with its own plans and no prices gets TEST_PLAN_PRICE for each. */
function withPrices(environment: Partial<EnvironmentConfig>): Partial<EnvironmentConfig> {
  if (environment.usagePlans === undefined || environment.prices !== undefined) return environment;
  const prices: PricesConfig = { currency: 'USD', plans: Object.fromEntries(Object.keys(environment.usagePlans).map((plan) => [plan, TEST_PLAN_PRICE])) };
  return { ...environment, prices };
}

export interface StartProcessOptions {
  readonly stateDir?: string;
  /** Fields replacing those of the local environment (LOCAL_ENVIRONMENT_FILE); plans without prices get a test price. */
  readonly environment?: Partial<EnvironmentConfig>;
  /** The customers made on a fresh state folder (LOCAL_SEED_FILE); default: the platform's own seed. */
  readonly seed?: readonly SeedCustomer[];
  readonly env?: Record<string, string>;
  /** Command-line arguments for local/main.ts. */
  readonly args?: readonly string[];
}

export async function startPlatformProcess(options: StartProcessOptions = {}): Promise<PlatformProcess> {
  const stateDir = options.stateDir ?? tempDir('local-platform-');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', LOCAL_STATE_DIR: stateDir, ...options.env };
  if (options.environment !== undefined) {
    const file = join(stateDir, 'environment-override.json');
    writeFileSync(file, JSON.stringify(withPrices(options.environment)));
    env.LOCAL_ENVIRONMENT_FILE = file;
  }
  if (options.seed !== undefined) {
    const file = join(stateDir, 'seed.json');
    writeFileSync(file, JSON.stringify(options.seed));
    env.LOCAL_SEED_FILE = file;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => reject(new Error(`platform exited with ${code} before listening:\n${out}\n${err}`)));
  });
  const keys = JSON.parse(readFileSync(join(stateDir, 'keys.json'), 'utf8')) as LocalApiKey[];
  return {
    url,
    stateDir,
    keys,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}
