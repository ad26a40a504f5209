/**
 * moto in server mode for tests: one server per test file, on 127.0.0.1 and a free port.
 *
 *   const moto = useMotoServer();            // registers beforeAll/afterAll
 *   new S3Client({ ...moto.clientConfig(), forcePathStyle: true });
 *
 * The server binary comes from the project's virtual environment (`.venv/bin/moto_server`,
 * installed by `.ci/run` from requirements-dev.txt). If it is missing the tests fail with a
 * message that says how to install it: they never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const MOTO_SERVER_BIN = join(__dirname, '..', '.venv', 'bin', 'moto_server');
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

/** Fake credentials moto accepts; never real ones. */
export const FAKE_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface AwsTestClientConfig {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Columns and rows of one Athena result set, as moto's results queue takes them. */
export interface SeededAthenaResult {
  readonly rows: ReadonlyArray<{ readonly Data: ReadonlyArray<{ readonly VarCharValue?: string }> }>;
  readonly column_info?: ReadonlyArray<{ readonly Name: string; readonly Type: string }>;
}

/** moto's state manager: how a model's status advances (see moto docs, "State Transitions"). */
export type MotoTransition =
  | { readonly progression: 'immediate' }
  | { readonly progression: 'manual'; readonly times: number }
  | { readonly progression: 'time'; readonly seconds: number };

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  clientConfig(region?: string): AwsTestClientConfig;
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Queue results that the next Athena executions return (POST /moto-api/static/athena/query-results). */
  seedAthenaResults(results: readonly SeededAthenaResult[], region?: string, accountId?: string): Promise<void>;
  /** Configure how a model (e.g. 'athena::execution') advances its status. */
  setTransition(modelName: string, transition: MotoTransition): Promise<void>;
  unsetTransition(modelName: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

async function postJson(url: string, body: unknown, expected: number[]): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!expected.includes(response.status)) {
    throw new Error(`moto ${url} answered ${response.status}: ${await response.text()}`);
  }
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode} before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

export interface MotoServerOptions {
  /** Extra environment of the server process, e.g. MOTO_ACCOUNT_ID or MOTO_IAM_LOAD_MANAGED_POLICIES. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts moto_server on 127.0.0.1 and a free port and resolves once it answers. */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER_BIN)) {
    throw new Error(
      `moto server not found at ${MOTO_SERVER_BIN}. Install the Python test tools with ` +
        '`python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt` (or run `bash .ci/run`).',
    );
  }
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(MOTO_SERVER_BIN, ['-H', HOST, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey, ...options.env },
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilReady(endpoint, child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoint,
    port,
    clientConfig: (region = 'us-east-1') => ({ region, endpoint, credentials: { ...FAKE_CREDENTIALS } }),
    reset: () => postJson(`${endpoint}/moto-api/reset`, {}, [200]),
    seedAthenaResults: (results, region = 'us-east-1', accountId = '123456789012') =>
      postJson(`${endpoint}/moto-api/static/athena/query-results`, { account_id: accountId, region, results }, [201]),
    setTransition: (modelName, transition) => postJson(`${endpoint}/moto-api/state-manager/set-transition`, { model_name: modelName, transition }, [201]),
    unsetTransition: (modelName) => postJson(`${endpoint}/moto-api/state-manager/unset-transition`, { model_name: modelName }, [201]),
    stop,
  };
}

/**
 * Registers beforeAll/afterAll that start and stop one moto server for the calling test file.
 * The returned handle's properties are available inside tests (after beforeAll ran).
 */
export function useMotoServer(): MotoServer {
  let server: MotoServer | undefined;
  const current = (): MotoServer => {
    if (server === undefined) throw new Error('moto server is not running: use it inside a test, after beforeAll');
    return server;
  };
  beforeAll(async () => {
    server = await startMotoServer();
  }, READY_TIMEOUT_MS + 10_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get endpoint() {
      return current().endpoint;
    },
    get port() {
      return current().port;
    },
    clientConfig: (region) => current().clientConfig(region),
    reset: () => current().reset(),
    seedAthenaResults: (results, region, accountId) => current().seedAthenaResults(results, region, accountId),
    setTransition: (modelName, transition) => current().setTransition(modelName, transition),
    unsetTransition: (modelName) => current().unsetTransition(modelName),
    stop: () => current().stop(),
  };
}
