/**
 * Runs the smoke-test composite action's real script with bash and curl against an HTTP server on
 * 127.0.0.1 that behaves like the API behind CloudFront (200 with the right x-api-key, 403 with the
 * edge function's body otherwise). `terraform` and `aws` are replaced on PATH by small scripts
 * that print what those CLIs print for the commands the action runs; `aws s3 cp` copies a key
 * registry document (keys/registry.ts format) that the test sets.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KEY_REGISTRY_OBJECT } from '../contracts/usage-job-deployment';

const ACTION = join(__dirname, '..', '.github', 'actions', 'smoke-test', 'action.yml');
const KEY_VALUE = 'smoke-key-value-0123456789abcdef';

interface ActionFile {
  inputs: Record<string, { default?: string }>;
  runs: { steps: { run?: string }[] };
}

const action = parse(readFileSync(ACTION, 'utf8')) as ActionFile;
const script = action.runs.steps[0].run!;

let server: Server;
let baseUrl: string;
let requests: { path: string; key: string | undefined }[] = [];
/** What the fake API answers with the right key; switched by tests. */
let statusWithKey = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const key = req.headers['x-api-key'];
    requests.push({ path: req.url ?? '', key: typeof key === 'string' ? key : undefined });
    if (key === KEY_VALUE) {
      res.writeHead(statusWithKey, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: string;
  readonly tempLeft: string[];
}

const REGISTRY_BUCKET = 'ubb-dev-key-registry-111111111111';

/** A registry whose customers each have one key in `state` (default active) with the given API Gateway id. */
function registry(apiKeyIds: Record<string, string>, state = 'active'): object {
  const customers = Object.fromEntries(
    Object.entries(apiKeyIds).map(([id, apiKeyId]) => [
      id,
      { id, customer: id, plan: 'basic', keys: [{ fingerprint: '0123456789abcdef', apiKeyId, apiKeyName: `ubb-dev-${id}`, state }] },
    ]),
  );
  return { format: 1, environment: 'dev', revision: 3, customers };
}

async function runSmoke(registryDoc: object, env: Record<string, string> = {}): Promise<Run> {
  const keyIds = Object.fromEntries(
    Object.entries((registryDoc as { customers: Record<string, { keys: { apiKeyId: string }[] }> }).customers).map(([id, c]) => [id, c.keys[0].apiKeyId]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'smoke-'));
  const bin = join(dir, 'bin');
  const runnerTemp = join(dir, 'runner-temp');
  const summary = join(dir, 'summary.md');
  try {
    mkdirSync(bin);
    mkdirSync(runnerTemp);
    writeFileSync(summary, '');
    const fake = (name: string, body: string): void => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    writeFileSync(join(dir, 'registry.json'), JSON.stringify(registryDoc));
    fake(
      'terraform',
      `case "$*" in
  *"output -raw cloudfront_domain") printf '%s' '${baseUrl}' ;;
  *"output -raw key_registry_bucket") printf '%s' '${REGISTRY_BUCKET}' ;;
  *) echo "unexpected terraform $*" >&2; exit 1 ;;
esac`,
    );
    fake(
      'aws',
      `if [ "$1 $2" = "s3 cp" ]; then
  [ "$4" = "s3://${REGISTRY_BUCKET}/${KEY_REGISTRY_OBJECT}" ] || { echo "wrong registry object $4" >&2; exit 1; }
  # What the AWS CLI prints for a missing object and for a refused read.
  if [ -n "\${FAKE_REGISTRY_MISSING:-}" ]; then echo 'fatal error: An error occurred (404) when calling the HeadObject operation: Key "${KEY_REGISTRY_OBJECT}" does not exist' >&2; exit 1; fi
  if [ -n "\${FAKE_REGISTRY_DENIED:-}" ]; then echo 'fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden' >&2; exit 1; fi
  cp '${join(dir, 'registry.json')}' "$5"; exit 0
fi
[ "$1 $2" = "apigateway get-api-key" ] || { echo "unexpected aws $*" >&2; exit 1; }
[[ " $* " == *" --include-value "* ]] || { echo "no --include-value" >&2; exit 1; }
[[ " $* " == *" --api-key ${keyIds['smoke-test'] ?? 'none'} "* ]] || { echo "wrong key id" >&2; exit 1; }
printf '%s\\n' '${KEY_VALUE}'`,
    );
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: dir,
        RUNNER_TEMP: runnerTemp,
        GITHUB_STEP_SUMMARY: summary,
        STACK_DIR: 'cdktf.out/stacks/billing-dev',
        AWS_REGION: 'eu-west-1',
        SMOKE_PATH: action.inputs.path.default!,
        SMOKE_CUSTOMER: action.inputs.customer.default!,
        REGISTRY_OBJECT: action.inputs['registry-object'].default!,
        ATTEMPTS: '2',
        RETRY_SECONDS: '0',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr, summary: readFileSync(summary, 'utf8'), tempLeft: readdirSync(runnerTemp) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Output lines that would reach the log: everything except the ::add-mask:: command itself. */
function visibleLines(run: Run): string[] {
  return `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::'));
}

beforeEach(() => {
  requests = [];
  statusWithKey = 200;
});

test('passes when the key gets 200 and no key gets 403, and never prints the key', async () => {
  const run = await runSmoke(registry({ acme: 'id-acme', 'smoke-test': 'id-smoke' }));
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${KEY_VALUE}`);
  expect(visibleLines(run).join('\n')).not.toContain(KEY_VALUE);
  expect(run.summary).toContain('Smoke test passed');
  expect(requests).toEqual([
    { path: '/example', key: KEY_VALUE },
    { path: '/example', key: undefined },
  ]);
  expect(run.tempLeft).toEqual([]); // the header file holding the key is removed
});

test('fails visibly, after the configured attempts, when the key is refused', async () => {
  statusWithKey = 403;
  const run = await runSmoke(registry({ 'smoke-test': 'id-smoke' }), { ATTEMPTS: '3' });
  expect(run.code).toBe(1);
  expect(requests).toHaveLength(6);
  expect(run.stdout).toContain('::error::Smoke test failed on');
  expect(run.stdout).toContain('got 403 and 403');
  expect(visibleLines(run).join('\n')).not.toContain(KEY_VALUE);
  expect(run.summary).toBe('');
});

test('fails with a clear message when the smoke-test customer has no active key', async () => {
  const run = await runSmoke(registry({ 'smoke-test': 'id-smoke' }, 'revoked'));
  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`::error::Customer 'smoke-test' has no active key in s3://${REGISTRY_BUCKET}/${KEY_REGISTRY_OBJECT} (revoked?)`);
  expect(requests).toHaveLength(0);
  expect(run.tempLeft).toEqual([]); // the registry copy is removed too
});

test('before the smoke-test customer exists (first apply), checks only the keyless request and says so', async () => {
  for (const doc of [registry({ acme: 'id-acme' }), undefined]) {
    requests = [];
    const run = await runSmoke(doc ?? registry({}), doc === undefined ? { FAKE_REGISTRY_MISSING: '1' } : {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('::warning::');
    expect(run.stdout).toContain('npm run --silent keys -- create --customer "Platform smoke test" --plan basic --id smoke-test');
    expect(run.summary).toContain('Smoke test partly run');
    expect(requests).toEqual([{ path: '/example', key: undefined }]);
  }
});

test('a registry it cannot read (not a missing object) fails the step', async () => {
  const run = await runSmoke(registry({ 'smoke-test': 'id-smoke' }), { FAKE_REGISTRY_DENIED: '1' });
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('::error::Cannot read the key registry');
  expect(run.stdout).toContain('(403)');
  expect(requests).toHaveLength(0);
});

test('reads the registry object the contract names', () => {
  expect(action.inputs['registry-object'].default).toBe(KEY_REGISTRY_OBJECT);
});
