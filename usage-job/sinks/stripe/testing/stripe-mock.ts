/**
 * Starts stripe-mock (https://github.com/stripe/stripe-mock, Stripe's mock of its API built from
 * its OpenAPI spec: it validates request parameters and answers fixtures, keeping no state) on a
 * loopback port the system picks. .ci/run installs it into .gen/bin with `go install`; a missing
 * binary is an error, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const STRIPE_MOCK_VERSION = '0.203.0';
const BINARY = join(__dirname, '..', '..', '..', '..', '.gen', 'bin', 'stripe-mock');

export interface StripeMock {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startStripeMock(): Promise<StripeMock> {
  if (!existsSync(BINARY)) {
    throw new Error(`stripe-mock is not installed: run bash .ci/run, or GOBIN=$PWD/.gen/bin go install github.com/stripe/stripe-mock@v${STRIPE_MOCK_VERSION}`);
  }
  const child: ChildProcess = spawn(BINARY, ['-http-addr', '127.0.0.1:'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`stripe-mock did not say where it listens within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /Listening for HTTP at address: (\S+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stripe-mock exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
