/** Runs the usage CLI in a child process the way `npm run --silent usage -- …` does (tsx on cli.ts). */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'usage-job', 'cli.ts');

export interface UsageCliRun {
  /** Exit code; -1 when the process ended without one (killed by a signal). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cwd` defaults to the repository root, `env` to this process's environment. */
export function runUsageCli(args: readonly string[], options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): Promise<UsageCliRun> {
  return new Promise((done) => {
    execFile(TSX, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, encoding: 'utf8' }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}
