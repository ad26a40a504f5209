/**
 * What the GitHub Actions runner does to a step's process when a run is cancelled or a step times
 * out, and to the job's leftover processes when the job ends, for tests of apply steps:
 *
 * - cancel: SIGINT to the step's process, up to 7.5 s for it to exit, SIGTERM, up to 2.5 s, then the
 *   whole process tree is killed (actions/runner src/Runner.Sdk/ProcessInvoker.cs:
 *   `_sigintTimeout = 7500 ms`, `_sigtermTimeout = 2500 ms`, CancelAndKillProcessTree);
 * - job end: "Cleaning up orphan processes" kills every process whose environment carries the job's
 *   RUNNER_TRACKING_ID (actions/runner src/Runner.Worker/JobExtension.cs).
 *
 * Linux only (reads /proc).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const SIGINT_TIMEOUT_MS = 7_500;
export const SIGTERM_TIMEOUT_MS = 2_500;

export interface StepProcess {
  readonly child: ChildProcess;
  /** Everything the step printed so far. */
  output(): string;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  readonly exited: Promise<number>;
}

/** Starts a `run:` script as the runner does, marked with the job's tracking id. */
export function startStep(script: string, cwd: string, env: Readonly<Record<string, string>>, trackingId: string): StepProcess {
  const child = spawn('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script], { cwd, env: { ...env, RUNNER_TRACKING_ID: trackingId } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 0)));
  });
  return { child, output: () => out, exited };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function exitsWithin(step: StepProcess, ms: number): Promise<boolean> {
  return Promise.race([step.exited.then(() => true), sleep(ms).then(() => false)]);
}

function descendants(pid: number): number[] {
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Cancels the step the way the runner does; resolves with what ended it. */
export async function cancelLikeRunner(step: StepProcess): Promise<'sigint' | 'sigterm' | 'tree-killed'> {
  const pid = step.child.pid;
  if (pid === undefined) throw new Error('step has no pid');
  kill(pid, 'SIGINT');
  if (await exitsWithin(step, SIGINT_TIMEOUT_MS)) return 'sigint';
  kill(pid, 'SIGTERM');
  if (await exitsWithin(step, SIGTERM_TIMEOUT_MS)) return 'sigterm';
  for (const p of [pid, ...descendants(pid)]) kill(p, 'SIGKILL');
  await step.exited;
  return 'tree-killed';
}

/** Pids of the processes that carry the job's tracking id. */
export function trackedProcesses(trackingId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`RUNNER_TRACKING_ID=${trackingId}`)) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids;
}

/** The runner's end-of-job orphan cleanup: kills every process of the job still running. */
export function cleanUpOrphans(trackingId: string): number[] {
  const pids = trackedProcesses(trackingId);
  for (const pid of pids) kill(pid, 'SIGKILL');
  return pids;
}

/** Waits until `condition` holds, polling; throws after `ms`. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 100) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
