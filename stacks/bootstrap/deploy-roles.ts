/**
 * Per environment, the three roles GitHub Actions assumes through OIDC, each trusted only for the
 * configured repository (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services):
 * - plan: read-only, usable from pull requests and main (plans every environment on a PR);
 * - apply: only from jobs that run in the environment's GitHub deployment environment
 *   (`environment: <env>`; limit that environment to the main branch in the repository settings);
 * - usage job: Athena, Glue read, log bucket read, results and usage bucket write, PutMetricData
 *   in its own namespace, PutEvents of its quota notices (its own source, default event bus), API
 *   Gateway GET of usage plans and their usage. It can read the fingerprint map in the usage
 *   bucket, never API key values (no GET on /apikeys).
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { metricsNamespace } from '../../contracts/metrics';
import { quotaNoticeSource } from '../../contracts/quota-notice';
import { resourceNames } from '../../contracts/resource-names';
import type { EnvironmentConfig, GitHubConfig } from '../../config/types';
import { policyDocument, s3BucketArn } from '../shared/iam';
import type { PolicyStatement } from '../shared/iam';
import { billingStackName } from '../stack-names';
import { stateKey } from '../shared/backend';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export interface DeployRoleNames {
  readonly plan: string;
  readonly apply: string;
  readonly usageJob: string;
}

export function deployRoleNames(env: Pick<EnvironmentConfig, 'prefix'>): DeployRoleNames {
  return { plan: `${env.prefix}-github-plan`, apply: `${env.prefix}-github-apply`, usageJob: `${env.prefix}-github-usage-job` };
}

export function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

function githubTrust(providerArn: string, subjects: readonly string[]): string {
  return policyDocument([
    {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com' },
        StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects },
      },
    },
  ]);
}

/** State object and its lock file (use_lockfile writes <key>.tflock beside the state). */
function stateStatements(stateBucket: string, env: string, write: boolean): PolicyStatement[] {
  const key = stateKey(billingStackName(env));
  const bucketArn = s3BucketArn(stateBucket);
  return [
    { Sid: 'StateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [key, `${key}.tflock`] } } },
    { Sid: 'StateRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/${key}` },
    {
      Sid: 'StateWrite',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:GetObject'],
      Resource: write ? [`${bucketArn}/${key}`, `${bucketArn}/${key}.tflock`] : `${bucketArn}/${key}.tflock`,
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

  constructor(scope: Construct, id: string, props: DeployRolesProps) {
    super(scope, id);
    const { env, github } = props;
    const names = deployRoleNames(env);
    const repo = `repo:${github.owner}/${github.repo}`;
    const main = `${repo}:ref:refs/heads/${github.mainBranch}`;
    const deployEnvironment = `${repo}:environment:${env.name}`;
    const account = env.accountId;
    const region = env.region;
    const r = resourceNames(env);

    this.plan = new IamRole(this, 'plan', {
      name: names.plan,
      description: `GitHub Actions: terraform plan of ${billingStackName(env.name)} (read-only)`,
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [`${repo}:pull_request`, main]),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, 'plan-read-only', { role: this.plan.name, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    new IamRolePolicy(this, 'plan-policy', {
      role: this.plan.name,
      name: 'state-and-secret-read',
      policy: policyDocument([
        ...stateStatements(props.stateBucket, env.name, false),
        // The origin-secret seed (data source) is read on every plan.
        { Sid: 'RandomPassword', Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
        // Refreshing the origin-secret version reads its value (ReadOnlyAccess does not include it).
        {
          Sid: 'OriginSecretRead',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: `arn:aws:secretsmanager:${region}:${account}:secret:${env.prefix}-origin-secret-*`,
        },
      ]),
    });

    this.apply = new IamRole(this, 'apply', {
      name: names.apply,
      description: `GitHub Actions: terraform apply of ${billingStackName(env.name)} (jobs in the ${env.name} environment only)`,
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [deployEnvironment]),
      maxSessionDuration: 3600,
    });
    new IamRolePolicy(this, 'apply-policy', {
      role: this.apply.name,
      name: 'manage-billing-stack',
      policy: policyDocument([
        ...stateStatements(props.stateBucket, env.name, true),
        { Sid: 'Buckets', Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${env.prefix}-*`, `arn:aws:s3:::${env.prefix}-*/*`] },
        {
          Sid: 'OwnRoles',
          Effect: 'Allow',
          Action: [
            'iam:*Role',
            'iam:*RolePolicy',
            'iam:*RolePolicies',
            'iam:TagRole',
            'iam:UntagRole',
            'iam:ListRoleTags',
            'iam:PassRole',
            'iam:ListAttachedRolePolicies',
            'iam:ListInstanceProfilesForRole',
          ],
          Resource: `arn:aws:iam::${account}:role/${env.prefix}-*`,
        },
        { Sid: 'Functions', Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:${region}:${account}:function:${env.prefix}-*` },
        { Sid: 'LogGroups', Effect: 'Allow', Action: 'logs:*', Resource: [`arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${env.prefix}-*`] },
        {
          Sid: 'LogDelivery',
          Effect: 'Allow',
          Action: ['logs:*Delivery*', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', 'logs:DescribeLogGroups'],
          Resource: '*',
        },
        // CloudFront ARNs carry the account but no region; API Gateway ARNs carry the region but no
        // account (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html,
        // .../list_amazonapigatewaymanagement.html). Ids are generated, so the scope is the account/region.
        { Sid: 'CloudFront', Effect: 'Allow', Action: 'cloudfront:*', Resource: `arn:aws:cloudfront::${account}:*` },
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
        { Sid: 'Topic', Effect: 'Allow', Action: 'sns:*', Resource: `arn:aws:sns:${region}:${account}:${r.alarmTopic}` },
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
      assumeRolePolicy: githubTrust(props.oidcProviderArn, [main, deployEnvironment]),
      maxSessionDuration: 3600,
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
      ]),
    });
  }
}
