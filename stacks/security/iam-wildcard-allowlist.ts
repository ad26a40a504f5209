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

/** Terraform (apply role) creates, updates, tags and deletes these resources over their whole life. */
const APPLY = 'apply role: Terraform manages the whole lifecycle of the environment-prefixed resources named in Resource';

export const IAM_WILDCARD_EXCEPTIONS: readonly WildcardException[] = [
  { sid: 'Metrics', anyResource: true, why: 'cloudwatch:PutMetricData has no resource-level permissions; the cloudwatch:namespace condition scopes it.' },
  { sid: 'MetricsRead', anyResource: true, why: 'cloudwatch:GetMetricData has no resource-level permissions (read-only).' },
  { sid: 'RandomPassword', anyResource: true, why: 'secretsmanager:GetRandomPassword acts on no resource; AWS only accepts Resource "*".' },
  {
    sid: 'Describe',
    actions: ['cloudwatch:Describe*', 'logs:Describe*'],
    anyResource: true,
    why: 'Describe/list calls Terraform refreshes with are account-wide reads without resource-level permissions.',
  },
  { sid: 'Buckets', actions: ['s3:*'], why: `${APPLY} (buckets and their configuration sub-resources).` },
  { sid: 'OwnRoles', actions: ['iam:*Role', 'iam:*RolePolicy', 'iam:*RolePolicies'], why: `${APPLY} (only roles named <prefix>-*).` },
  { sid: 'Functions', actions: ['lambda:*'], why: `${APPLY} (only functions named <prefix>-*).` },
  { sid: 'LogGroups', actions: ['logs:*'], why: `${APPLY} (only /aws/lambda/<prefix>-* log groups).` },
  {
    sid: 'LogDelivery',
    actions: ['logs:*Delivery*'],
    anyResource: true,
    why: 'apply role: CloudFront v2 log delivery sources, destinations and deliveries get generated ids; the vended-logs APIs also need account-level calls.',
  },
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
