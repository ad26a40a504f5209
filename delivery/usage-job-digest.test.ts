/**
 * delivery/usage-job-digest.sh against a stand-in of GitHub's commit-status API: the apply records
 * the usage-job bundle's digest for an environment; the usage job refuses a bundle with another
 * digest, and a commit whose apply has not reached the environment.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'usage-job-digest.sh');
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

interface Status {
  state: string;
  context: string;
  description: string;
}
let statuses: Map<string, Status[]>;
/** main's commits, newest first. */
let history: string[];
/** Commits whose statuses call fails (500). */
let failing: Set<string>;
let server: Server;
let api: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const post = /^\/repos\/acme\/billing\/statuses\/(\w+)$/.exec(req.url ?? '');
    const get = /^\/repos\/acme\/billing\/commits\/(\w+)\/statuses\?per_page=100$/.exec(req.url ?? '');
    if (req.headers.authorization !== 'Bearer t0ken') {
      res.writeHead(401).end('{}');
    } else if (req.method === 'GET' && req.url === '/repos/acme/billing/commits?sha=main&per_page=100') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(history.map((sha) => ({ sha }))));
    } else if (req.method === 'GET' && get && failing.has(get[1])) {
      res.writeHead(500).end('{}');
    } else if (req.method === 'POST' && post) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // Newest first, as GitHub lists them.
        statuses.set(post[1], [JSON.parse(body) as Status, ...(statuses.get(post[1]) ?? [])]);
        res.writeHead(201).end('{}');
      });
    } else if (req.method === 'GET' && get) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statuses.get(get[1]) ?? []));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  statuses = new Map();
  history = [];
  failing = new Set();
});

function run(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return runAt(SHA, ...args);
}

function runAt(sha: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], {
      env: { PATH: process.env.PATH ?? '', GH_TOKEN: 't0ken', GITHUB_REPOSITORY: 'acme/billing', GITHUB_SHA: sha, GITHUB_API_URL: api },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('the apply records the digest per environment, and the usage job accepts exactly that bundle', async () => {
  expect(await run('record', 'prod', A)).toMatchObject({ code: 0 });
  expect(statuses.get(SHA)).toEqual([{ state: 'success', context: 'usage-job/prod', description: `sha256:${A}` }]);
  expect(await run('check', 'prod', A)).toMatchObject({ code: 0, out: `Usage-job bundle sha256:${A} is the one the apply recorded for prod.\n` });
});

test('another digest is refused, and so is a commit whose apply has not reached the environment', async () => {
  await run('record', 'dev', A);
  const other = await run('check', 'dev', B);
  expect(other.code).toBe(1);
  expect(other.err).toContain(`has sha256:${B}, but the apply of commit abcdef012345 recorded sha256:${A}`);
  const notYet = await run('check', 'prod', A);
  expect(notYet.code).toBe(1);
  expect(notYet.err).toContain('no apply has recorded a usage-job bundle for prod at commit abcdef012345');
});

test('the newest record counts, and a malformed digest is refused before any call', async () => {
  await run('record', 'dev', A);
  await run('record', 'dev', B);
  expect((await run('check', 'dev', B)).code).toBe(0);
  expect((await run('check', 'dev', A)).code).toBe(1);
  const bad = await run('check', 'dev', 'not-a-digest');
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("'not-a-digest' is not the sha256 of a usage-job bundle");
  expect((await run('record', 'dev')).code).toBe(2);
});

test('deployed: the newest commit of main the environment applied; a merge waiting for prod leaves prod at its commit', async () => {
  const [older, deployedBoth, waiting] = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40)];
  history = [waiting, deployedBoth, older];
  await runAt(older, 'record', 'prod', A);
  await runAt(deployedBoth, 'record', 'dev', A);
  await runAt(deployedBoth, 'record', 'prod', A);
  await runAt(waiting, 'record', 'dev', B); // dev applied the merge; prod waits for approval
  expect(await run('deployed', 'dev')).toMatchObject({ code: 0, out: `${waiting}\n` });
  expect(await run('deployed', 'prod')).toMatchObject({ code: 0, out: `${deployedBoth}\n` });
  // The usage job checks the bundle it built from prod's commit against that commit's record.
  expect(await run('check', 'prod', A, deployedBoth)).toMatchObject({ code: 0 });
  expect((await run('check', 'prod', B, waiting)).code).toBe(1);
  expect((await run('check', 'prod', A, 'not-a-commit')).err).toContain("'not-a-commit' is not a commit sha");
});

test('deployed: refused when no apply reached the environment, and when GitHub fails rather than reading a failure as "not deployed"', async () => {
  const [newest, older] = ['4'.repeat(40), '5'.repeat(40)];
  history = [newest, older];
  const none = await run('deployed', 'prod');
  expect(none.code).toBe(1);
  expect(none.err).toContain('none of the newest 100 commits of main has a usage-job bundle recorded for prod');
  await runAt(newest, 'record', 'prod', A);
  await runAt(older, 'record', 'prod', B);
  failing.add(newest);
  const failed = await run('deployed', 'prod');
  expect(failed.code).not.toBe(0);
  expect(failed.out).toBe('');
});

// Review finding (High): an empty prod plan let a changed usage-job bundle into prod without approval.
test('changed: false only when the commit the environment is at recorded this very bundle', async () => {
  const [waiting, deployed] = ['6'.repeat(40), '7'.repeat(40)];
  history = [waiting, deployed];
  await runAt(deployed, 'record', 'prod', A);
  await runAt(waiting, 'record', 'dev', B); // dev runs B; prod still runs A
  expect(await run('changed', 'prod', A)).toMatchObject({ code: 0, out: `changed=false\ndeployed=${deployed}\n` });
  expect(await run('changed', 'prod', B)).toMatchObject({ code: 0, out: `changed=true\ndeployed=${deployed}\n` });
  expect(await run('changed', 'dev', B)).toMatchObject({ code: 0, out: `changed=false\ndeployed=${waiting}\n` });
});

test('changed: true when no apply reached the environment; a failed call or a malformed digest is an error, never a guess', async () => {
  const [newest, older] = ['8'.repeat(40), '9'.repeat(40)];
  history = [newest, older];
  expect(await run('changed', 'prod', A)).toMatchObject({ code: 0, out: 'changed=true\ndeployed=none\n' });
  await runAt(older, 'record', 'prod', A);
  failing.add(newest);
  const failed = await run('changed', 'prod', A);
  expect(failed.code).not.toBe(0);
  expect(failed.out).toBe('');
  const bad = await run('changed', 'prod', 'sha256:abc');
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("'sha256:abc' is not the sha256 of a usage-job bundle");
});
