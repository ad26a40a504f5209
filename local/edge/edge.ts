/**
 * The local edge: runs the real viewer-request function (cf-functions/viewer-request.js) in the
 * sandbox the edge tests use, on an event built from the HTTP request, against an emulated key
 * value store (the function's cf.kvs(); locally the edge key file, see edge-key-file.ts), and says
 * what CloudFront would do next (answer with the function's response, or forward the request) and
 * what it would write into the access log's viewer-request-log-data field.
 */
import {
  fromCloudFrontRequest,
  isCloudFrontResponse,
  loadEdgeFunction,
  logDataField,
  toCloudFrontEvent,
  type CloudFrontResponse,
  type EdgeFunction,
  type EdgeKeyLookup,
  type HttpHeaders,
} from '../../cf-functions/sandbox';

export interface EdgeRequest {
  readonly method: string;
  /** Request target as received: path plus optional ?query. */
  readonly url: string;
  readonly headers: HttpHeaders;
  readonly clientIp: string;
  readonly edgeRequestId: string;
  readonly distributionId: string;
  readonly host: string | undefined;
}

export type EdgeDecision = (
  | {
      readonly kind: 'forward';
      readonly method: string;
      readonly path: string;
      /** Raw query string the origin gets (percent-encoding as sent), '' when none. */
      readonly query: string;
      readonly headers: Record<string, string[]>;
    }
  | {
      readonly kind: 'respond';
      readonly statusCode: number;
      readonly headers: Record<string, string>;
      readonly body: Buffer;
    }
) & {
  /** The viewer-request-log-data field as CloudFront writes it: '-' when the function logged nothing. */
  readonly logData: string;
};

export class LocalEdge {
  private readonly fn: EdgeFunction;

  /**
   * Loads cf-functions/viewer-request.js (or `functionPath`) with `keys` as its associated key value
   * store; throws if it is not a valid function.
   */
  constructor(keys: EdgeKeyLookup, functionPath?: string) {
    this.fn = loadEdgeFunction(functionPath, { kvs: keys });
  }

  viewerRequest(request: EdgeRequest): EdgeDecision {
    const event = toCloudFrontEvent(request.method, request.url, request.headers, request.clientIp);
    event.context = {
      eventType: 'viewer-request',
      distributionId: request.distributionId,
      distributionDomainName: request.host,
      requestId: request.edgeRequestId,
    };
    const { result, logData } = this.fn(event);
    const field = logDataField(logData);
    if (isCloudFrontResponse(result)) return { ...respond(result), logData: field };
    const parts = fromCloudFrontRequest(result);
    const q = parts.url.indexOf('?');
    return {
      kind: 'forward',
      method: parts.method,
      path: q === -1 ? parts.url : parts.url.slice(0, q),
      query: q === -1 ? '' : parts.url.slice(q + 1),
      headers: parts.headers,
      logData: field,
    };
  }
}

function respond(response: CloudFrontResponse): { kind: 'respond'; statusCode: number; headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const [name, entry] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = entry.value;
  let body: Buffer;
  if (response.body === undefined) body = Buffer.alloc(0);
  else if (typeof response.body === 'string') body = Buffer.from(response.body, 'utf8');
  else body = Buffer.from(response.body.data, response.body.encoding === 'base64' ? 'base64' : 'utf8');
  return { kind: 'respond', statusCode: response.statusCode, headers, body };
}
