import { CALL_MAP, mapCall, UnmappedCallError } from './call-map';
import { evaluate } from './evaluate';
import type { RecordedCall } from './recorded-call';

const context = { account: '111111111111', athenaWorkgroup: 'ubb-dev-usage' };
const call = (service: string, operation: string, httpMethod: string, url: string, body = '', extra: Partial<RecordedCall> = {}): RecordedCall => ({
  service,
  operation,
  httpMethod,
  url,
  body,
  region: 'eu-west-1',
  ...extra,
});

/** One call per kind of row, shaped as the provider's log and the recording proxy record them. */
const SAMPLES: RecordedCall[] = [
  call('S3', 'HeadBucket', 'HEAD', 'http://127.0.0.1:5000/ubb-dev-cf-logs-111111111111'),
  call('S3', 'PutObject', 'PUT', '/ubb-dev-usage-111111111111/invoices/2026-12.csv', '', { headers: { 'if-none-match': '*' } }),
  call('API Gateway', 'GetUsagePlan', 'GET', 'http://127.0.0.1:5000/usageplans/u1v2w3'),
  call('API Gateway', 'CreateResource', 'POST', 'http://127.0.0.1:5000/restapis/a1b2c3/resources/r0'),
  call('API Gateway', 'CreateDeployment', 'POST', 'http://127.0.0.1:5000/restapis/a1b2c3/deployments'),
  call('EventBridge', 'PutRule', 'POST', '/', '{"Name":"ubb-dev-quota-notices-to-alarms","Tags":[{"Key":"project","Value":"usage-billing"}]}'),
  call('EventBridge', 'PutEvents', 'POST', '/', '{"Entries":[{"Source":"ubb-dev.quota","DetailType":"x","Detail":"{}"}]}'),
  call(
    'CloudWatch Logs',
    'PutDeliverySource',
    'POST',
    '/',
    '{"name":"ubb-dev-cf-access-logs","logType":"ACCESS_LOGS","resourceArn":"arn:aws:cloudfront::111111111111:distribution/E2X"}',
  ),
  call(
    'CloudWatch Logs',
    'CreateDelivery',
    'POST',
    '/',
    '{"deliverySourceName":"s","deliveryDestinationArn":"arn:aws:logs:us-east-1:111111111111:delivery-destination:d"}',
  ),
  call('CloudWatch Logs', 'DeleteDeliverySource', 'POST', '/', '{"name":"s"}'),
  call(
    'Lambda',
    'CreateFunction',
    'POST',
    '/2015-03-31/functions',
    '{"FunctionName":"ubb-dev-data","Role":"arn:aws:iam::111111111111:role/ubb-dev-data-lambda","Code":{"ZipFile":"UEsDBBQ"},"Tags":{"project":"usage-billing"}}',
  ),
  call(
    'SNS',
    'GetSubscriptionAttributes',
    'POST',
    '/',
    'Action=GetSubscriptionAttributes&SubscriptionArn=arn%3Aaws%3Asns%3Aeu-west-1%3A111111111111%3Aubb-dev-usage-alarms%3A0b1c&Version=2010-03-31',
  ),
  call('CloudWatch', 'PutMetricData', 'POST', '/', 'Action=PutMetricData&Namespace=UsageBilling%2Fdev&Version=2010-08-01'),
  call('CloudWatch', 'DescribeAlarms', 'POST', '/', 'Action=DescribeAlarms&AlarmNames.member.1=ubb-dev-log-shortfall&Version=2010-08-01'),
  call(
    'Glue',
    'CreateTable',
    'POST',
    '/',
    '{"CatalogId":"111111111111","DatabaseName":"ubb_dev_logs","TableInput":{"Description":"d","Name":"cloudfront_logs","Parameters":{"a\n[truncated...]',
  ),
  call('Athena', 'GetQueryExecution', 'POST', '/', '{"QueryExecutionId":"q1"}'),
  call('CloudFront', 'CreateDistributionWithTags', 'POST', '/2020-05-31/distribution?WithTags', '<DistributionConfigWithTags/>'),
  call('Secrets Manager', 'GetRandomPassword', 'POST', '/', '{"PasswordLength":64}'),
  call('STS', 'GetCallerIdentity', 'POST', '/', 'Action=GetCallerIdentity&Version=2011-06-15'),
  call('IAM', 'GetPolicyVersion', 'POST', '/', 'Action=GetPolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Apolicy%2Fubb-dev-boundary&VersionId=v1'),
  call(
    'IAM',
    'GetOpenIDConnectProvider',
    'POST',
    '/',
    'Action=GetOpenIDConnectProvider&OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Aoidc-provider%2Ftoken.actions.githubusercontent.com',
  ),
  call('Marketplace Metering', 'BatchMeterUsage', 'POST', '/', '{"UsageRecords":[]}'),
];

