/**
 * `npm run bench:local`: what the local edge costs. Measures, in one run,
 *   (a) the handlers called directly in this process with a ready REST proxy event;
 *   (b) the parts in this process without HTTP: the edge function alone in its sandbox, and edge
 *       + API Gateway emulation + handlers (where the time goes), with a key the keys CLI's create
 *       made in a state folder (the edge reads its edge file, the API layer its local API Gateway
 *       and registry files, as under npm start);
 *   (c) the same requests over HTTP through the local platform (`local/main.ts` as a child
 *       process): edge function in its sandbox, API Gateway emulation, the handlers, and one
 *       Parquet log record per response (logging on, flushed every 2 s),
 * and prints requests/s and p50/p99 latency with ratios to (a). Half GET /example, half POST /data.
 *   --requests N      requests per HTTP run (default 5000); the direct run makes 10x as many
 *   --concurrency C   concurrent HTTP clients in the second HTTP run (default 16)
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { markdownTable, replaceDocBlock, runStamp } from './doc-block';
import { handler as dataHandler } from '../lambdas/handlers/data';
import { handler as exampleHandler } from '../lambdas/handlers/example';
import { setLogSink } from '../lambdas/handlers/logger';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../contracts/origin-secret';
import type { ProxyEvent } from '../lambdas/handlers/http';
import { LocalApiGateway } from '../local/api-gateway/gateway';
import { QuotaCounter } from '../local/api-gateway/quota';
import { registeredKeys } from '../local/api-gateway/registered-keys';
import { LocalEdge } from '../local/edge/edge';
import { edgeKeyFile, edgeKeysPath } from '../local/edge/edge-key-file';
import { localKeysContext, seedCustomers } from '../local/keys/seed';
import { ROUTES } from '../local/platform';
import { decodeQuery } from '../local/server';
import { removeTempDirs, startPlatformProcess, tempDir } from '../local/testing/platform-process';
import { platformConfig } from '../config/environments';

interface Run {
  readonly name: string;
  readonly concurrency: number;
  readonly requests: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`bench:local: --${name} needs a positive whole number, got ${process.argv[i + 1] ?? 'nothing'}\n`);
    process.exit(2);
  }
  return value;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(name: string, requests: number, concurrency: number, one: (i: number) => Promise<void>): Promise<Run> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  return { name, concurrency, requests, seconds: (performance.now() - started) / 1000, latenciesMs };
}

function directEvent(i: number, secret: string): ProxyEvent {
  const post = i % 2 === 0;
  return {
    resource: post ? '/data' : '/example',
    path: post ? '/data' : '/example',
    httpMethod: post ? 'POST' : 'GET',
    headers: post ? { 'content-type': 'application/json', [ORIGIN_SECRET_HEADER]: secret } : { [ORIGIN_SECRET_HEADER]: secret },
    multiValueHeaders: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    requestContext: { requestId: `bench-${i}`, stage: 'local', identity: { apiKeyId: 'acme', sourceIp: '127.0.0.1' } },
    body: post ? JSON.stringify({ i, hello: 'world' }) : null,
    isBase64Encoded: false,
  };
}

async function main(): Promise<void> {
  const requests = flag('requests', 5000);
  const concurrency = flag('concurrency', 16);
  const runs: Run[] = [];

  // (a) handlers called directly; their JSON log lines are discarded, as (b) writes them to a file.
  const secret = 'bench-origin-secret';
  process.env[ORIGIN_SECRET_ENV] = secret;
  const restore = setLogSink(() => undefined);
  runs.push(
    await measure('handlers called directly', requests * 10, 1, async (i) => {
      const result = await (i % 2 === 0 ? dataHandler : exampleHandler)(directEvent(i, secret));
      if (result.statusCode !== 200) throw new Error(`direct call ${i} answered ${result.statusCode}`);
    }),
  );

  // (b) in process, no HTTP, no logging; the key made by the keys CLI's create in a state folder, as
  // npm start does: the edge reads its edge file, the API layer its local API Gateway and registry files.
  const environment = {
    ...platformConfig.local,
    usagePlans: { bench: { monthlyQuota: 100_000_000, rateLimit: 1_000_000, burstLimit: 1_000_000 } },
    stageThrottle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
  };
  const stateDir = tempDir('bench-state-');
  const [issued] = await seedCustomers(localKeysContext(environment, stateDir), stateDir, [{ id: 'acme', customer: 'Acme Corp', plan: 'bench' }]);
  const apiKey = issued!.value;
  const fail = (message: string) => {
    throw new Error(message);
  };
  const edge = new LocalEdge(edgeKeyFile(edgeKeysPath(stateDir), fail));
  const headers = (i: number) => (i % 2 === 0 ? { 'x-api-key': apiKey, 'content-type': 'application/json' } : { 'x-api-key': apiKey });
  const edgeCall = (i: number) =>
    edge.viewerRequest({
      method: i % 2 === 0 ? 'POST' : 'GET',
      url: i % 2 === 0 ? '/data' : '/example',
      headers: headers(i),
      clientIp: '127.0.0.1',
      edgeRequestId: `bench-${i}`,
      distributionId: 'ELOCALPLATFORM',
      host: '127.0.0.1',
    });
  runs.push(
    await measure('edge function alone (sandbox)', requests * 4, 1, async (i) => {
      if (edgeCall(i).kind !== 'forward') throw new Error('edge refused the bench key');
    }),
  );
  const gateway = new LocalApiGateway(environment, registeredKeys(stateDir, environment, fail), ROUTES, new QuotaCounter(tempDir('bench-quota-')), secret);
  runs.push(
    await measure('edge + API emulation + handlers (no HTTP)', requests * 4, 1, async (i) => {
      const d = edgeCall(i);
      if (d.kind !== 'forward') throw new Error('edge refused the bench key');
      const out = await gateway.handle({
        method: d.method,
        path: d.path,
        headers: new Map(Object.entries(d.headers)),
        query: decodeQuery(d.query),
        body: i % 2 === 0 ? Buffer.from(JSON.stringify({ i, hello: 'world' })) : Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      });
      if (out.statusCode !== 200) throw new Error(`in-process request ${i} answered ${out.statusCode}`);
    }),
  );
  restore();

  // (b) over HTTP through the local platform, with a plan large enough that nothing is throttled.
  const platform = await startPlatformProcess({
    environment: {
      usagePlans: { bench: { monthlyQuota: 100_000_000, rateLimit: 1_000_000, burstLimit: 1_000_000 } },
      stageThrottle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
    },
    seed: [{ id: 'acme', customer: 'Acme Corp', plan: 'bench' }],
  });
  const key = platform.keys[0].value;
  const viaEdge = async (i: number) => {
    const post = i % 2 === 0;
    const res = await fetch(post ? `${platform.url}/data` : `${platform.url}/example`, {
      method: post ? 'POST' : 'GET',
      headers: post ? { 'x-api-key': key, 'content-type': 'application/json' } : { 'x-api-key': key },
      body: post ? JSON.stringify({ i, hello: 'world' }) : undefined,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`request ${i} answered ${res.status}`);
  };
  try {
    await measure('warm-up', 200, 4, viaEdge);
    runs.push(await measure('local edge + API + handlers + logging (HTTP)', requests, 1, viaEdge));
    runs.push(await measure('local edge + API + handlers + logging (HTTP)', requests, concurrency, viaEdge));
  } finally {
    const code = await platform.stop('SIGTERM');
    if (code !== 0) process.stderr.write(`bench:local: platform exited with ${code}\n${platform.stderr()}\n`);
    removeTempDirs();
  }

  const base = runs[0];
  const stats = (r: Run) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    return { rps: r.requests / r.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const b = stats(base);
  const rows = runs.map((r) => {
    const s = stats(r);
    return [
      r.name,
      String(r.concurrency),
      String(r.requests),
      s.rps.toFixed(0),
      s.p50.toFixed(3),
      s.p99.toFixed(3),
      r === base ? '1' : `1/${(b.rps / s.rps).toFixed(1)}`,
      r === base ? '1' : `${(s.p50 / b.p50).toFixed(1)}x`,
    ];
  });
  const header = ['path', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'req/s ratio', 'p50 ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(
    [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') +
      `\n\nratios are against the direct calls; client and platform share this machine (${cpus().length} cores).\n`,
  );
  if (process.argv.includes('--write-doc')) {
    replaceDocBlock(
      join(__dirname, '..', 'local', 'README.md'),
      'local',
      `\`npm run --silent bench:local -- --write-doc\` (${runStamp()}; client and platform share the machine; ratios against the direct calls):\n\n${markdownTable(header, rows)}`,
    );
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:local: ${error.message}\n`);
  process.exit(1);
});
