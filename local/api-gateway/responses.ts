/**
 * API Gateway's own error responses for the cases the local platform emulates, with their default
 * status codes and bodies (gateway response types MISSING_AUTHENTICATION_TOKEN 403, API key
 * missing or invalid 403 "Forbidden", THROTTLED 429 "Too Many Requests", QUOTA_EXCEEDED 429
 * "Limit Exceeded", a failing Lambda proxy integration 502 "Internal server error"):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 * https://repost.aws/knowledge-center/api-gateway-429-limit
 * The x-amzn-ErrorType values are those API Gateway sends with these responses (ForbiddenException,
 * TooManyRequestsException, LimitExceededException); seen in public traces, not in a reference page.
 */
export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

function gatewayError(statusCode: number, message: string, errorType: string): GatewayResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': errorType },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

export const missingAuthenticationToken = (): GatewayResponse => gatewayError(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException');
export const forbidden = (): GatewayResponse => gatewayError(403, 'Forbidden', 'ForbiddenException');
export const tooManyRequests = (): GatewayResponse => gatewayError(429, 'Too Many Requests', 'TooManyRequestsException');
export const limitExceeded = (): GatewayResponse => gatewayError(429, 'Limit Exceeded', 'LimitExceededException');
/** REQUEST_TOO_LARGE (413) for a body over the 10 MB payload limit; the message text is our guess. */
export const requestTooLarge = (): GatewayResponse => gatewayError(413, 'Request Too Long', 'RequestTooLargeException');
export const integrationFailure = (): GatewayResponse => gatewayError(502, 'Internal server error', 'InternalServerErrorException');
