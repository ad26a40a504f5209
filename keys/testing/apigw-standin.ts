/**
 * A stand-in for the parts of API Gateway's control plane that moto lacks, as an HTTP proxy in
 * front of moto (everything else is forwarded unchanged):
 *
 * - Throttling at AWS's published limits (keys/limits.ts; moto does not throttle): one token bucket
 *   for the account (10 requests per second, burst 40) that every call draws on, and one of 5 per
 *   second (bucket of 5: AWS states no burst) each for CreateApiKey and DeleteApiKey. A call with no
 *   token gets HTTP 429 TooManyRequestsException and draws nothing (we assume AWS does not charge a
 *   throttled call against the bucket; AWS does not say).
 * - ImportApiKeys (POST /apikeys?mode=import&format=csv), which moto does not implement. Assumed from
 *   the CSV format page (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-file-format.html):
 *   headers case-insensitive in any order, Name and Key required, Key 20-128 characters, Enabled
 *   defaults to true, UsagePlanIds comma-separated, a Key imported again overwrites the earlier key
 *   (same id, new name and description). Not published, so assumed: one call draws one token from the
 *   account bucket and has no quota of its own; no row limit; with failonwarnings=true a bad row
 *   rejects the whole file (400) and nothing is imported.
 * - GetUsage and UpdateUsage, which moto does not implement: the remaining quota per usage plan and
 *   key is kept here (the plan's limit less what a test says was used); UpdateUsage takes only
 *   `replace /remaining` with a whole number, anything else is a 400.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { csvFields } from '../bulk';
import { ACCOUNT_CONTROL_PLANE, OPERATION_LIMITS, TokenBucket } from '../limits';

export interface StandinStats {
  calls: number;
  throttled: number;
  readonly byOperation: Record<string, number>;
  readonly throttledByOperation: Record<string, number>;
}

export interface ApiGatewayStandin {
  readonly endpoint: string;
  readonly stats: StandinStats;
  /** Test hook: how much of its quota a key has used this month. */
  setUsed(planId: string, keyId: string, used: number): void;
  remaining(planId: string, keyId: string): Promise<number>;
  resetStats(): void;
  stop(): Promise<void>;
}

export interface StandinOptions {
  /** Turn throttling off (fault tests that are about crashes, not limits). */
  readonly throttle?: boolean;
  /** Milliseconds clock of the token buckets (tests freeze it to count exactly). */
  readonly clock?: () => number;
}

function operation(method: string, path: string, query: URLSearchParams): string {
  if (path === '/apikeys' && method === 'POST') return query.get('mode') === 'import' ? 'ImportApiKeys' : 'CreateApiKey';
  if (/^\/apikeys\/[^/]+$/.test(path) && method === 'DELETE') return 'DeleteApiKey';
  if (/^\/usageplans\/[^/]+\/usage$/.test(path) && method === 'GET') return 'GetUsage';
  if (/^\/usageplans\/[^/]+\/keys\/[^/]+\/usage$/.test(path) && method === 'PATCH') return 'UpdateUsage';
  return `${method} ${path.replace(/\/[^/]+/g, (seg, i: number) => (i === 0 ? seg : '/{id}'))}`;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(JSON.stringify(payload));
}

