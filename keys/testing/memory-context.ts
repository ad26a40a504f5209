/** An in-process KeysContext for unit tests: file registry in a temp folder, memory gateway and edge. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import type { KeysContext } from '../commands';
import { MemoryEdgeKeyStore } from '../edge-store-file';
import { MemoryKeyGateway } from '../memory-gateway';
import { FileRegistryStore } from '../registry-file';

export class Crash extends Error {}

export interface TestContext extends KeysContext {
  readonly gateway: MemoryKeyGateway;
  readonly edge: MemoryEdgeKeyStore;
  readonly dir: string;
  /** Makes the next command throw Crash after step n (1-based); undefined: never. */
  crashAfter(n: number | undefined): void;
  setNow(d: Date): void;
}

export function testContext(env: EnvironmentConfig = platformConfig.environments[0] as EnvironmentConfig, keyLimit?: number): TestContext {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  let now = new Date('2026-03-10T12:00:00Z');
  let crashAt: number | undefined;
  let steps = 0;
  let counter = 0;
  return {
    env,
    dir,
    registry: new FileRegistryStore(join(dir, 'registry.json')),
    gateway: new MemoryKeyGateway(env.prefix, Object.keys(env.usagePlans)),
    edge: new MemoryEdgeKeyStore(),
    now: () => now,
    generateValue: () => `test-value-${String(++counter).padStart(4, '0')}-${Math.random().toString(36).slice(2, 12)}xxxxxx`,
    keyLimit,
    step: async () => {
      steps++;
      if (crashAt !== undefined && steps >= crashAt) {
        crashAt = undefined;
        throw new Crash(`crash after step ${steps}`);
      }
    },
    crashAfter: (n) => {
      crashAt = n;
      steps = 0;
    },
    setNow: (d) => {
      now = d;
    },
  };
}
