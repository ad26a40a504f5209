/**
 * End to end: `local/main.ts` as a child process, real HTTP, the real edge function, handlers,
 * Parquet logs and usage job. Every response is tallied by the client per key (from its status);
 * the platform's /_usage.json, the usage CLI over the log folder after a SIGTERM, and the log
 * records themselves must agree with those tallies exactly.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { readLogRecords } from './testing/log-files';
import { removeTempDirs, REPO_ROOT, startPlatformProcess, tempDir, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(120_000);

interface Tally {
  requests: number;
  rejected: number;
  errors: number;
  /** Every response, whatever its status (000 included). */
  total: number;
}
type Party = 'acme' | 'globex' | 'initech' | 'unattributed';

const tallies: Record<Party, Tally> = {
  acme: { requests: 0, rejected: 0, errors: 0, total: 0 },
  globex: { requests: 0, rejected: 0, errors: 0, total: 0 },
  initech: { requests: 0, rejected: 0, errors: 0, total: 0 },
  unattributed: { requests: 0, rejected: 0, errors: 0, total: 0 },
};
let responses = 0;

function tally(party: Party, status: number): void {
  responses += 1;
  const t = tallies[party];
  t.total += 1;
  if (status >= 200 && status < 400) t.requests += 1;
  else if (status >= 400 && status < 500) t.rejected += 1;
  else if (status >= 500) t.errors += 1;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
  cfId: string | null;
}

let platform: PlatformProcess;
const keyOf = (id: string) => platform.keys.find((k) => k.id === id)!.value;
/** The API Gateway id of a customer's key, as the keys CLI recorded it in the registry (what the handler sees). */
const apiKeyIdOf = (id: string): string =>
  (JSON.parse(readFileSync(join(platform.stateDir, 'registry.json'), 'utf8')) as { customers: Record<string, { keys: { apiKeyId: string }[] }> }).customers[id]
    .keys[0].apiKeyId;

