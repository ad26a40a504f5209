/**
 * Wraps a route's logic with what every handler needs: the origin-secret check (fail closed),
 * the method check, a catch-all so no stack trace ever reaches a client, and one structured log
 * line per request (level, msg, requestId, method, path, status, latencyMs).
 */
import { errorResponse, isRecord, singleHeader, type ProxyEvent, type ProxyHandler, type ProxyResult } from './http';
import { log } from './logger';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER, originSecretMatches } from '../../contracts/origin-secret';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** One path segment under the API's root, with its leading slash: '/example'. */
  readonly path: string;
  /**
   * false: API Gateway neither asks for an API key nor counts the request against a usage plan's
   * quota or throttle (the handler authenticates the caller itself); the route needs `throttle`.
   * Absent: the key is required, as on every metered route.
   */
  readonly apiKeyRequired?: false;
  /** Method-level throttle of a route without a usage plan (stage method settings), for all callers together. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

export type RouteLogic = (event: ProxyEvent) => ProxyResult | Promise<ProxyResult>;

/** The API key id API Gateway attached after validating the key (null when absent). */
export function apiKeyIdOf(event: ProxyEvent): string | null {
  const id = event.requestContext?.identity?.apiKeyId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

export function proxyHandler(route: Route, logic: RouteLogic): ProxyHandler {
  return async (rawEvent, context) => {
    const started = Date.now();
    // A malformed event (not an object) is treated as an empty one: still answered, still logged.
    const event: ProxyEvent = isRecord(rawEvent) ? rawEvent : {};
    const method = typeof event.httpMethod === 'string' ? event.httpMethod : '-';
    const path = typeof event.path === 'string' ? event.path : route.path;
    let result: ProxyResult;
    let reason: string | undefined;
    try {
      const expected = process.env[ORIGIN_SECRET_ENV];
      if (expected === undefined || expected === '') {
        // Fail closed: without a configured secret no request can be told apart from one that
        // bypassed CloudFront, so every request is refused and the log says why.
        reason = `${ORIGIN_SECRET_ENV} is not set: refusing every request`;
        result = errorResponse(403, 'Forbidden');
      } else {
        const received = singleHeader(event, ORIGIN_SECRET_HEADER);
        if (received === undefined || !originSecretMatches(expected, received)) {
          reason = 'origin secret header missing or wrong';
          result = errorResponse(403, 'Forbidden');
        } else if (method !== route.method) {
          result = errorResponse(405, `Method ${method} is not allowed on ${route.path}; use ${route.method}`, {
            allow: route.method,
          });
        } else {
          result = await logic(event);
        }
      }
    } catch (error) {
      // Only a fault in our own code lands here; the client gets a fixed message, the log the name.
      reason = error instanceof Error ? `internal error: ${error.name}` : 'internal error';
      result = errorResponse(500, 'Internal server error');
    }
    const status = result.statusCode;
    log(status >= 500 || reason?.startsWith(ORIGIN_SECRET_ENV) ? 'error' : status >= 400 ? 'warn' : 'info', 'request', {
      requestId: event.requestContext?.requestId ?? null,
      lambdaRequestId: context?.awsRequestId ?? null,
      method,
      path,
      status,
      latencyMs: Date.now() - started,
      apiKeyId: apiKeyIdOf(event),
      reason,
    });
    return result;
  };
}
