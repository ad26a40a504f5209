/**
 * Fault injection with a real kill: the usage CLI runs as its own process, publishing to
 * moto's CloudWatch through a loopback proxy that SIGKILLs the process at a chosen PutMetricData
 * call — the first one (rollups and manifest written, nothing published) and the second one
 * (first batch of 1,000 published, the rest not). Each killed run leaves no heartbeat; the rerun
 * exits 0 and CloudWatch then holds exactly the figures of a clean run, nothing lost or doubled.
 *
 * Quota notices (issue 12): the proxy lets EventBridge accept a PutEvents, then SIGKILLs the CLI
 * before the answer reaches it, so the notices are on the bus but not in the ledger. The next run
 * sends them again with the same noticeIds (at least once; consumers deduplicate on noticeId), and
 * the run after that sends nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetMetricDataCommand, ListMetricsCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { useMotoServer } from '../test-support/moto-server';
import { apiKeyFingerprint } from '../contracts/api-key';
import { API_KEY_DIMENSION, METRICS, metricsNamespace } from '../contracts/metrics';
import { cloudWatchClient } from './aws/clients';
import { findEnvironment } from './cli';
import { floorToHour } from '../sql/hours';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile } from '../sql/log-writer';
import { writeRegistryFile } from './testing/registry';

const moto = useMotoServer();
const ROOT = resolve(__dirname, '..');
const env = findEnvironment('dev');
const KEY_COUNT = 1_100; // 1 per-key metric datum each, plus 9 others: 1,109 data, so two PutMetricData batches of at most 1,000
const now = new Date();
const month = now.toISOString().slice(0, 7);
const hour = floorToHour(now);

interface Key {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly plan: string;
}
/** Every customer is on the environment's basic plan (its quota is the plan's). */
const QUOTA = env.usagePlans.basic.monthlyQuota;
const keys: Key[] = Array.from({ length: KEY_COUNT }, (_, i) => ({
  id: `customer-${String(i).padStart(3, '0')}`,
  name: `Customer ${i}`,
  value: `k${i}-${randomBytes(20).toString('hex')}`,
  plan: 'basic',
}));
/** Requests each key made: 1 + i % 7, so figures differ per key. */
const expectedRequests = (i: number) => 1 + (i % 7);
/** The per-customer metric (QuotaUsedPercent) of customer i: its requests of the basic plan's quota. */
const expectedPercent = (i: number) => (100 * expectedRequests(i)) / QUOTA;

let work: string;
let logs: string;
let keysFile: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'usage-kill-'));
  logs = join(work, 'logs');
  keysFile = join(work, 'registry.json');
  writeRegistryFile(keysFile, env.name, keys);
  const records = keys.flatMap((k, i) =>
    Array.from({ length: expectedRequests(i) }, () => logRecord({ at: hour.toISOString(), logData: apiKeyFingerprint(k.value) })),
  );
  await writeLogFile(logs, env.accountId, 'E2KILLTEST', hour, records);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A loopback proxy to moto that kills `victim` when the `killAt`-th PutMetricData arrives. */
function killingProxy(killAt: number, victim: () => number | undefined): Promise<{ server: Server; url: string; putCalls: () => number }> {
  let puts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      // The SDK gzips large PutMetricData bodies (request compression), so look inside.
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      if (text.includes('Action=PutMetricData')) {
        puts += 1;
        if (puts === killAt) {
          const pid = victim();
          if (pid !== undefined) process.kill(pid, 'SIGKILL');
          req.socket.destroy();
          return;
        }
      }
      const target = new URL(req.url ?? '/', moto.endpoint);
      const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, putCalls: () => puts })),
  );
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

const defaultPaths = () => ({ logs, keysFile, state: join(work, 'state') });

/** Runs the CLI in its own node process (no wrapper process, so a kill hits the job itself). */
function runCli(
  endpoint: string,
  onPid: (pid: number) => void = () => undefined,
  paths: { logs: string; keysFile: string; state: string } = defaultPaths(),
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete childEnv[name];
    const args = ['--import', 'tsx', 'usage-job/cli.ts', '--engine', 'duckdb', '--env', env.name, '--month', month];
    args.push('--logs', paths.logs, '--registry', paths.keysFile, '--state', paths.state, '--now', now.toISOString());
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv });
    if (child.pid !== undefined) onPid(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, out, err }));
  });
}

