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
 * group. A role that needs more widens this list in the bootstrap, applied by an administrator;
 * never by the apply role.
 */
import type { EnvironmentConfig } from '../../config/types';
import type { PolicyStatement } from '../shared/iam';

/** Name of the environment's boundary policy, e.g. ubb-dev-role-boundary. */
export function roleBoundaryName(env: Pick<EnvironmentConfig, 'prefix'>): string {
  return `${env.prefix}-role-boundary`;
}

/** ARN of the boundary; customer managed policies have no region (arn:aws:iam::<account>:policy/<name>). */
export function roleBoundaryArn(env: Pick<EnvironmentConfig, 'prefix' | 'accountId'>): string {
  return `arn:aws:iam::${env.accountId}:policy/${roleBoundaryName(env)}`;
}

/** The services whose roles the stacks create; a created role may trust (and be passed to) only these. */
export const ROLE_SERVICES: readonly string[] = ['lambda.amazonaws.com'];

/** The most any role the apply role creates may ever do. */
export function roleBoundaryStatements(env: Pick<EnvironmentConfig, 'prefix' | 'accountId' | 'region'>): PolicyStatement[] {
  return [
    {
      Sid: 'OwnLambdaLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:aws:logs:${env.region}:${env.accountId}:log-group:/aws/lambda/${env.prefix}-*`,
    },
  ];
}
