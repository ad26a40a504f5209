/**
 * What the GitHub Actions runner does to a step's process when a run is cancelled or a job times
 * out, to its output pipes when it exits, and to the job's leftover processes when the job ends, for
 * tests of apply steps (actions/runner src/Runner.Sdk/ProcessInvoker.cs):
 *
 * - cancel: SIGINT to the step's process, up to 7.5 s for it to exit, SIGTERM, up to 2.5 s, then
 *   that process is killed (`_sigintTimeout = 7500 ms`, `_sigtermTimeout = 2500 ms`,
 *   CancelAndKillProcessTree; on Linux NixKillProcessTree is `_proc.Kill()`: the step's process
 *   only, not its children);
 * - exit: when the step's process has exited while its stdout/stderr are still open (held by a
 *   child), the runner waits 5 s, then stops reading them and disposes the process, closing the
 *   read ends (ProcessExitedHandler): a child that writes to them afterwards gets EPIPE/SIGPIPE;
 * - job end: "Cleaning up orphan processes" kills every process whose environment carries the job's
 *   RUNNER_TRACKING_ID (actions/runner src/Runner.Worker/JobExtension.cs).
 *
 * Linux only (reads /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const SIGINT_TIMEOUT_MS = 7_500;
export const SIGTERM_TIMEOUT_MS = 2_500;
/** How long the runner keeps reading a step's output pipes after the step's process exited. */
export const STREAMS_AFTER_EXIT_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface StepProcess {
  readonly child: ChildProcess;
  /** Everything the step printed so far. */
  output(): string;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  readonly exited: Promise<number>;
  /** Resolves when the runner stops reading the step's output: both pipes closed by their writers, or closed by the runner 5 s after the exit. */
  readonly outputClosed: Promise<'closed-by-writers' | 'closed-by-runner'>;
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
  const ended = (stream: NodeJS.ReadableStream | null): Promise<void> => new Promise((resolve) => (stream ? stream.once('close', () => resolve()) : resolve()));
  const streamsEnded = Promise.all([ended(child.stdout), ended(child.stderr)]).then(() => 'closed-by-writers' as const);
  const outputClosed = exited.then(
    () =>
      new Promise<'closed-by-writers' | 'closed-by-runner'>((resolve) => {
        const timer = setTimeout(() => {
          // Closing the read ends: the next write of a process still holding them fails (EPIPE, SIGPIPE).
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve('closed-by-runner');
        }, STREAMS_AFTER_EXIT_MS);
        void streamsEnded.then(() => {
          clearTimeout(timer);
          resolve('closed-by-writers');
        });
      }),
  );
  return { child, output: () => out, exited, outputClosed };
}

async function exitsWithin(step: StepProcess, ms: number): Promise<boolean> {
  return Promise.race([step.exited.then(() => true), sleep(ms).then(() => false)]);
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Cancels the step the way the runner does; resolves with what ended it. */
export async function cancelLikeRunner(step: StepProcess): Promise<'sigint' | 'sigterm' | 'killed'> {
  const pid = step.child.pid;
  if (pid === undefined) throw new Error('step has no pid');
  kill(pid, 'SIGINT');
  if (await exitsWithin(step, SIGINT_TIMEOUT_MS)) return 'sigint';
  kill(pid, 'SIGTERM');
  if (await exitsWithin(step, SIGTERM_TIMEOUT_MS)) return 'sigterm';
  kill(pid, 'SIGKILL');
  await step.exited;
  return 'killed';
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