async function runWithKill(killAt: number): Promise<{ run: RunResult; putCalls: number }> {
  let pid: number | undefined;
  const proxy = await killingProxy(killAt, () => pid);
  try {
    const run = await runCli(proxy.url, (p) => (pid = p));
    return { run, putCalls: proxy.putCalls() };
  } finally {
    proxy.server.close();
  }
}

/** Maximum of one per-key metric for every key, and the heartbeat's sample count, from moto. */
async function published(): Promise<{ maxima: Map<string, number>; heartbeats: number }> {
  const cw = cloudWatchClient({ region: env.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
  const namespace = metricsNamespace(env.name);
  const start = new Date(hour.getTime() - 3600_000);
  const end = new Date(hour.getTime() + 3 * 3600_000);
  const maxima = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 400) {
    const queries: MetricDataQuery[] = keys.slice(i, i + 400).map((k, j) => ({
      Id: `k${i + j}`,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: METRICS.quotaUsedPercent.name, Dimensions: [{ Name: API_KEY_DIMENSION, Value: k.id }] },
        Period: 3600,
        Stat: 'Maximum',
      },
    }));
    const result = await cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end }));
    for (const r of result.MetricDataResults ?? []) {
      const index = Number((r.Id ?? 'k-1').slice(1));
      if ((r.Values ?? []).length > 0) maxima.set(keys[index].id, Math.max(...(r.Values ?? [])));
    }
  }
  const beat = await cw.send(
    new GetMetricDataCommand({
      MetricDataQueries: [
        { Id: 'hb', MetricStat: { Metric: { Namespace: namespace, MetricName: METRICS.heartbeat.name }, Period: 3600, Stat: 'SampleCount' } },
      ],
      StartTime: new Date(now.getTime() - 6 * 3600_000),
      EndTime: new Date(now.getTime() + 3600_000),
    }),
  );
  const heartbeats = (beat.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
  return { maxima, heartbeats };
}

