/**
 * The local edge: runs the real viewer-request function (cf-functions/viewer-request.js) in the
 * sandbox the edge tests use, on an event built from the HTTP request, and says what CloudFront
 * would do next: answer with the function's response, or forward the (changed) request.
 */
import {
  fromCloudFrontRequest,
  isCloudFrontResponse,
  loadEdgeFunction,
  toCloudFrontEvent,
  type CloudFrontResponse,
  type EdgeFunction,
  type HttpHeaders,
} from '../../cf-functions/sandbox';
import { FINGERPRINT_PARAM } from '../../lambdas/shared/api-key';

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

export type EdgeDecision =
  | {
      readonly kind: 'forward';
      readonly method: string;
      readonly path: string;
      /** Raw query string after the function (percent-encoding as sent), '' when none. */
      readonly query: string;
      readonly headers: Record<string, string[]>;
    }
  | {
      readonly kind: 'respond';
      readonly statusCode: number;
      readonly headers: Record<string, string>;
      readonly body: Buffer;
      /**
       * Query string to log: the viewer's, minus every apikey_fp parameter (any case), which
       * contract 2 makes the function strip before it decides. The function's changed request
       * does not cross the sandbox boundary when it answers, so the removal is applied here; a
       * forged fingerprint on a rejected request is thereby never attributed to a key.
       */
      readonly query: string;
    };

export class LocalEdge {
  private readonly fn: EdgeFunction;

  /** Loads cf-functions/viewer-request.js (or `functionPath`); throws if it is not a valid function. */
  constructor(functionPath?: string) {
    this.fn = loadEdgeFunction(functionPath);
  }

  viewerRequest(request: EdgeRequest): EdgeDecision {
    const event = toCloudFrontEvent(request.method, request.url, request.headers, request.clientIp);
    event.context = {
      eventType: 'viewer-request',
      distributionId: request.distributionId,
      distributionDomainName: request.host,
      requestId: request.edgeRequestId,
    };
    const result = this.fn(event);
    if (isCloudFrontResponse(result)) return respond(result, request.url);
    const parts = fromCloudFrontRequest(result);
    const q = parts.url.indexOf('?');
    return {
      kind: 'forward',
      method: parts.method,
      path: q === -1 ? parts.url : parts.url.slice(0, q),
      query: q === -1 ? '' : parts.url.slice(q + 1),
      headers: parts.headers,
    };
  }
}

function respond(response: CloudFrontResponse, viewerUrl: string): EdgeDecision {
  const headers: Record<string, string> = {};
  for (const [name, entry] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = entry.value;
  let body: Buffer;
  if (response.body === undefined) body = Buffer.alloc(0);
  else if (typeof response.body === 'string') body = Buffer.from(response.body, 'utf8');
  else body = Buffer.from(response.body.data, response.body.encoding === 'base64' ? 'base64' : 'utf8');
  const q = viewerUrl.indexOf('?');
  const query = withoutClientFingerprint(q === -1 ? '' : viewerUrl.slice(q + 1));
  return { kind: 'respond', statusCode: response.statusCode, headers, body, query };
}

/** A raw query string without its apikey_fp parameters (any letter case), as contract 2 strips them. */
export function withoutClientFingerprint(query: string): string {
  return query
    .split('&')
    .filter((pair) => pair !== '' && pair.split('=', 1)[0].toLowerCase() !== FINGERPRINT_PARAM)
    .join('&');
}
