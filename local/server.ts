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

export async function startServer(parts: PlatformServerParts, port: number): Promise<PlatformServer> {
  let logged = 0;
  // API requests whose log record is not yet handed to parts.log; close() waits for them.
  let inFlight = 0;
  let onDrained: (() => void) | undefined;
  // Bytes a socket had written when its previous response finished: responses on one connection
  // are sent in order, so the difference is exactly this response's bytes (headers included).
  const socketBytes = new WeakMap<Socket, number>();
  const bytesSinceLastResponse = (socket: Socket): number => {
    const total = socket.bytesWritten;
    const before = socketBytes.get(socket) ?? 0;
    socketBytes.set(socket, total);
    return total - before;
  };

  const server = createServer((req, res) => {
    const socket = req.socket;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === INTERNAL_PREFIX || url.pathname.startsWith(INTERNAL_PREFIX + '.') || url.pathname.startsWith(INTERNAL_PREFIX + '/')) {
      res.on('finish', () => bytesSinceLastResponse(socket));
      parts.internal.handle(req, res, url).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal page failed: ${error.message}\n`);
      });
      return;
    }
    void serveApiRequest(req, res, socket);
  });

  async function serveApiRequest(req: IncomingMessage, res: ServerResponse, socket: Socket): Promise<void> {
    const startedMs = Date.now();
    const edgeRequestId = newEdgeRequestId();
    const clientIp = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '-';
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const host = req.headers.host;
    let status = 0;
    let contentType: string | undefined;
    let logData = '-';
    let result: EdgeResultKind = 'origin';
    let requestBytes = requestHeadBytes(req);
    let recorded = false;
    inFlight += 1;

    // Exactly one record per request, whichever of 'finish' and 'close' comes first.
    const logOnce = (kind: EdgeResultKind) => {
      if (recorded) return;
      recorded = true;
      const q = rawUrl.indexOf('?');
      parts.log(
        buildLogRecord({
          startedMs,
          finishedMs: Date.now(),
          edgeLocation: EDGE_LOCATION,
          clientIp,
          method,
          path: q === -1 ? rawUrl : rawUrl.slice(0, q),
          status,
          userAgent: req.headers['user-agent'],
          viewerQuery: q === -1 ? '' : rawUrl.slice(q + 1),
          logData,
          edgeRequestId,
          host,
          protocol: 'http',
          requestBytes,
          responseBytes: bytesSinceLastResponse(socket),
          contentType,
          result: kind,
        }),
      );
      logged += 1;
      inFlight -= 1;
      if (inFlight === 0) onDrained?.();
    };
    res.on('finish', () => logOnce(result));
    // The viewer went away before the response was complete: CloudFront logs status 000.
    res.on('close', () => logOnce(res.writableFinished ? result : 'aborted'));

    const send = (statusCode: number, headers: Record<string, string>, body: Buffer, cacheResult: string) => {
      status = statusCode;
      contentType = headers['content-type'];
      res.writeHead(statusCode, {
        ...headers,
        'content-length': String(body.length),
        'x-cache': `${cacheResult} from cloudfront`,
        via: '1.1 local.cloudfront.net (CloudFront)',
        'x-amz-cf-pop': EDGE_LOCATION,
        'x-amz-cf-id': edgeRequestId,
      });
      res.end(body);
    };

    try {
      // CloudFront runs the viewer-request function once it has the request's headers.
      let decision: EdgeDecision;
      try {
        decision = parts.edge.viewerRequest({
          method,
          url: rawUrl,
          headers: req.headers,
          clientIp,
          edgeRequestId,
          distributionId: parts.distributionId,
          host,
        });
      } catch {
        // A function that throws makes CloudFront answer 503 (FunctionExecutionError).
        requestBytes += (await readBody(req)).size;
        send(503, { 'content-type': 'text/plain' }, Buffer.from('The CloudFront function failed.\n'), 'Error');
        return;
      }
      logData = decision.logData; // logged even if the viewer then hangs up during the body
      const { body, size } = await readBody(req);
      requestBytes += size;
      if (decision.kind === 'respond') {
        result = 'function';
        send(decision.statusCode, decision.headers, decision.body, 'FunctionGeneratedResponse');
        return;
      }
      if (body === null) {
        const tooLarge = requestTooLarge();
        send(tooLarge.statusCode, tooLarge.headers, tooLarge.body, 'Error');
        return;
      }
      const headers = new Map<string, string[]>(Object.entries(decision.headers));
      headers.set('x-forwarded-for', [clientIp]);
      headers.set('via', ['1.1 local.cloudfront.net (CloudFront)']);
      headers.set('x-amz-cf-id', [edgeRequestId]);
      const outcome = await parts.gateway.handle({
        method: decision.method,
        path: decision.path,
        headers,
        query: decodeQuery(decision.query),
        body,
        sourceIp: clientIp,
      });
      send(outcome.statusCode, outcome.headers, outcome.body, outcome.statusCode >= 400 ? 'Error' : 'Miss');
    } catch (error) {
      if (!res.headersSent) {
        send(502, { 'content-type': 'application/json' }, Buffer.from('{"message":"Internal server error"}'), 'Error');
      }
      process.stderr.write(`local platform: request failed: ${(error as Error).message}\n`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 5000;
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    logged: () => logged,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = new Promise<void>((resolve) => {
        if (inFlight === 0) resolve();
        else onDrained = resolve;
      });
      const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      // Keep-alive connections that finish a response during shutdown are closed as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      await Promise.all([closed, drained]);
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