describe('usage job killed mid-run, then rerun', () => {
  test('killed at the first PutMetricData: rollups are on disk, nothing published, no heartbeat', async () => {
    const { run, putCalls } = await runWithKill(1);
    expect({ signal: run.signal, putCalls }).toEqual({ signal: 'SIGKILL', putCalls: 1 });
    expect(existsSync(join(work, 'state'))).toBe(true);
    expect(readdirSync(join(work, 'state'), { recursive: true }).length).toBeGreaterThan(1);
    const { maxima, heartbeats } = await published();
    expect({ keysPublished: maxima.size, heartbeats }).toEqual({ keysPublished: 0, heartbeats: 0 });
  }, 120_000);

  test('killed between two PutMetricData batches: part published, no heartbeat', async () => {
    const { run, putCalls } = await runWithKill(2);
    expect({ signal: run.signal, putCalls }).toEqual({ signal: 'SIGKILL', putCalls: 2 });
    const { maxima, heartbeats } = await published();
    expect(heartbeats).toBe(0);
    expect(maxima.size).toBeGreaterThan(0);
    expect(maxima.size).toBeLessThan(KEY_COUNT);
  }, 120_000);

  test("the rerun finishes and CloudWatch holds exactly a clean run's figures, nothing doubled", async () => {
    const run = await runCli(moto.endpoint);
    expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(run.out) as { keys: { id: string; requests: number }[] };
    // Customers are reported by id (the registry's order), so compare by id.
    expect(Object.fromEntries(report.keys.map((k) => [k.id, k.requests]))).toEqual(Object.fromEntries(keys.map((k, i) => [k.id, expectedRequests(i)])));

    const { maxima, heartbeats } = await published();
    expect(heartbeats).toBe(1);
    expect(Object.fromEntries(maxima)).toEqual(Object.fromEntries(keys.map((k, i) => [k.id, expectedPercent(i)])));

    // No key value anywhere in what CloudWatch holds (names, dimensions) or in the report.
    const cw = cloudWatchClient({ region: env.region, endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
    const listed = JSON.stringify((await cw.send(new ListMetricsCommand({ Namespace: metricsNamespace(env.name) }))).Metrics ?? []);
    expect(listed).toContain(keys[0].id);
    for (const k of keys) {
      expect(listed.includes(k.value)).toBe(false);
      expect(run.out.includes(k.value) || run.err.includes(k.value)).toBe(false);
    }

    // Another rerun: the alarm statistic (Maximum) stays the same.
    expect((await runCli(moto.endpoint)).code).toBe(0);
    expect(Object.fromEntries((await published()).maxima)).toEqual(Object.fromEntries(keys.map((k, i) => [k.id, expectedPercent(i)])));
  }, 180_000);
});

describe('quota notices: a run killed between sending and recording', () => {
  const NOTICE_KEYS: Key[] = ['acme', 'globex', 'initech'].map((id, i) => ({
    id: `notice-${id}`,
    name: `Notice ${id}`,
    value: `n${i}-${randomBytes(20).toString('hex')}`,
    plan: 'basic',
  }));
  let paths: { logs: string; keysFile: string; state: string };

  beforeAll(async () => {
    const root = join(work, 'notices');
    paths = { logs: join(root, 'logs'), keysFile: join(root, 'registry.json'), state: join(root, 'state') };
    mkdirSync(root, { recursive: true });
    writeRegistryFile(paths.keysFile, env.name, NOTICE_KEYS);
    // The whole quota of the basic plan: every customer at 100 %, so each is due the 80 % and the 100 % notice.
    const records = NOTICE_KEYS.flatMap((k) => Array.from({ length: QUOTA }, () => logRecord({ at: hour.toISOString(), logData: apiKeyFingerprint(k.value) })));
    await writeLogFile(paths.logs, env.accountId, 'E2NOTICEKILL', hour, records);
  });

  /** A proxy to moto that records the noticeIds of every PutEvents moto accepted; with `kill`, kills the CLI after moto accepted the first one. */
  function eventsProxy(kill: (() => number | undefined) | undefined): Promise<{ server: Server; url: string; accepted: string[] }> {
    const accepted: string[] = [];
    let killed = false;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const isPutEvents = String(req.headers['x-amz-target'] ?? '').endsWith('.PutEvents');
        const target = new URL(req.url ?? '/', moto.endpoint);
        const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
          const answer: Buffer[] = [];
          up.on('data', (c: Buffer) => answer.push(c));
          up.on('end', () => {
            if (isPutEvents && up.statusCode === 200) {
              const sent = (JSON.parse(body.toString()) as { Entries: { Detail: string }[] }).Entries;
              const results = (JSON.parse(Buffer.concat(answer).toString()) as { Entries: { EventId?: string }[] }).Entries;
              sent.forEach((e, i) => results[i]?.EventId !== undefined && accepted.push((JSON.parse(e.Detail) as { noticeId: string }).noticeId));
              if (kill !== undefined && !killed) {
                // EventBridge has the events; the job never learns it, so it records nothing.
                killed = true;
                const pid = kill();
                if (pid !== undefined) process.kill(pid, 'SIGKILL');
                req.socket.destroy();
                return;
              }
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(Buffer.concat(answer));
          });
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
    return new Promise((done) =>
      server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accepted })),
    );
  }

  const due = NOTICE_KEYS.flatMap((k) => [80, 100].map((t) => `${env.name}:${k.id}:${month}:${t}`));

  test('killed after EventBridge accepted the notices: nothing recorded; the next run sends them again with the same ids, the one after sends none', async () => {
    let pid: number | undefined;
    const killing = await eventsProxy(() => pid);
    let killedRun: RunResult;
    try {
      killedRun = await runCli(killing.url, (p) => (pid = p), paths);
    } finally {
      killing.server.close();
    }
    expect(killedRun.signal).toBe('SIGKILL');
    expect(killing.accepted).toEqual(due);
    expect(existsSync(join(paths.state, 'notices', env.name, month))).toBe(false); // the ledger holds none of them

    const recording = await eventsProxy(undefined);
    try {
      const rerun = await runCli(recording.url, () => undefined, paths);
      expect({ code: rerun.code, err: rerun.code === 0 ? '' : rerun.err }).toEqual({ code: 0, err: '' });
      const report = JSON.parse(rerun.out) as { quotaNotices: { due: number; alreadySent: number; sent: string[] } };
      expect(report.quotaNotices).toMatchObject({ due: 6, alreadySent: 0, sent: due });
      expect(recording.accepted).toEqual(due); // the same ids again: consumers see each twice and keep one

      const third = await runCli(recording.url, () => undefined, paths);
      expect(third.code).toBe(0);
      expect((JSON.parse(third.out) as { quotaNotices: { alreadySent: number; sent: string[] } }).quotaNotices).toMatchObject({ alreadySent: 6, sent: [] });
      expect(recording.accepted).toEqual(due); // nothing more reached the bus
      expect(readdirSync(join(paths.state, 'notices', env.name, month), { recursive: true }).filter((f) => String(f).endsWith('.json'))).toHaveLength(6);
    } finally {
      recording.server.close();
    }
  }, 180_000);
});