export async function startApiGatewayStandin(motoEndpoint: string, options: StandinOptions = {}): Promise<ApiGatewayStandin> {
  const throttle = options.throttle ?? true;
  const account = new TokenBucket(ACCOUNT_CONTROL_PLANE, options.clock);
  const perOperation = new Map(Object.entries(OPERATION_LIMITS).map(([op, limit]) => [op, new TokenBucket(limit, options.clock)]));
  const stats: StandinStats = { calls: 0, throttled: 0, byOperation: {}, throttledByOperation: {} };
  const used = new Map<string, number>();
  const remainingSet = new Map<string, number>();
  const importedByValue = new Map<string, string>();

  // moto picks the Region from the request's signature, so calls made for a request carry its header.
  let authorization = 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/apigateway/aws4_request';
  const moto = async (method: string, path: string, payload?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(`${motoEndpoint}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    const text = await r.text();
    return { status: r.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  const planLimit = async (planId: string): Promise<number> => {
    const plan = await moto('GET', `/usageplans/${planId}`);
    return Number((plan.json.quota as { limit?: number } | undefined)?.limit ?? 0);
  };
  const remaining = async (planId: string, keyId: string): Promise<number> =>
    remainingSet.get(`${planId}/${keyId}`) ?? (await planLimit(planId)) - (used.get(`${planId}/${keyId}`) ?? 0);

  const importKeys = async (csv: string, failOnWarnings: boolean): Promise<{ status: number; payload: unknown }> => {
    const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase());
    const at = (name: string) => header.indexOf(name);
    if (at('name') < 0 || at('key') < 0) return { status: 400, payload: { message: 'The API key file must have Name and Key columns' } };
    const rows = lines.slice(1).map(csvFields);
    const warnings: string[] = [];
    rows.forEach((r, i) => {
      const key = r[at('key')] ?? '';
      if (key.length < 20 || key.length > 128) warnings.push(`row ${i + 2}: Key must be 20 to 128 characters`);
    });
    if (warnings.length > 0 && failOnWarnings) return { status: 400, payload: { message: warnings.join('; ') } };
    const ids: string[] = [];
    for (const r of rows) {
      const value = r[at('key')] ?? '';
      if (value.length < 20 || value.length > 128) continue;
      const name = r[at('name')] ?? '';
      const description = at('description') >= 0 ? (r[at('description')] ?? '') : '';
      const enabled = at('enabled') >= 0 ? (r[at('enabled')] ?? '').toLowerCase() !== 'false' : true;
      const plans =
        at('usageplanids') >= 0
          ? (r[at('usageplanids')] ?? '')
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [];
      let id = importedByValue.get(value);
      if (id !== undefined && (await moto('GET', `/apikeys/${id}`)).status !== 200) id = undefined;
      if (id === undefined) {
        const created = await moto('POST', '/apikeys', { name, value, description, enabled });
        if (created.status >= 300) return { status: created.status, payload: created.json };
        id = String(created.json.id);
        importedByValue.set(value, id);
      } else {
        await moto('PATCH', `/apikeys/${id}`, {
          patchOperations: [
            { op: 'replace', path: '/name', value: name },
            { op: 'replace', path: '/description', value: description },
            { op: 'replace', path: '/enabled', value: String(enabled) },
          ],
        });
      }
      for (const planId of plans) await moto('POST', `/usageplans/${planId}/keys`, { keyId: id, keyType: 'API_KEY' });
      ids.push(id);
    }
    return { status: 201, payload: { ids, warnings } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    const op = operation(method, url.pathname, url.searchParams);
    const own = perOperation.get(op);
    if (throttle && ((own !== undefined && own.waitMs() > 0) || account.waitMs() > 0)) {
      stats.throttled++;
      stats.throttledByOperation[op] = (stats.throttledByOperation[op] ?? 0) + 1;
      send(res, 429, { message: 'Too Many Requests' }, 'TooManyRequestsException');
      return;
    }
    if (throttle) {
      own?.tryTake();
      account.tryTake();
    }
    stats.calls++;
    stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1;
    const payload = await body(req);
    if (typeof req.headers.authorization === 'string') authorization = req.headers.authorization;
    if (op === 'ImportApiKeys') {
      const out = await importKeys(payload.toString('utf8'), url.searchParams.get('failonwarnings') === 'true');
      send(res, out.status, out.payload, out.status === 400 ? 'BadRequestException' : undefined);
      return;
    }
    if (op === 'GetUsage') {
      const planId = url.pathname.split('/')[2] as string;
      const keyId = url.searchParams.get('keyId');
      const values: Record<string, number[][]> = {};
      if (keyId !== null) values[keyId] = [[used.get(`${planId}/${keyId}`) ?? 0, await remaining(planId, keyId)]];
      send(res, 200, { usagePlanId: planId, startDate: url.searchParams.get('startDate'), endDate: url.searchParams.get('endDate'), values });
      return;
    }
    if (op === 'UpdateUsage') {
      const [, , planId, , keyId] = url.pathname.split('/') as [string, string, string, string, string];
      const ops = (JSON.parse(payload.toString('utf8')) as { patchOperations?: { op?: string; path?: string; value?: string }[] }).patchOperations ?? [];
      const bad = ops.length !== 1 || ops[0]?.op !== 'replace' || ops[0]?.path !== '/remaining' || !/^\d+$/.test(ops[0]?.value ?? '');
      if (bad) {
        send(res, 400, { message: 'UpdateUsage takes one replace of /remaining with a whole number' }, 'BadRequestException');
        return;
      }
      remainingSet.set(`${planId}/${keyId}`, Number(ops[0]?.value));
      send(res, 200, { usagePlanId: planId, values: { [keyId]: [[0, Number(ops[0]?.value)]] } });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    const forwarded = await fetch(`${motoEndpoint}${url.pathname}${url.search}`, { method, headers, ...(payload.length > 0 ? { body: payload } : {}) });
    const text = Buffer.from(await forwarded.arrayBuffer());
    const out: Record<string, string> = {};
    forwarded.headers.forEach((v, k) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) out[k] = v;
    });
    res.writeHead(forwarded.status, out);
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }, 'InternalFailure'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setUsed: (planId, keyId, n) => {
      used.set(`${planId}/${keyId}`, n);
      remainingSet.delete(`${planId}/${keyId}`);
    },
    remaining,
    resetStats: () => {
      stats.calls = 0;
      stats.throttled = 0;
      for (const k of Object.keys(stats.byOperation)) delete stats.byOperation[k];
      for (const k of Object.keys(stats.throttledByOperation)) delete stats.throttledByOperation[k];
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
