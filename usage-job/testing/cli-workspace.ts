/** The usage CLI in process (main) over a temporary folder holding its log root, key registry and state. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliDependencies } from '../cli';
import type { Publishing } from '../publish-run';
import type { PublishRequest } from '../usage-publisher';
import { writeRegistryFile } from './registry';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs main with argv, capturing stdout and stderr. */
export async function runCliInProcess(argv: readonly string[], deps: CliDependencies = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => void (out += s),
    (s) => void (err += s),
    deps,
  );
  return { code, out, err };
}

export type WorkspaceCustomer = Parameters<typeof writeRegistryFile>[2][number];

export interface CliWorkspace {
  readonly dir: string;
  /** The log root (empty until a test writes log files into it). */
  readonly logs: string;
  readonly registry: string;
  /** `--engine duckdb --month <month> --logs … --registry … --state <dir>/<state>`. */
  duckdbArgs(month: string, state?: string): string[];
  remove(): void;
}

/** A temporary folder with an empty log root and a registry file of environment `local` with these customers. */
export function cliWorkspace(prefix: string, customers: readonly WorkspaceCustomer[]): CliWorkspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const logs = join(dir, 'logs');
  const registry = join(dir, 'registry.json');
  mkdirSync(logs);
  writeRegistryFile(registry, 'local', customers);
  return {
    dir,
    logs,
    registry,
    duckdbArgs: (month, state = 'state') => ['--engine', 'duckdb', '--month', month, '--logs', logs, '--registry', registry, '--state', join(dir, state)],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** CloudWatch stand-in for CLI tests: every publish request lands in `published`; a quota notice fails the test with `noNotice`. */
export function recordingPublishing(
  published: PublishRequest[],
  noNotice = 'no quota notice is due in this test',
): () => Promise<Pick<Publishing, 'publisher' | 'noticeSender'>> {
  return async () => ({
    publisher: {
      publish: async (request) => {
        published.push(request);
        return { metricDataPut: 0, keysPublished: 0 };
      },
    },
    noticeSender: {
      batchSize: 10,
      send: async () => {
        throw new Error(noNotice);
      },
    },
  });
}
