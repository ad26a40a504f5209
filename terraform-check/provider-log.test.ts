import { callsFromProviderLog, ProviderLogError } from './provider-log';
import { mapCall, UnmappedCallError } from '../permissions/call-map';
import { nameRequest } from './recording-proxy';

// The shape of provider 5.100.0's debug log (TF_LOG_PROVIDER=DEBUG), shortened.
const LOG = [
  '2026-12-04T18:53:24.449Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: tf_rpc=ConfigureProvider rpc.method=GetCallerIdentity http.url=http://127.0.0.1:42863/ aws.region=eu-west-1 rpc.service=STS http.method=POST',
  '2026-12-04T18:54:30.892Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: tf_rpc=ApplyResourceChange aws.region=eu-west-1 http.user_agent="APN/1.0 HashiCorp/1.0 Terraform/1.11.4 (+https://www.terraform.io)"',
  '  http.request.body=',
  '  | {"CatalogId":"111111111111","DatabaseName":"ubb_dev_logs","TableInput":{"Description":"d","Name":"cloudfront_logs","Parameters":{"a',
  '  | [truncated...]',
  '   rpc.method=CreateTable http.url=http://127.0.0.1:42863/ rpc.service=Glue http.method=POST tf_resource_type=aws_glue_catalog_table',
  '2026-12-04T18:54:30.909Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: rpc.method=CreateTable rpc.service=Glue',
  '  http.response.body=',
  '  | {}',
  '2026-12-04T18:54:31.000Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: rpc.service="API Gateway" rpc.method=GetUsagePlan http.method=GET http.url=http://127.0.0.1:42863/usageplans/abc aws.region=eu-west-1',
].join('\n');

describe('provider debug log', () => {
  test('yields every request with service, operation, method, URL, region, body and resource type', () => {
    const calls = callsFromProviderLog(LOG, 'apply.provider.log');
    expect(calls.map((c) => `${c.service} ${c.operation} ${c.httpMethod} ${c.url} ${c.region} ${c.resourceType ?? '-'}`)).toEqual([
      'STS GetCallerIdentity POST http://127.0.0.1:42863/ eu-west-1 -',
      'Glue CreateTable POST http://127.0.0.1:42863/ eu-west-1 aws_glue_catalog_table',
      'API Gateway GetUsagePlan GET http://127.0.0.1:42863/usageplans/abc eu-west-1 -',
    ]);
    expect(calls[1].body).toContain('"DatabaseName":"ubb_dev_logs"');
    expect(calls[1].body).toContain('[truncated...]');
  });

  test('a request record without its operation is an error naming the log', () => {
    expect(() => callsFromProviderLog('2026-12-04T18:53:24.449Z [DEBUG] provider: HTTP Request Sent: http.url=http://x/', 'plan.provider.log')).toThrow(
      ProviderLogError,
    );
  });
});

