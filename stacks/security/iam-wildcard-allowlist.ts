/**
 * The only places an Allow statement may use a wildcard in an action or `Resource: "*"`, each with
 * the reason. Matched on the statement's Sid, so a new statement never inherits an exception.
 * `Action: "*"` is never allowed. Reviewed file: every entry needs a one-line justification.
 */
export interface WildcardException {
  /** Sid of the statement. */
  readonly sid: string;
  /** Wildcard actions allowed in that statement (exact strings as written). */
  readonly actions?: readonly string[];
  /** True when the statement may use Resource "*". */
  readonly anyResource?: boolean;
  readonly why: string;
}

/** The plan role reads what a refresh of the billing stack reads (stacks/bootstrap/deploy-roles.ts). */
const REFRESH = "plan role: read-only calls a Terraform refresh makes, scoped to the environment's names in Resource";

/** Terraform (apply role) creates, updates, tags and deletes these resources over their whole life. */
const APPLY = 'apply role: Terraform manages the whole lifecycle of the environment-prefixed resources named in Resource';

export const IAM_WILDCARD_EXCEPTIONS: readonly WildcardException[] = [
  { sid: 'Metrics', anyResource: true, why: 'cloudwatch:PutMetricData has no resource-level permissions; the cloudwatch:namespace condition scopes it.' },
  { sid: 'MetricsRead', anyResource: true, why: 'cloudwatch:GetMetricData has no resource-level permissions (read-only).' },
  {
    sid: 'CloudFrontCreate',
    anyResource: true,
    why: 'cloudfront:CreateDistribution and CreateFunction have no resource type (SAR list_amazoncloudfront.html): only Resource "*" grants them.',
  },
  { sid: 'RandomPassword', anyResource: true, why: 'secretsmanager:GetRandomPassword acts on no resource; AWS only accepts Resource "*".' },
  {
    sid: 'MarketplaceMetering',
    anyResource: true,
    why: 'usage-job role: aws-marketplace:BatchMeterUsage has no resource type (SAR list_awsmarketplacemeteringservice.html): only Resource "*" grants it.',
  },
  {
    sid: 'MarketplaceResolveCustomer',
    anyResource: true,
    why: 'keys operator: aws-marketplace:ResolveCustomer has no resource type (SAR list_awsmarketplacemeteringservice.html): only Resource "*" grants it.',
  },
  {
    sid: 'Describe',
    actions: ['cloudwatch:Describe*', 'logs:Describe*'],
    anyResource: true,
    why: 'Describe/list calls Terraform refreshes with are account-wide reads without resource-level permissions.',
  },
  {
    sid: 'RefreshBuckets',
    actions: ['s3:Get*'],
    why: `${REFRESH} (bucket configuration reads on the three environment buckets; no object ARN, so no object read).`,
  },
  {
    sid: 'RefreshCloudFront',
    actions: ['cloudfront:Get*', 'cloudfront:List*'],
    why: `${REFRESH} (distribution, function and policy reads in the account's CloudFront ARNs; ids are generated).`,
  },
  {
    sid: 'RefreshFunctions',
    actions: ['lambda:Get*', 'lambda:List*'],
    why: `${REFRESH} (function configuration, policy, versions and tags of <prefix>-* functions).`,
  },
  {
    sid: 'RefreshLogs',
    actions: ['logs:Describe*'],
    anyResource: true,
    why: 'plan role: logs:Describe* (DescribeLogGroups) has no resource type, so only Resource "*" grants it; read-only.',
  },
  { sid: 'Buckets', actions: ['s3:*'], why: `${APPLY} (buckets and their configuration sub-resources).` },
  {
    sid: 'BootstrapStateBucketRead',
    actions: ['s3:Get*'],
    why: 'bootstrap drift role: configuration reads of the state bucket a refresh makes; bucket ARN only, so no object is read.',
  },
  { sid: 'Functions', actions: ['lambda:*'], why: `${APPLY} (only functions named <prefix>-*).` },
  { sid: 'LogGroups', actions: ['logs:*'], why: `${APPLY} (only /aws/lambda/<prefix>-* log groups).` },
  {
    sid: 'CloudFront',
    actions: ['cloudfront:*'],
    why: "apply role: distributions, functions and policies get generated ids; scoped to the account's CloudFront ARNs.",
  },
  {
    sid: 'ApiGateway',
    actions: ['apigateway:*'],
    why: "apply role: REST APIs, keys and usage plans get generated ids; scoped to the region's API Gateway ARNs.",
  },
  { sid: 'Catalog', actions: ['glue:*'], why: `${APPLY} (the environment's Glue database and table).` },
  { sid: 'Workgroup', actions: ['athena:*'], why: `${APPLY} (the environment's workgroup).` },
  { sid: 'Topic', actions: ['sns:*'], why: `${APPLY} (the environment's alarm topic).` },
  { sid: 'AlarmsAndDashboard', actions: ['cloudwatch:*Alarm*', 'cloudwatch:*Dashboard*'], why: `${APPLY} (alarms and dashboard named <prefix>-*).` },
  { sid: 'OriginSecret', actions: ['secretsmanager:*'], why: `${APPLY} (the environment's origin secret).` },
];