async function call(party: Party, path: string, init: { method?: string; key?: string; body?: string; contentType?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (init.key !== undefined) headers['x-api-key'] = init.key;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  const res = await fetch(platform.url + path, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  tally(party, res.status);
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, cfId: res.headers.get('x-amz-cf-id') };
}

const UNKNOWN_KEY = 'unknownKeyValue0000000000000000000000000';

beforeAll(async () => {
  platform = await startPlatformProcess({
    environment: {
      usagePlans: {
        roomy: { monthlyQuota: 100_000, rateLimit: 1000, burstLimit: 1000 },
        small: { monthlyQuota: 20, rateLimit: 1000, burstLimit: 1000 },
        tight: { monthlyQuota: 100_000, rateLimit: 1, burstLimit: 5 },
      },
      stageThrottle: { rateLimit: 10_000, burstLimit: 10_000 },
    },
    seed: [
      { id: 'acme', customer: 'Acme Corp', plan: 'roomy' },
      { id: 'globex', customer: 'Globex Inc', plan: 'small' },
      { id: 'initech', customer: 'Initech', plan: 'tight' },
    ],
    env: { LOCAL_FLUSH_MS: '500', LOCAL_USAGE_MS: '500' },
  });
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop('SIGKILL');
  removeTempDirs();
});

test('npm start prints curl commands that work as printed', async () => {
  const out = platform.stdout();
  const curls = out.split('\n').filter((l) => l.trim().startsWith('curl '));
  expect(curls).toHaveLength(2);
  expect(curls[0]).toContain(`${platform.url}/example`);
  expect(curls[0]).toContain(keyOf('acme'));
  for (const line of curls) {
    const stdout = execFileSync('bash', ['-c', line.trim()], { encoding: 'utf8' });
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(body.apiKeyId).toBe(apiKeyIdOf('acme'));
    tally('acme', 200);
  }
});

test('two keys, an unknown key, no key, a forged fingerprint, bad JSON, the quota and the throttle', async () => {
  for (let i = 0; i < 12; i++) {
    const r = await call('acme', '/example', { key: keyOf('acme') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ message: 'Example endpoint response', apiKeyId: apiKeyIdOf('acme') });
  }
  for (let i = 0; i < 5; i++) {
    const r = await call('acme', '/data', { method: 'POST', key: keyOf('acme'), body: JSON.stringify({ n: i }), contentType: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ apiKeyId: apiKeyIdOf('acme'), dataReceived: { n: i } });
  }
  // Bad JSON: the handler's 400 is a rejected request of the key that sent it.
  const bad = await call('acme', '/data', { method: 'POST', key: keyOf('acme'), body: '{"n":', contentType: 'application/json' });
  expect(bad.status).toBe(400);
  expect(bad.body).toEqual({ message: 'Request body is not valid JSON' });
  // Over API Gateway's 10 MB payload limit: 413 before any handler, the key's rejected request.
  const huge = await call('acme', '/data', { method: 'POST', key: keyOf('acme'), body: 'x'.repeat(10 * 1024 * 1024 + 1), contentType: 'application/json' });
  expect(huge).toMatchObject({ status: 413, body: { message: 'Request Too Long' } });
  // A route the API does not have: API Gateway's 403, attributed (the edge logged the fingerprint).
  const missing = await call('acme', '/nope', { key: keyOf('acme') });
  expect(missing).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });

  // Another customer's fingerprint in the query with a valid key: forwarded as sent, but the edge
  // logs acme's own fingerprint, so the request is acme's and never globex's.
  const globexFp = apiKeyFingerprint(keyOf('globex'));
  for (const query of [`?apikey_fp=${globexFp}`, `?APIKEY_FP=${globexFp}&x=1&apikey_fp=${globexFp}`]) {
    const r = await call('acme', `/example${query}`, { key: keyOf('acme') });
    expect(r.status).toBe(200);
    expect(r.body.apiKeyId).toBe(apiKeyIdOf('acme'));
  }
  // Forged fingerprint without a key: the edge's 403, unattributed (never globex's).
  const forged = await call('unattributed', `/example?apikey_fp=${globexFp}`);
  expect(forged).toMatchObject({ status: 403, body: { message: 'Forbidden' } });

  // Unknown (well-formed) key: the edge's 403 (no store entry), fingerprint logged. No key /
  // malformed key: the edge's 403, nothing logged.
  for (let i = 0; i < 3; i++) expect((await call('unattributed', '/example', { key: UNKNOWN_KEY })).body).toEqual({ message: 'Forbidden' });
  expect((await call('unattributed', '/example')).status).toBe(403);
  expect((await call('unattributed', '/example', { key: 'short' })).status).toBe(403);

  // Quota: globex may make 20 requests this month; then 429 Limit Exceeded.
  const globexStatuses: number[] = [];
  for (let i = 0; i < 24; i++) {
    const r = await call('globex', '/example', { key: keyOf('globex') });
    globexStatuses.push(r.status);
    if (r.status === 429) expect(r.body).toEqual({ message: 'Limit Exceeded' });
  }
  expect(globexStatuses.filter((s) => s === 200)).toHaveLength(20);
  expect(globexStatuses.slice(20)).toEqual([429, 429, 429, 429]);

  // Throttle: initech's plan allows a burst of 5 at 1 request/s; 15 at once must see 429s.
  const burst = await Promise.all(Array.from({ length: 15 }, () => call('initech', '/example', { key: keyOf('initech') })));
  const ok = burst.filter((r) => r.status === 200).length;
  const throttled = burst.filter((r) => r.status === 429);
  expect(ok).toBeGreaterThanOrEqual(5);
  expect(throttled.length).toBeGreaterThan(0);
  expect(ok + throttled.length).toBe(15);
  for (const r of throttled) expect(r.body).toEqual({ message: 'Too Many Requests' });
});

