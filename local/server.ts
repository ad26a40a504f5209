/**
 * The local platform's HTTP server on 127.0.0.1: every request goes through the local edge (the
 * real viewer-request function), then the API Gateway emulation and the real handlers; each
 * response is logged as one CloudFront log record. Paths under /_usage are the platform's own
 * pages: they skip the edge and the API and are never logged, so they are never billed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LocalApiGateway } from './api-gateway/gateway';
import { requestTooLarge } from './api-gateway/responses';
import type { EdgeDecision, LocalEdge } from './edge/edge';
import { buildLogRecord, newEdgeRequestId, type EdgeResultKind, type LogRecordRow } from './logs/log-record';

/** Largest request body accepted (API Gateway's payload limit, 10 MB):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

export const INTERNAL_PREFIX = '/_usage';

/** CloudFront-style edge location code shown in the logs. */
const EDGE_LOCATION = 'LCL1-C1';

export interface InternalPages {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export interface PlatformServerParts {
  readonly edge: LocalEdge;
  readonly gateway: LocalApiGateway;
  readonly distributionId: string;
  readonly internal: InternalPages;
  readonly log: (record: LogRecordRow) => void;
}

export interface PlatformServer {
  readonly server: Server;
  readonly url: string;
  /** Responses logged so far (one log record each). */
  readonly logged: () => number;
  close(): Promise<void>;
}

/** After this long, requests still running at shutdown are cut off (and logged with status 000). */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Responses logged, API requests still in flight (close() waits for them), bytes per socket. */
class RequestTracker {
  logged = 0;
  private inFlight = 0;
  private onDrained: (() => void) | undefined;
  // Bytes a socket had written when its previous response finished: responses on one connection
  // are sent in order, so the difference is exactly this response's bytes (headers included).
  private readonly socketBytes = new WeakMap<Socket, number>();

  bytesSinceLastResponse(socket: Socket): number {
    const total = socket.bytesWritten;
    const before = this.socketBytes.get(socket) ?? 0;
    this.socketBytes.set(socket, total);
    return total - before;
  }

  started(): void {
    this.inFlight += 1;
  }

  recorded(): void {
    this.logged += 1;
    this.inFlight -= 1;
    if (this.inFlight === 0) this.onDrained?.();
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.inFlight === 0) resolve();
      else this.onDrained = resolve;
    });
  }
}

/** One API request through the local edge: what it sends, and its one access-log record. */
class ApiExchange {
  readonly startedMs = Date.now();
  readonly edgeRequestId = newEdgeRequestId();
  readonly clientIp: string;
  readonly method: string;
  readonly rawUrl: string;
  status = 0;
  contentType: string | undefined;
  logData = '-';
  result: EdgeResultKind = 'origin';
  requestBytes: number;
  private recorded = false;

  constructor(
    readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly parts: PlatformServerParts,
    private readonly tracker: RequestTracker,
  ) {
    this.clientIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '-';
    this.method = req.method ?? 'GET';
    this.rawUrl = req.url ?? '/';
    this.requestBytes = requestHeadBytes(req);
    tracker.started();
    res.on('finish', () => this.logOnce(this.result));
    // The viewer went away before the response was complete: CloudFront logs status 000.
    res.on('close', () => this.logOnce(res.writableFinished ? this.result : 'aborted'));
  }