describe('call map', () => {
  test('maps calls to the IAM action and resource AWS authorizes, implicit checks included', () => {
    const actions = (c: RecordedCall) => mapCall(c, context).map((n) => `${n.action} ${n.resource}${n.context ? ` ${JSON.stringify(n.context)}` : ''}`);
    expect(actions(SAMPLES[0])).toEqual(['s3:ListBucket arn:aws:s3:::ubb-dev-cf-logs-111111111111']);
    expect(actions(SAMPLES[1])).toEqual(['s3:PutObject arn:aws:s3:::ubb-dev-usage-111111111111/invoices/2026-12.csv {"s3:if-none-match":"*"}']);
    expect(actions(SAMPLES[2])).toEqual(['apigateway:GET arn:aws:apigateway:eu-west-1::/usageplans/u1v2w3']);
    expect(actions(SAMPLES[3])).toEqual(['apigateway:POST arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/resources']);
    expect(actions(SAMPLES[5])).toEqual([
      'events:PutRule arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-quota-notices-to-alarms',
      'events:TagResource arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-quota-notices-to-alarms',
    ]);
    expect(actions(SAMPLES[6])).toEqual(['events:PutEvents arn:aws:events:eu-west-1:111111111111:event-bus/default {"events:source":"ubb-dev.quota"}']);
    expect(actions(SAMPLES[7])).toContain('cloudfront:AllowVendedLogDeliveryForResource arn:aws:cloudfront::111111111111:distribution/E2X');
    expect(actions(SAMPLES[10])).toContain('iam:PassRole arn:aws:iam::111111111111:role/ubb-dev-data-lambda {"iam:PassedToService":"lambda.amazonaws.com"}');
    expect(actions(SAMPLES[10])).toContain('lambda:TagResource arn:aws:lambda:eu-west-1:111111111111:function:ubb-dev-data');
    expect(actions(SAMPLES[11])).toEqual(['sns:GetSubscriptionAttributes arn:aws:sns:eu-west-1:111111111111:ubb-dev-usage-alarms']);
    expect(actions(SAMPLES[14])).toContain('glue:CreateTable arn:aws:glue:eu-west-1:111111111111:table/ubb_dev_logs/cloudfront_logs');
    expect(actions(SAMPLES[15])).toEqual(['athena:GetQueryExecution arn:aws:athena:eu-west-1:111111111111:workgroup/ubb-dev-usage']);
    expect(actions(SAMPLES[18])).toEqual([]);
    expect(actions(SAMPLES[19])).toEqual(['iam:GetPolicyVersion arn:aws:iam::111111111111:policy/ubb-dev-boundary']);
    expect(actions(SAMPLES[SAMPLES.length - 1] as RecordedCall)).toEqual(['aws-marketplace:BatchMeterUsage *']);
    expect(actions(SAMPLES[20])).toEqual(['iam:GetOpenIDConnectProvider arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com']);
  });

  test('every mapped action and ARN is one AWS service authorization data knows (iam-data, via the evaluator)', async () => {
    const nobody = { arn: 'arn:aws:iam::111111111111:role/nobody', policies: [] };
    const refused: string[] = [];
    for (const sample of SAMPLES) for (const need of mapCall(sample, context)) await evaluate(nobody, need).catch((e: Error) => refused.push(e.message));
    expect(refused).toEqual([]);
  });

  test('a call without a row fails naming it', () => {
    expect(() => mapCall(call('SQS', 'CreateQueue', 'POST', '/', '{}'), context)).toThrow(UnmappedCallError);
    expect(() => mapCall(call('SQS', 'CreateQueue', 'POST', '/', '{}'), context)).toThrow(/^SQS CreateQueue \(POST \/\): no row in permissions\/call-map\.ts/);
  });

  test('a row that yields no IAM request fails naming the call, unless it says the call needs none', () => {
    const noNames = call('CloudWatch', 'DescribeAlarms', 'POST', '/', 'Action=DescribeAlarms&Version=2010-08-01');
    expect(() => mapCall(noNames, context)).toThrow(UnmappedCallError);
    expect(() => mapCall(noNames, context)).toThrow(/^CloudWatch DescribeAlarms: its row in permissions\/call-map\.ts yields no IAM request/);
    expect(() => mapCall(call('EventBridge', 'PutEvents', 'POST', '/', '{"Entries":[]}'), context)).toThrow(UnmappedCallError);
    expect(mapCall(call('STS', 'GetCallerIdentity', 'POST', '/', 'Action=GetCallerIdentity'), context)).toEqual([]);
  });

  test('a call whose request lacks the parameter its ARN needs fails naming it', () => {
    expect(() => mapCall(call('EventBridge', 'PutRule', 'POST', '/', '{}'), context)).toThrow(/EventBridge PutRule: the request carries no Name/);
  });

  test('a role call is judged on the role ARN with its path: from the request (CreateRole) or from the stack (every other call)', () => {
    const bounded = 'arn:aws:iam::111111111111:role/ubb-dev-bounded/ubb-dev-data-lambda';
    const withPaths = { ...context, rolePaths: new Map([['ubb-dev-data-lambda', '/ubb-dev-bounded/']]) };
    const create = call(
      'IAM',
      'CreateRole',
      'POST',
      '/',
      'Action=CreateRole&Path=%2Fubb-dev-bounded%2F&RoleName=ubb-dev-data-lambda&Tags.member.1.Key=project&Tags.member.1.Value=p&Tags.member.2.Key=environment&Tags.member.2.Value=dev&Version=2010-05-08',
    );
    expect(mapCall(create, context)).toEqual([
      { action: 'iam:CreateRole', resource: bounded },
      { action: 'iam:TagRole', resource: bounded, context: { 'aws:TagKeys': ['environment', 'project'] } },
    ]);
    const untag = call('IAM', 'UntagRole', 'POST', '/', 'Action=UntagRole&RoleName=ubb-dev-data-lambda&TagKeys.member.1=owner&Version=2010-05-08');
    expect(mapCall(untag, withPaths)).toEqual([{ action: 'iam:UntagRole', resource: bounded, context: { 'aws:TagKeys': ['owner'] } }]);
    const get = call('IAM', 'GetRole', 'POST', '/', 'Action=GetRole&RoleName=ubb-dev-data-lambda&Version=2010-05-08');
    expect(mapCall(get, withPaths)).toEqual([{ action: 'iam:GetRole', resource: bounded }]);
    expect(mapCall(get, context)).toEqual([{ action: 'iam:GetRole', resource: 'arn:aws:iam::111111111111:role/ubb-dev-data-lambda' }]);
  });

  test('a cut CreateRole body that lost its tags fails rather than guess aws:TagKeys', () => {
    const cutAfterName = call('IAM', 'CreateRole', 'POST', '/', 'Action=CreateRole&RoleName=ubb-dev-x&AssumeRolePolicyDocument=%7B%22V [truncated...]');
    expect(() => mapCall(cutAfterName, context)).toThrow(/aws:TagKeys is unknown/);
  });

  test('every row names an https source', () => {
    for (const [key, row] of Object.entries(CALL_MAP)) expect({ key, ok: row.source.startsWith('https://') }).toEqual({ key, ok: true });
  });
});