describe('recording proxy', () => {
  const auth = (service: string) => `AWS4-HMAC-SHA256 Credential=AKID/20261204/eu-west-1/${service}/aws4_request, SignedHeaders=host, Signature=x`;
  test('names requests by signing service and operation, per protocol', () => {
    const name = (m: string, u: string, h: Record<string, string>, b = '') => {
      const c = nameRequest(m, u, h, b);
      return `${c.service} ${c.operation}`;
    };
    expect(name('POST', '/', { authorization: auth('athena'), 'x-amz-target': 'AmazonAthena.StartQueryExecution' })).toBe('Athena StartQueryExecution');
    expect(name('POST', '/', { authorization: auth('monitoring') }, 'Action=PutMetricData&Namespace=x')).toBe('CloudWatch PutMetricData');
    expect(name('PUT', '/b/invoices/x.csv', { authorization: auth('s3'), 'if-none-match': '*' })).toBe('S3 PutObject');
    expect(name('GET', '/b?list-type=2&prefix=x', { authorization: auth('s3') })).toBe('S3 ListObjectsV2');
    expect(name('GET', '/b/?list-type=2&prefix=x', { authorization: auth('s3') })).toBe('S3 ListObjectsV2');
    expect(name('GET', '/b/?location', { authorization: auth('s3') })).toBe('S3 GetBucketLocation');
    expect(name('GET', '/usageplans/u1/usage?startDate=x', { authorization: auth('apigateway') })).toBe('API Gateway GetUsage');
    expect(name('PATCH', '/b', { authorization: auth('s3') })).toBe('S3 unknown PATCH /<bucket>?');
    expect(nameRequest('PUT', '/b/k', { authorization: auth('s3'), 'if-none-match': '*' }, 'data').headers).toEqual({ 'if-none-match': '*' });
  });

  test('names S3 sub-resource requests by their own operation, each of which the call map judges as its own IAM action', () => {
    const s3 = (m: string, u: string, h: Record<string, string> = {}) => {
      const call = nameRequest(m, u, { authorization: auth('s3'), ...h }, '');
      return [call.operation, mapCall(call, { account: '111111111111' }).map((n) => `${n.action} ${n.resource}`)];
    };
    const bucket = 'arn:aws:s3:::b';
    const object = 'arn:aws:s3:::b/k';
    expect(s3('GET', '/b?tagging')).toEqual(['GetBucketTagging', [`s3:GetBucketTagging ${bucket}`]]);
    expect(s3('PUT', '/b?tagging')).toEqual(['PutBucketTagging', [`s3:PutBucketTagging ${bucket}`]]);
    expect(s3('GET', '/b?policy')).toEqual(['GetBucketPolicy', [`s3:GetBucketPolicy ${bucket}`]]);
    expect(s3('DELETE', '/b?policy')).toEqual(['DeleteBucketPolicy', [`s3:DeleteBucketPolicy ${bucket}`]]);
    expect(s3('PUT', '/b?versioning')).toEqual(['PutBucketVersioning', [`s3:PutBucketVersioning ${bucket}`]]);
    expect(s3('GET', '/b?lifecycle')).toEqual(['GetBucketLifecycleConfiguration', [`s3:GetLifecycleConfiguration ${bucket}`]]);
    expect(s3('PUT', '/b?encryption')).toEqual(['PutBucketEncryption', [`s3:PutEncryptionConfiguration ${bucket}`]]);
    expect(s3('GET', '/b?publicAccessBlock')).toEqual(['GetPublicAccessBlock', [`s3:GetBucketPublicAccessBlock ${bucket}`]]);
    expect(s3('PUT', '/b?ownershipControls')).toEqual(['PutBucketOwnershipControls', [`s3:PutBucketOwnershipControls ${bucket}`]]);
    expect(s3('PUT', '/b?logging')).toEqual(['PutBucketLogging', [`s3:PutBucketLogging ${bucket}`]]);
    expect(s3('GET', '/b?acl')).toEqual(['GetBucketAcl', [`s3:GetBucketAcl ${bucket}`]]);
    expect(s3('PUT', '/b?cors')).toEqual(['PutBucketCors', [`s3:PutBucketCORS ${bucket}`]]);
    expect(s3('GET', '/b?notification')).toEqual(['GetBucketNotificationConfiguration', [`s3:GetBucketNotification ${bucket}`]]);
    expect(s3('GET', '/b/k?tagging')).toEqual(['GetObjectTagging', [`s3:GetObjectTagging ${object}`]]);
    expect(s3('PUT', '/b/k?tagging&versionId=v1')).toEqual(['PutObjectTagging', [`s3:PutObjectVersionTagging ${object}`]]);
    expect(s3('DELETE', '/b/k?tagging')).toEqual(['DeleteObjectTagging', [`s3:DeleteObjectTagging ${object}`]]);
    expect(s3('GET', '/b/k?acl')).toEqual(['GetObjectAcl', [`s3:GetObjectAcl ${object}`]]);
    expect(s3('PUT', '/b/k?acl')).toEqual(['PutObjectAcl', [`s3:PutObjectAcl ${object}`]]);
    expect(s3('GET', '/b/k?x-id=GetObject')).toEqual(['GetObject', [`s3:GetObject ${object}`]]);
    expect(s3('PUT', '/b/k', { 'x-amz-copy-source': '/src/a%2Fb.csv' })).toEqual([
      'CopyObject',
      [`s3:PutObject ${object}`, 's3:GetObject arn:aws:s3:::src/a/b.csv'],
    ]);
  });

  test('an S3 request with a query key it does not know is named "unknown", and the call map refuses it', () => {
    const call = nameRequest('GET', '/b/k?torrent', { authorization: auth('s3') }, '');
    expect(call.operation).toBe('unknown GET /<bucket>/<key>?torrent');
    expect(() => mapCall(call, { account: '111111111111' })).toThrow(UnmappedCallError);
    expect(nameRequest('PATCH', '/b?tagging', { authorization: auth('s3') }, '').operation).toBe('unknown PATCH /<bucket>?tagging');
  });
});
