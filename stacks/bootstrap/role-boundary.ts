/**
 * The permissions boundary of every role the apply role creates (today: the Lambda execution
 * roles of stacks/billing/api/handlers.ts). A boundary caps what a role can do whatever policies
 * it carries: the effective permissions are the intersection of its identity policies and the
 * boundary (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
 * The bootstrap creates it, one managed policy per environment; the apply role may create and
 * change roles only when this is their boundary and may never change or version the policy
 * itself (iam-guard.ts).
 *
 * The boundary allows only what the stacks' roles need: a Lambda function writes its own log
 * group; GET /usage's function reads the key registry object and the customer usage summaries. A role that needs more widens this list in the bootstrap, applied by an administrator;
 * never by the apply role.
 */
import type { EnvironmentConfig } from '../../config/types';
import type { PolicyStatement } from '../shared/iam';
import { usageLookupObjectArns } from '../billing/api/usage-lookup';

/** Name of the environment's boundary policy, e.g. ubb-dev-role-boundary. */
export function roleBoundaryName(env: Pick<EnvironmentConfig, 'prefix'>): string {
  return `${env.prefix}-role-boundary`;
}

/** ARN of the boundary; customer managed policies have no region (arn:aws:iam::<account>:policy/<name>). */
export function roleBoundaryArn(env: Pick<EnvironmentConfig, 'prefix' | 'accountId'>): string {
  return `arn:aws:iam::${env.accountId}:policy/${roleBoundaryName(env)}`;
}

/**
 * The IAM path of every role the apply role creates, e.g. /ubb-dev-bounded/. The apply role's IAM
 * permissions name only role/<prefix>-bounded/* (iam-guard.ts), and the deploy roles live at the
 * root path, so no grant of the apply role can ever name a deploy role, whatever its name. A role's
 * ARN carries its path (arn:aws:iam::<account>:role/<path><name>) and IAM authorizes role actions
 * against that ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns);
 * a role name is unique in the account whatever its path, so a bounded role can never take a
 * deploy role's name.
 */
export function boundedRolePath(env: Pick<EnvironmentConfig, 'prefix'>): string {
  return `/${env.prefix}-bounded/`;
}

/** Every role under the bounded path: arn:aws:iam::<account>:role/<prefix>-bounded/*. */
export function boundedRolesArn(env: Pick<EnvironmentConfig, 'prefix' | 'accountId'>): string {
  return `arn:aws:iam::${env.accountId}:role${boundedRolePath(env)}*`;
}

/** The services whose roles the stacks create; a created role may trust (and be passed to) only these. */
export const ROLE_SERVICES: readonly string[] = ['lambda.amazonaws.com'];

/** The most any role the apply role creates may ever do. */
export function roleBoundaryStatements(env: Pick<EnvironmentConfig, 'name' | 'prefix' | 'accountId' | 'region'>): PolicyStatement[] {
  return [
    {
      Sid: 'OwnLambdaLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:aws:logs:${env.region}:${env.accountId}:log-group:/aws/lambda/${env.prefix}-*`,
    },
    // GET /usage (stacks/billing/api/usage-lookup.ts): the registry object and the customer usage summaries, read only.
    { Sid: 'UsageLookupReads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: usageLookupObjectArns(env) },
  ];
}
