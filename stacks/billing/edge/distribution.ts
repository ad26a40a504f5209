/**
 * CloudFront in front of the regional REST API: HTTPS only, every HTTP method, nothing cached, all
 * viewer headers but Host forwarded (x-api-key reaches API Gateway, which needs its own Host), the
 * origin secret header added, and the edge function (docs/contracts.md) on viewer request.
 */
import { Construct } from 'constructs';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontFunction } from '@cdktf/provider-aws/lib/cloudfront-function';
import { CloudfrontKeyValueStore } from '@cdktf/provider-aws/lib/cloudfront-key-value-store';
import { ORIGIN_SECRET_HEADER } from '../../../contracts/origin-secret';
import { viewerRequestCode, type EdgeKeyCheck } from '../../../cf-functions/function-code';
import { repoPath } from '../../shared/repo';

/**
 * AWS managed policies (ids from the CloudFront Developer Guide):
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
 */
export const MANAGED_CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
export const MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
/** Managed SecurityHeadersPolicy (HSTS, nosniff, frame and referrer policies); id as listed in
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html
 * (confirmed here through public configurations; the page's table did not come back whole). */
export const MANAGED_SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03';

export const VIEWER_REQUEST_FUNCTION_FILE = 'cf-functions/viewer-request.js';
export const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const ORIGIN_ID = 'api-gateway';

export interface DistributionProps {
  readonly prefix: string;
  readonly environment: string;
  /** e.g. abc123.execute-api.eu-west-1.amazonaws.com */
  readonly apiDomainName: string;
  /** e.g. /v1: the stage, so that customers call /example, not /v1/example. */
  readonly apiOriginPath: string;
  readonly originSecret: string;
  /** What the function does with a fingerprint the store does not hold (cf-functions/function-code.ts). */
  readonly edgeKeyCheck: EdgeKeyCheck;
}

export class Distribution extends Construct {
  readonly distribution: CloudfrontDistribution;
  readonly viewerRequest: CloudfrontFunction;
  /** The edge's copy of the usable keys (contracts/edge-keys.ts), read by the function with cf.kvs(). */
  readonly edgeKeys: CloudfrontKeyValueStore;

  constructor(scope: Construct, id: string, props: DistributionProps) {
    super(scope, id);
    // Terraform owns the store and its association, never its contents: the keys CLI writes the
    // entries through the KeyValueStore API (keys/edge-store-aws.ts), so a key change needs no plan
    // and no key appears in state. Not aws_cloudfrontkeyvaluestore_key(s)_exclusive: one resource or
    // state entry per key is what this design removes, and the exclusive resource would delete
    // every entry the CLI wrote on the next apply (docs/contracts.md, "Edge key store").
    this.edgeKeys = new CloudfrontKeyValueStore(this, 'edge-keys', {
      name: `${props.prefix}-edge-keys`,
      comment: 'Usable API key fingerprints for the viewer-request function; contents written by the keys CLI',
    });
    // Read at synthesis: the function's code is part of the plan, so a change shows up in review.
    this.viewerRequest = new CloudfrontFunction(this, 'viewer-request', {
      name: `${props.prefix}-viewer-request`,
      runtime: 'cloudfront-js-2.0',
      comment: 'Rejects missing/malformed/unknown x-api-key; logs the key fingerprint (viewer-request-log-data)',
      publish: true,
      // A function can have one key value store (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-associate.html).
      keyValueStoreAssociations: [this.edgeKeys.arn],
      code: viewerRequestCode(props.edgeKeyCheck, repoPath(VIEWER_REQUEST_FUNCTION_FILE)),
    });

    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `${props.prefix}: metered API (${props.environment})`,
      httpVersion: 'http2and3',
      isIpv6Enabled: true,
      priceClass: 'PriceClass_100',
      origin: [
        {
          originId: ORIGIN_ID,
          domainName: props.apiDomainName,
          originPath: props.apiOriginPath,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: 'https-only',
            originSslProtocols: ['TLSv1.2'],
          },
          customHeader: [{ name: ORIGIN_SECRET_HEADER, value: props.originSecret }],
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: 'https-only',
        allowedMethods: ALL_METHODS,
        cachedMethods: ['GET', 'HEAD'],
        compress: false,
        cachePolicyId: MANAGED_CACHING_DISABLED,
        originRequestPolicyId: MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicyId: MANAGED_SECURITY_HEADERS,
        functionAssociation: [{ eventType: 'viewer-request', functionArn: this.viewerRequest.arn }],
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    });
  }
}
