/**
 * Read-back of a billing stack: what Terraform created, through the AWS SDK against moto, compared
 * with the environment's configuration (config/environments.ts) and the contracts
 * (docs/contracts.md). Secret values (the origin secret, API key values) are compared, never printed.
 */
import { stackRolePaths } from './identity-check';
import {
  GetApiKeysCommand,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { GetWorkGroupCommand } from '@aws-sdk/client-athena';
import {
  DescribeFunctionCommand,
  DescribeKeyValueStoreCommand,
  GetDistributionCommand,
  GetFunctionCommand as GetCloudFrontFunctionCommand,
  ListDistributionsCommand,
} from '@aws-sdk/client-cloudfront';
import { DescribeAlarmsCommand, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDeliveriesCommand, DescribeLogGroupsCommand, GetDeliveryDestinationCommand, GetDeliverySourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetTableCommand } from '@aws-sdk/client-glue';
import { GetFunctionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { METRICS, metricsNamespace, THRESHOLD_DIMENSION } from '../contracts/metrics';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../contracts/origin-secret';
import { resourceNames } from '../contracts/resource-names';
import { USAGE_JOB_DEPLOYMENT_KEY, usageJobDeployment, type DeployedUsagePlan } from '../contracts/usage-job-deployment';
import { configuredSinkNames } from '../config/sinks';
import type { EnvironmentConfig } from '../config/types';
import { HANDLERS } from '../lambdas/bundle';
import { viewerRequestCode } from '../cf-functions/function-code';
import { DELIVERY_SUFFIX_PATH, hourPrefix, LOG_RECORD_FIELDS, PARTITION_KEYS } from '../sql/log-columns';
import { API_ROUTES, STAGE_NAME } from '../stacks/billing/api/rest-api';
import {
  MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER,
  MANAGED_CACHING_DISABLED,
  MANAGED_SECURITY_HEADERS,
  VIEWER_REQUEST_FUNCTION_FILE,
} from '../stacks/billing/edge/distribution';
import { logDeliverySourceName } from '../stacks/billing/logs/log-buckets';
import { distributionLogLocation, glueColumns, locationTemplate } from '../stacks/billing/logs/log-table';
import { ATHENA_ENGINE_VERSION } from '../stacks/billing/logs/workgroup';
import { quotaAlarmName, sinkBehindAlarmName } from '../stacks/billing/monitoring/alarms';
import { dashboardBody } from '../stacks/billing/monitoring/dashboard';
import { repoPath } from '../stacks/shared/repo';
import type { AwsClients } from './aws-clients';
import { decodePolicy } from './read-back-common';
import type { Findings } from './findings';
import { blocksOf, type JsonObject } from './terraform-json';
import type { StateIndex } from './terraform-state';

export interface BillingReadBack {
  readonly distributionId: string;
  readonly restApiId: string;
  /** The usage plans Terraform created, by configured name. */
  readonly usagePlans: Readonly<Record<string, DeployedUsagePlan>>;
}

interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

function statements(doc: unknown): PolicyStatement[] {
  const list = (doc as { Statement?: PolicyStatement | PolicyStatement[] } | undefined)?.Statement;
  return list === undefined ? [] : Array.isArray(list) ? list : [list];
}

/** IAM-style wildcard match (`*` any run of characters, `?` one character). */
export function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

function single<T>(f: Findings, what: string, items: readonly T[]): T | undefined {
  f.that(`exactly one ${what}`, items.length === 1, `found ${items.length}`);
  return items.length === 1 ? items[0] : undefined;
}

async function bodyText(body: { transformToString(): Promise<string> } | undefined): Promise<string | undefined> {
  return body === undefined ? undefined : body.transformToString();
}

export async function readBackBilling(env: EnvironmentConfig, stack: JsonObject, state: StateIndex, aws: AwsClients, f: Findings): Promise<BillingReadBack> {
  const names = resourceNames(env);
  const account = env.accountId;
  const region = env.region;

  // Origin secret: generated once, compared with where it is used, never printed.
  const secret = await f.read('the origin secret', () => aws.secrets.send(new GetSecretValueCommand({ SecretId: `${env.prefix}-origin-secret` })));
  const secretValue = secret?.SecretString;
  f.that('the origin secret is 48 letters and digits', typeof secretValue === 'string' && /^[A-Za-z0-9]{48}$/.test(secretValue));

  // REST API, routes, integrations, stage throttling.
  const apis = await f.read('REST APIs', () => aws.apiGateway.send(new GetRestApisCommand({ limit: 500 })));
  const api = single(
    f,
    `REST API named ${env.prefix}-api`,
    (apis?.items ?? []).filter((a) => a.name === `${env.prefix}-api`),
  );
  const restApiId = api?.id ?? '';
  f.equal('REST API endpoint types', api?.endpointConfiguration?.types, ['REGIONAL']);
  f.equal('REST API key source', api?.apiKeySource, 'HEADER');
  const resources = await f.read('REST API resources', () => aws.apiGateway.send(new GetResourcesCommand({ restApiId, limit: 500 })));
  const functionArns = new Map<string, string>();
  for (const spec of HANDLERS) {
    const fn = await f.read(`Lambda function ${env.prefix}-${spec.name}`, () =>
      aws.lambda.send(new GetFunctionCommand({ FunctionName: `${env.prefix}-${spec.name}` })),
    );
    const config = fn?.Configuration;
    functionArns.set(spec.name, config?.FunctionArn ?? '');
    const configured = blocksOf(stack).find((b) => b.type === 'aws_lambda_function' && b.body.function_name === `${env.prefix}-${spec.name}`)?.body;
    f.equal(`${env.prefix}-${spec.name} runtime`, config?.Runtime, configured?.runtime);
    f.equal(`${env.prefix}-${spec.name} architectures`, config?.Architectures, configured?.architectures);
    f.equal(
      `${env.prefix}-${spec.name} handler, memory, timeout`,
      [config?.Handler, config?.MemorySize, config?.Timeout],
      [configured?.handler, configured?.memory_size, configured?.timeout],
    );
    // The role's ARN carries its IAM path (the bounded path, docs/permissions.md), as the stack sets it.
    const roleName = `${env.prefix}-${spec.name}-lambda`;
    const rolePath = stackRolePaths(stack).get(roleName) ?? '/';
    f.equal(`${env.prefix}-${spec.name} role`, config?.Role, `arn:aws:iam::${account}:role${rolePath}${roleName}`);
    // The origin secret for every handler; GET /usage's function also gets where its registry and summaries are.
    const configuredVariables = (configured?.environment as { variables?: Record<string, unknown> } | undefined)?.variables;
    f.equal(
      `${env.prefix}-${spec.name} environment variable names`,
      Object.keys(config?.Environment?.Variables ?? {}).sort(),
      Object.keys(configuredVariables ?? { [ORIGIN_SECRET_ENV]: '' }).sort(),
    );
    for (const [name, value] of Object.entries(configuredVariables ?? {})) {
      if (name !== ORIGIN_SECRET_ENV) f.equal(`${env.prefix}-${spec.name} ${name}`, config?.Environment?.Variables?.[name], value);
    }
    f.that(
      `${env.prefix}-${spec.name} ${ORIGIN_SECRET_ENV} is the origin secret`,
      secretValue !== undefined && config?.Environment?.Variables?.[ORIGIN_SECRET_ENV] === secretValue,
    );
    const policy = await f.read(`resource policy of ${env.prefix}-${spec.name}`, () =>
      aws.lambda.send(new GetPolicyCommand({ FunctionName: `${env.prefix}-${spec.name}` })),
    );
    const granted = statements(policy?.Policy === undefined ? undefined : JSON.parse(policy.Policy));
    for (const route of API_ROUTES.filter((r) => r.handler === spec.name)) {
      const sid = `api-${route.method.toLowerCase()}-${route.path}`;
      const s = granted.find((x) => x.Sid === sid);
      f.equal(`${env.prefix}-${spec.name} permission ${sid}`, s && [s.Effect, s.Principal, s.Action, s.Resource], [
        'Allow',
        { Service: 'apigateway.amazonaws.com' },
        'lambda:InvokeFunction',
        config?.FunctionArn,
      ]);
      f.equal(
        `${env.prefix}-${spec.name} permission ${sid} source`,
        s?.Condition?.ArnLike?.['AWS:SourceArn'],
        `arn:aws:execute-api:${region}:${account}:${restApiId}/*/${route.method}/${route.path}`,
      );
      const resource = (resources?.items ?? []).find((r) => r.path === `/${route.path}`);
      f.that(`route /${route.path} exists`, resource !== undefined);
      const method = await f.read(`${route.method} /${route.path}`, () =>
        aws.apiGateway.send(new GetMethodCommand({ restApiId, resourceId: resource?.id ?? '', httpMethod: route.method })),
      );
      f.equal(
        `${route.method} /${route.path} key required, authorization`,
        [method?.apiKeyRequired, method?.authorizationType],
        [route.apiKeyRequired, 'NONE'],
      );
      const integration = await f.read(`${route.method} /${route.path} integration`, () =>
        aws.apiGateway.send(new GetIntegrationCommand({ restApiId, resourceId: resource?.id ?? '', httpMethod: route.method })),
      );
      f.equal(
        `${route.method} /${route.path} integration`,
        [integration?.type, integration?.httpMethod, integration?.uri],
        ['AWS_PROXY', 'POST', `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${config?.FunctionArn}/invocations`],
      );
    }
  }
  const stage = await f.read(`stage ${STAGE_NAME}`, () => aws.apiGateway.send(new GetStageCommand({ restApiId, stageName: STAGE_NAME })));
  const throttle = stage?.methodSettings?.['*/*'];
  f.equal(
    `stage ${STAGE_NAME} default throttle`,
    [throttle?.throttlingRateLimit, throttle?.throttlingBurstLimit],
    [env.stageThrottle.rateLimit, env.stageThrottle.burstLimit],
  );
  for (const route of API_ROUTES) {
    if (route.throttle === undefined) continue;
    const own = stage?.methodSettings?.[`${route.path}/${route.method}`];
    f.equal(
      `stage ${STAGE_NAME} throttle of ${route.method} /${route.path}`,
      [own?.throttlingRateLimit, own?.throttlingBurstLimit],
      [route.throttle.rateLimit, route.throttle.burstLimit],
    );
  }

  const groups = await f.read('Lambda log groups', () => aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${env.prefix}-` })));
  f.equal(
    'Lambda log groups and retention',
    (groups?.logGroups ?? []).map((g) => [g.logGroupName, g.retentionInDays]).sort(),
    HANDLERS.map((h) => [`/aws/lambda/${env.prefix}-${h.name}`, env.logRetentionDays]).sort(),
  );

  // Usage plans; Terraform makes no API key and binds none (customers are registry data, keys CLI).
  const plans = await f.read('usage plans', () => aws.apiGateway.send(new GetUsagePlansCommand({ limit: 500 })));
  const keys = await f.read('API keys', () => aws.apiGateway.send(new GetApiKeysCommand({ includeValues: true, limit: 500 })));
  f.equal(
    'API keys after apply (Terraform makes none)',
    (keys?.items ?? []).map((k) => k.name),
    [],
  );
  const usagePlans: Record<string, DeployedUsagePlan> = {};
  for (const [planName, plan] of Object.entries(env.usagePlans)) {
    const found = single(
      f,
      `usage plan ${env.prefix}-${planName}`,
      (plans?.items ?? []).filter((p) => p.name === `${env.prefix}-${planName}`),
    );
    usagePlans[planName] = { usagePlanId: found?.id ?? '', monthlyQuota: plan.monthlyQuota };
    f.equal(`usage plan ${planName} quota`, [found?.quota?.limit, found?.quota?.period], [plan.monthlyQuota, 'MONTH']);
    f.equal(`usage plan ${planName} throttle`, [found?.throttle?.rateLimit, found?.throttle?.burstLimit], [plan.rateLimit, plan.burstLimit]);
    f.equal(
      `usage plan ${planName} stages`,
      found?.apiStages?.map((s) => [s.apiId, s.stage]),
      [[restApiId, STAGE_NAME]],
    );
    const attached = await f.read(`keys of usage plan ${planName}`, () =>
      aws.apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: found?.id ?? '', limit: 500 })),
    );
    f.equal(`keys of usage plan ${planName} after apply (Terraform binds none)`, attached?.items ?? [], []);
  }

  // CloudFront: the distribution in front of the API, the edge function.
  const list = await f.read('distributions', () => aws.cloudFront.send(new ListDistributionsCommand({})));
  const summary = single(
    f,
    `distribution "${env.prefix}: metered API (${env.name})"`,
    (list?.DistributionList?.Items ?? []).filter((d) => d.Comment === `${env.prefix}: metered API (${env.name})`),
  );
  const distributionId = summary?.Id ?? '';
  const distribution = await f.read(`distribution ${distributionId}`, () => aws.cloudFront.send(new GetDistributionCommand({ Id: distributionId })));
  const dc = distribution?.Distribution?.DistributionConfig;
  const origin = dc?.Origins?.Items?.[0];
  f.equal('distribution origin', [origin?.DomainName, origin?.OriginPath], [`${restApiId}.execute-api.${region}.amazonaws.com`, `/${STAGE_NAME}`]);
  const header = origin?.CustomHeaders?.Items?.find((h) => h.HeaderName === ORIGIN_SECRET_HEADER);
  f.that(`distribution sends ${ORIGIN_SECRET_HEADER} with the origin secret`, secretValue !== undefined && header?.HeaderValue === secretValue);
  const behavior = dc?.DefaultCacheBehavior;
  f.equal(
    'distribution default behaviour policies',
    [behavior?.ViewerProtocolPolicy, behavior?.CachePolicyId, behavior?.OriginRequestPolicyId, behavior?.ResponseHeadersPolicyId],
    ['https-only', MANAGED_CACHING_DISABLED, MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER, MANAGED_SECURITY_HEADERS],
  );
  const fnName = `${env.prefix}-viewer-request`;
  const described = await f.read(`CloudFront function ${fnName}`, () =>
    aws.cloudFront.send(new DescribeFunctionCommand({ Name: fnName, Stage: 'DEVELOPMENT' })),
  );
  f.equal(`CloudFront function ${fnName} runtime`, described?.FunctionSummary?.FunctionConfig?.Runtime, 'cloudfront-js-2.0');
  // The edge key store exists and is the function's one association (its entries belong to the keys CLI).
  const kvsName = `${env.prefix}-edge-keys`;
  const kvs = await f.read(`key value store ${kvsName}`, () => aws.cloudFront.send(new DescribeKeyValueStoreCommand({ Name: kvsName })));
  f.equal(
    `CloudFront function ${fnName} is associated with key value store ${kvsName}`,
    described?.FunctionSummary?.FunctionConfig?.KeyValueStoreAssociations?.Items?.map((a) => a.KeyValueStoreARN),
    [kvs?.KeyValueStore?.ARN],
  );
  const code = await f.read(`code of ${fnName}`, () => aws.cloudFront.send(new GetCloudFrontFunctionCommand({ Name: fnName, Stage: 'DEVELOPMENT' })));
  f.that(
    `CloudFront function ${fnName} code is ${VIEWER_REQUEST_FUNCTION_FILE} with edgeKeyCheck ${env.edgeKeyCheck ?? 'enforce'}`,
    code?.FunctionCode !== undefined &&
      Buffer.from(code.FunctionCode).toString('utf8') === viewerRequestCode(env.edgeKeyCheck ?? 'enforce', repoPath(VIEWER_REQUEST_FUNCTION_FILE)),
  );

  // Log delivery -> log bucket -> Glue table: the delivery may write exactly where the table reads.
  const source = await f.read('log delivery source', () => aws.globalLogs.send(new GetDeliverySourceCommand({ name: logDeliverySourceName(env) })));
  f.equal('log delivery source', [source?.deliverySource?.resourceArns, source?.deliverySource?.logType], [[distribution?.Distribution?.ARN], 'ACCESS_LOGS']);
  const deliveries = await f.read('log deliveries', () => aws.globalLogs.send(new DescribeDeliveriesCommand({})));
  const delivery = single(
    f,
    'log delivery of the source',
    (deliveries?.deliveries ?? []).filter((d) => d.deliverySourceName === logDeliverySourceName(env)),
  );
  f.equal('log delivery record fields', delivery?.recordFields, [...LOG_RECORD_FIELDS]);
  f.equal(
    'log delivery S3 path',
    [delivery?.s3DeliveryConfiguration?.suffixPath, delivery?.s3DeliveryConfiguration?.enableHiveCompatiblePath],
    [DELIVERY_SUFFIX_PATH, true],
  );
  const destination = await f.read('log delivery destination', () =>
    aws.globalLogs.send(new GetDeliveryDestinationCommand({ name: `${env.prefix}-cf-logs-s3` })),
  );
  f.equal(
    'log delivery destination',
    [destination?.deliveryDestination?.arn, destination?.deliveryDestination?.outputFormat],
    [delivery?.deliveryDestinationArn, 'parquet'],
  );
  const destinationBucketArn = destination?.deliveryDestination?.deliveryDestinationConfiguration?.destinationResourceArn;
  f.equal('log delivery destination bucket', destinationBucketArn, `arn:aws:s3:::${names.logBucket}`);

  const logPolicy = await f.read('log bucket policy', () => aws.s3.send(new GetBucketPolicyCommand({ Bucket: names.logBucket })));
  const write = statements(decodePolicy(logPolicy?.Policy)).find((s) => s.Sid === 'AWSLogDeliveryWrite');
  f.equal(
    'log bucket policy: who may write',
    [write?.Effect, write?.Principal, write?.Action],
    ['Allow', { Service: 'delivery.logs.amazonaws.com' }, 's3:PutObject'],
  );
  f.equal('log bucket policy: only for this account', write?.Condition?.StringEquals?.['aws:SourceAccount'], account);
  const sourceArnPattern = write?.Condition?.ArnLike?.['aws:SourceArn'];
  f.that(
    'log bucket policy: only for this delivery source',
    typeof sourceArnPattern === 'string' && source?.deliverySource?.arn !== undefined && globMatches(sourceArnPattern, source.deliverySource.arn),
    `${String(sourceArnPattern)} vs ${String(source?.deliverySource?.arn)}`,
  );
  const table = await f.read('Glue table', () => aws.glue.send(new GetTableCommand({ DatabaseName: names.glueDatabase, Name: names.glueTable })));
  const location = table?.Table?.StorageDescriptor?.Location ?? '';
  f.equal('Glue table location', location, distributionLogLocation(names.logBucket, account, distributionId));
  const writable = typeof write?.Resource === 'string' ? write.Resource : '';
  // One delivered hour as contract 3 lays it out: it must lie under the table's location, and the
  // policy must let the delivery write it, and nothing outside AWSLogs/ of the delivery's bucket.
  const deliveredObject = `s3://${names.logBucket}/${hourPrefix(account, distributionId, new Date(Date.UTC(2026, 0, 31, 23)))}${distributionId}.part.parquet`;
  f.that('a delivered hour of logs (contract 3) lies under the Glue table location', location !== '' && deliveredObject.startsWith(location), deliveredObject);
  f.that('log bucket policy lets the delivery write it', globMatches(writable, `arn:aws:s3:::${deliveredObject.slice('s3://'.length)}`), writable);
  f.that(
    'log bucket policy lets the delivery write nothing outside AWSLogs/ of the delivery bucket',
    destinationBucketArn !== undefined && writable === `${destinationBucketArn}/AWSLogs/*`,
    writable,
  );
  f.equal(
    'Glue table location template',
    table?.Table?.Parameters?.['storage.location.template'],
    locationTemplate(names.logBucket, account, distributionId).replace(/\$\$\{/g, '${'),
  );
  f.equal(
    'Glue table columns',
    table?.Table?.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type]),
    glueColumns().map((c) => [c.name, c.type]),
  );
  f.equal(
    'Glue table partition keys',
    table?.Table?.PartitionKeys?.map((c) => [c.Name, c.Type]),
    PARTITION_KEYS.map((k) => [k, 'int']),
  );

  const workgroup = await f.read('Athena workgroup', () => aws.athena.send(new GetWorkGroupCommand({ WorkGroup: names.athenaWorkgroup })));
  const wc = workgroup?.WorkGroup?.Configuration;
  f.equal(
    'Athena workgroup configuration',
    [
      workgroup?.WorkGroup?.State,
      wc?.EnforceWorkGroupConfiguration,
      wc?.BytesScannedCutoffPerQuery,
      wc?.ResultConfiguration?.OutputLocation,
      wc?.ResultConfiguration?.EncryptionConfiguration?.EncryptionOption,
      wc?.EngineVersion?.SelectedEngineVersion,
    ],
    ['ENABLED', true, env.usageJob.athenaBytesScannedCutoff, `s3://${names.athenaResultsBucket}/results/`, 'SSE_S3', ATHENA_ENGINE_VERSION],
  );

  // The usage-job deployment file Terraform wrote: usage plan ids and where the registry is, no key.
  const object = await f.read('usage-job deployment file', () =>
    aws.s3.send(new GetObjectCommand({ Bucket: names.usageBucket, Key: USAGE_JOB_DEPLOYMENT_KEY })),
  );
  const text = await bodyText(object?.Body);
  f.equal('usage-job deployment file', text === undefined ? undefined : JSON.parse(text), usageJobDeployment(env, distributionId, usagePlans));

  // Alarms to the topic, the dashboard.
  const topicArn = `arn:aws:sns:${region}:${account}:${names.alarmTopic}`;
  await f.read('alarm topic', () => aws.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn })));
  const subscriptions = await f.read('alarm topic subscriptions', () => aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn })));
  f.equal(
    'alarm topic e-mail subscriptions',
    (subscriptions?.Subscriptions ?? []).map((s) => [s.Protocol, s.Endpoint]).sort(),
    env.alarms.emails.map((e) => ['email', e]).sort(),
  );
  const alarms = await f.read('alarms', () => aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${env.prefix}-`, MaxRecords: 100 })));
  const expectedQuota = env.alarms.quotaPercentThresholds.map((p) => ({ name: quotaAlarmName(env.prefix, p), threshold: p }));
  f.equal(
    'alarm names',
    (alarms?.MetricAlarms ?? []).map((a) => a.AlarmName).sort(),
    [
      ...expectedQuota.map((q) => q.name),
      `${env.prefix}-unattributed-share`,
      `${env.prefix}-log-shortfall`,
      `${env.prefix}-usage-job-heartbeat`,
      ...configuredSinkNames(env).map((sink) => sinkBehindAlarmName(env.prefix, sink)),
    ].sort(),
  );
  for (const alarm of alarms?.MetricAlarms ?? []) {
    f.equal(`alarm ${alarm.AlarmName} actions`, [alarm.AlarmActions, alarm.Namespace], [[topicArn], metricsNamespace(env.name)]);
    const quota = expectedQuota.find((q) => q.name === alarm.AlarmName);
    if (quota !== undefined) {
      // A crossing notifies; going back to OK an hour later does not.
      f.equal(
        `alarm ${alarm.AlarmName} metric`,
        [alarm.MetricName, alarm.Dimensions?.map((d) => [d.Name, d.Value]), alarm.Threshold, alarm.OKActions ?? []],
        [METRICS.quotaNoticesSent.name, [[THRESHOLD_DIMENSION, String(quota.threshold)]], 1, []],
      );
    } else {
      f.equal(`alarm ${alarm.AlarmName} OK actions`, alarm.OKActions, [topicArn]);
    }
  }
  const dashboard = await f.read('dashboard', () => aws.cloudWatch.send(new GetDashboardCommand({ DashboardName: names.dashboard })));
  f.equal(
    'dashboard body',
    dashboard?.DashboardBody === undefined ? undefined : JSON.parse(dashboard.DashboardBody),
    JSON.parse(dashboardBody(env, distributionId)),
  );

  return { distributionId, restApiId, usagePlans };
}