  send(statusCode: number, headers: Record<string, string>, body: Buffer, cacheResult: string): void {
    this.status = statusCode;
    this.contentType = headers['content-type'];
    this.res.writeHead(statusCode, {
      ...headers,
      'content-length': String(body.length),
      'x-cache': `${cacheResult} from cloudfront`,
      via: '1.1 local.cloudfront.net (CloudFront)',
      'x-amz-cf-pop': EDGE_LOCATION,
      'x-amz-cf-id': this.edgeRequestId,
    });
    this.res.end(body);
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  /** Exactly one record per request, whichever of 'finish' and 'close' comes first. */
  private logOnce(kind: EdgeResultKind): void {
    if (this.recorded) return;
    this.recorded = true;
    const q = this.rawUrl.indexOf('?');
    this.parts.log(
      buildLogRecord({
        startedMs: this.startedMs,
        finishedMs: Date.now(),
        edgeLocation: EDGE_LOCATION,
        clientIp: this.clientIp,
        method: this.method,
        path: q === -1 ? this.rawUrl : this.rawUrl.slice(0, q),
        status: this.status,
        userAgent: this.req.headers['user-agent'],
        viewerQuery: q === -1 ? '' : this.rawUrl.slice(q + 1),
        logData: this.logData,
        edgeRequestId: this.edgeRequestId,
        host: this.req.headers.host,
        protocol: 'http',
        requestBytes: this.requestBytes,
        responseBytes: this.tracker.bytesSinceLastResponse(this.req.socket),
        contentType: this.contentType,
        result: kind,
      }),
    );
    this.tracker.recorded();
  }
}

/** CloudFront's part: the viewer-request function, then the origin (the API Gateway emulation). */
async function serveApiRequest(x: ApiExchange, parts: PlatformServerParts): Promise<void> {
  try {
    // CloudFront runs the viewer-request function once it has the request's headers.
    let decision: EdgeDecision;
    try {
      decision = parts.edge.viewerRequest({
        method: x.method,
        url: x.rawUrl,
        headers: x.req.headers,
        clientIp: x.clientIp,
        edgeRequestId: x.edgeRequestId,
        distributionId: parts.distributionId,
        host: x.req.headers.host,
      });
    } catch {
      // A function that throws makes CloudFront answer 503 (FunctionExecutionError).
      x.requestBytes += (await readBody(x.req)).size;
      x.send(503, { 'content-type': 'text/plain' }, Buffer.from('The CloudFront function failed.\n'), 'Error');
      return;
    }
    x.logData = decision.logData; // logged even if the viewer then hangs up during the body
    const { body, size } = await readBody(x.req);
    x.requestBytes += size;
    if (decision.kind === 'respond') {
      x.result = 'function';
      x.send(decision.statusCode, decision.headers, decision.body, 'FunctionGeneratedResponse');
      return;
    }
    if (body === null) {
      const tooLarge = requestTooLarge();
      x.send(tooLarge.statusCode, tooLarge.headers, tooLarge.body, 'Error');
      return;
    }
    const headers = new Map<string, string[]>(Object.entries(decision.headers));
    headers.set('x-forwarded-for', [x.clientIp]);
    headers.set('via', ['1.1 local.cloudfront.net (CloudFront)']);
    headers.set('x-amz-cf-id', [x.edgeRequestId]);
    const outcome = await parts.gateway.handle({
      method: decision.method,
      path: decision.path,
      headers,
      query: decodeQuery(decision.query),
      body,
      sourceIp: x.clientIp,
    });
    x.send(outcome.statusCode, outcome.headers, outcome.body, outcome.statusCode >= 400 ? 'Error' : 'Miss');
  } catch (error) {
    if (!x.headersSent) x.send(502, { 'content-type': 'application/json' }, Buffer.from('{"message":"Internal server error"}'), 'Error');
    process.stderr.write(`local platform: request failed: ${(error as Error).message}\n`);
  }
}

function isInternalPath(pathname: string): boolean {
  return pathname === INTERNAL_PREFIX || pathname.startsWith(INTERNAL_PREFIX + '.') || pathname.startsWith(INTERNAL_PREFIX + '/');
}

export async function startServer(parts: PlatformServerParts, port: number): Promise<PlatformServer> {
  const tracker = new RequestTracker();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isInternalPath(url.pathname)) {
      res.on('finish', () => tracker.bytesSinceLastResponse(req.socket));
      parts.internal.handle(req, res, url).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal page failed: ${error.message}\n`);
      });
      return;
    }
    void serveApiRequest(new ApiExchange(req, res, parts, tracker), parts);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 5000;
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    logged: () => tracker.logged,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      // Keep-alive connections that finish a response during shutdown are closed as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      await Promise.all([closed, tracker.drained()]);
      clearTimeout(grace);
      clearInterval(sweep);
    },
  };
}

/** Bytes of the request line and headers as they came on the wire. */
function requestHeadBytes(req: IncomingMessage): number {
  let n = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    n += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
  }
  return n + 2;
}

/** The whole body, or null when it is larger than MAX_REQUEST_BODY_BYTES (the rest is drained). */
async function readBody(req: IncomingMessage): Promise<{ body: Buffer | null; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_REQUEST_BODY_BYTES) tooLarge = true;
    else chunks.push(buf);
  }
  return { body: tooLarge ? null : Buffer.concat(chunks), size };
}

/** Decodes a raw query string the way API Gateway fills queryStringParameters. */
export function decodeQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (query === '') return out;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    const list = out.get(name);
    if (list === undefined) out.set(name, [value]);
    else list.push(value);
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