test('sc_bytes and cs_bytes are the bytes on the wire', async () => {
  const request =
    `POST /data?trace=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${keyOf('acme')}\r\n` +
    `content-type: application/json\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{"wire":true}`;
  const port = Number(new URL(platform.url).port);
  const received = await new Promise<Buffer>((resolveBytes, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => resolveBytes(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
  tally('acme', 200);
  const head = received.toString('latin1');
  expect(head.startsWith('HTTP/1.1 200')).toBe(true);
  wire = { cfId: /x-amz-cf-id: (\S+)/.exec(head)![1], sent: Buffer.byteLength(request), received: received.length };
});
let wire: { cfId: string; sent: number; received: number };

function expectKeyUsage(keys: { id: string; requests: number; rejected: number; errors: number }[]): void {
  for (const party of ['acme', 'globex', 'initech'] as const) {
    const k = keys.find((x) => x.id === party)!;
    const { requests, rejected, errors } = tallies[party];
    expect({ id: k.id, requests: k.requests, rejected: k.rejected, errors: k.errors }).toEqual({ id: party, requests, rejected, errors });
  }
}

interface UsageJson {
  month: string;
  keys: { id: string; requests: number; rejected: number; errors: number; bytesOut: number; quota: number; quotaUsedPercent: number }[];
  unattributed: { requests: number };
  logRecords: number;
}

test('/_usage.json catches up on its own (periodic flush and usage job) and matches the client tallies', async () => {
  let usage: UsageJson | undefined;
  // The page is refreshed by the platform's timers; poll (without ?refresh) until it has every record.
  for (let i = 0; i < 600; i++) {
    usage = (await (await fetch(`${platform.url}/_usage.json`)).json()) as UsageJson;
    if (usage.logRecords === responses) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(usage!.logRecords).toBe(responses);
  expectKeyUsage(usage!.keys);
  expect(usage!.unattributed.requests).toBe(tallies.unattributed.total);
  const globex = usage!.keys.find((k) => k.id === 'globex')!;
  expect(globex.quota).toBe(20);
  expect(globex.quotaUsedPercent).toBe(100);
  // The internal pages themselves were not logged: fetching them again changes nothing.
  const again = (await (await fetch(`${platform.url}/_usage.json?refresh=1`)).json()) as UsageJson;
  expect(again.logRecords).toBe(responses);
});

test('SIGTERM: a request in flight is still answered and logged; every record is written; exit 0', async () => {
  // Headers and half a body now, SIGTERM, then the rest of the body.
  const port = Number(new URL(platform.url).port);
  const socket = connect(port, '127.0.0.1');
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
  const ended = new Promise<void>((resolveEnd) => socket.on('close', () => resolveEnd()));
  await new Promise<void>((resolveConnect) => socket.once('connect', () => resolveConnect()));
  socket.write(
    `POST /data HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${keyOf('acme')}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 13\r\n\r\n{"late"`,
  );
  // A broken client: its body runs past its content-length, so Node's HTTP parser cuts the
  // connection before the API answers. The viewer got no API response: status 000, unattributed.
  const broken = connect(port, '127.0.0.1');
  let brokenReply = '';
  broken.on('data', (d: Buffer) => (brokenReply += d.toString('latin1')));
  const brokenEnded = new Promise<void>((resolveEnd) => broken.on('close', () => resolveEnd()));
  await new Promise<void>((resolveConnect) => broken.once('connect', () => resolveConnect()));
  broken.write(`POST /data HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${keyOf('acme')}\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"late"`);
  await new Promise((r) => setTimeout(r, 200));
  platform.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  socket.write(':true}');
  broken.write(':true}');
  await Promise.all([ended, brokenEnded]);
  expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
  expect(reply).toContain('"dataReceived":{"late":true}');
  tally('acme', 200);
  expect(brokenReply).not.toContain('dataReceived');
  responses += 1; // whose it is depends on whether the edge had run when the parser cut it off

  expect(await platform.exited).toBe(0);
});

test('after the stop: log records = responses; the usage CLI over the log folder agrees', async () => {
  expect(platform.stdout()).toContain(`stopped; ${responses} log records written`);

  const logRoot = join(platform.stateDir, 'logs');
  const records = await readLogRecords(logRoot);
  expect(records).toHaveLength(responses);
  expect(new Set(records.map((r) => r.x_edge_request_id)).size).toBe(responses);
  for (const r of records) {
    // Partition path = the hour of the record's date/time (docs/contracts.md, log layout), every column a string.
    expect(`${r.year}-${r.month}-${r.day}T${r.hour}`).toBe(`${r.date}T${String(r.time).slice(0, 2)}`);
    // The log-data field holds what the edge function logged: the fingerprint of a key the test
    // sent (configured, or the well-formed unknown one) or '-'.
    expect(['-', apiKeyFingerprint(UNKNOWN_KEY), ...platform.keys.map((k) => apiKeyFingerprint(k.value))]).toContain(String(r.viewer_request_log_data));
  }
  // The query is logged as the viewer sent it; the forged fingerprint never becomes globex's.
  const globexFp = apiKeyFingerprint(keyOf('globex'));
  const forgedRecords = records.filter((r) => String(r.cs_uri_query).includes(globexFp));
  expect(forgedRecords.map((r) => [r.sc_status, r.viewer_request_log_data]).sort()).toEqual(
    [
      ['200', apiKeyFingerprint(keyOf('acme'))],
      ['200', apiKeyFingerprint(keyOf('acme'))],
      ['403', '-'],
    ].sort(),
  );
  const wireRecord = records.find((r) => r.x_edge_request_id === wire.cfId)!;
  expect(wireRecord).toMatchObject({
    cs_method: 'POST',
    cs_uri_stem: '/data',
    sc_status: '200',
    sc_bytes: String(wire.received),
    cs_bytes: String(wire.sent),
    cs_uri_query: 'trace=1',
    viewer_request_log_data: apiKeyFingerprint(keyOf('acme')),
    x_edge_result_type: 'Miss',
  });
  const edge403 = records.filter((r) => r.x_edge_detailed_result_type === 'FunctionGeneratedResponse');
  // forged-without-key, no key, malformed key: nothing logged; the unknown key three times: its fingerprint.
  expect(edge403.map((r) => [r.sc_status, r.viewer_request_log_data]).sort()).toEqual(
    [['403', '-'], ['403', '-'], ['403', '-'], ...Array.from({ length: 3 }, () => ['403', apiKeyFingerprint(UNKNOWN_KEY)])].sort(),
  );
  // No key value in the access logs or in the handlers' log file.
  const lambdaLog = readFileSync(join(platform.stateDir, 'lambda.log'), 'utf8');
  expect(lambdaLog.split('\n').filter((l) => l !== '').length).toBeGreaterThan(0);
  for (const key of platform.keys) {
    expect(lambdaLog).not.toContain(key.value);
    for (const r of records) expect(JSON.stringify(r)).not.toContain(key.value);
  }

  const month = String(records[0].date).slice(0, 7);
  const cli = execFileSync(
    'npm',
    [
      'run',
      '--silent',
      'usage',
      '--',
      '--engine',
      'duckdb',
      '--month',
      month,
      '--logs',
      logRoot,
      '--registry',
      join(platform.stateDir, 'registry.json'),
      '--state',
      tempDir('usage-cli-state-'),
      '--format',
      'json',
      '--dry-run',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LOCAL_ENVIRONMENT_FILE: join(platform.stateDir, 'environment-override.json') } },
  );
  const report = JSON.parse(cli) as UsageJson;
  expect(report.month).toBe(month);
  expectKeyUsage(report.keys);
  // The request cut off during shutdown is logged with CloudFront's status for it, 000: unattributed,
  // or acme's when the edge had already logged its fingerprint (then in none of acme's three counts).
  const cut = records.filter((r) => r.sc_status === '000');
  expect(cut).toHaveLength(1);
  const cutIsAcmes = cut[0].viewer_request_log_data === apiKeyFingerprint(keyOf('acme'));
  expect(report.unattributed.requests).toBe(tallies.unattributed.total + (cutIsAcmes ? 0 : 1));
  const total = report.keys.reduce((s, k) => s + k.requests + k.rejected + k.errors, 0) + report.unattributed.requests;
  expect(total).toBe(responses - (cutIsAcmes ? 1 : 0));
});

test('a restart keeps the keys and the used quota', async () => {
  const again = await startPlatformProcess({
    stateDir: platform.stateDir,
    environment: undefined,
    env: { LOCAL_ENVIRONMENT_FILE: join(platform.stateDir, 'environment-override.json') },
  });
  try {
    expect(again.keys.map((k) => k.value)).toEqual(platform.keys.map((k) => k.value));
    const res = await fetch(`${again.url}/example`, { headers: { 'x-api-key': keyOf('globex') } });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ message: 'Limit Exceeded' });
  } finally {
    expect(await again.stop('SIGINT')).toBe(0);
  }
});
