/**
 * Types for the CloudFront Functions event object (viewer request), event version 1.0.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 * Query strings, headers and cookies share one shape: a field per name (lowercase for headers),
 * `value` holding the first value and `multiValue` listing every value when there are several.
 */

export interface CloudFrontValue {
  value: string;
  multiValue?: { value: string }[];
}

export type CloudFrontValueMap = Record<string, CloudFrontValue>;

export interface CloudFrontCookieValue {
  value: string;
  attributes?: string;
  multiValue?: { value: string; attributes?: string }[];
}

export interface CloudFrontRequest {
  method: string;
  uri: string;
  querystring: CloudFrontValueMap;
  headers: CloudFrontValueMap;
  cookies: Record<string, CloudFrontCookieValue>;
}

export interface CloudFrontResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: CloudFrontValueMap;
  cookies?: Record<string, CloudFrontCookieValue>;
  body?: string | { data: string; encoding: 'text' | 'base64' };
}

export interface CloudFrontEvent {
  version: '1.0';
  context: {
    distributionDomainName?: string;
    distributionId?: string;
    eventType: 'viewer-request' | 'viewer-response';
    requestId?: string;
  };
  viewer: { ip: string };
  request: CloudFrontRequest;
}

export type EdgeResult = CloudFrontRequest | CloudFrontResponse;

/** A function result is a response when it carries a status code; otherwise it is the request. */
export function isCloudFrontResponse(result: EdgeResult): result is CloudFrontResponse {
  return typeof (result as CloudFrontResponse).statusCode === 'number';
}
