/**
 * Issue 17, part 2: the apply role cannot make itself (or anyone) more than it is. Each attempt is
 * one IAM request an escalation needs, decided by the real evaluator (evaluate.ts) against the
 * apply role's policy as the bootstrap stack synthesizes it. Every attempt must be denied; the
 * calls the stacks need must stay allowed (so the matrix cannot pass by denying everything); and
 * the same matrix run against the policy of before (fixtures/apply-policy-before.json: the dev
 * apply role's inline policy synthesized from main at 3d24cf1) finds the known paths, which proves
 * it can fail.
 *
 * The trust policy a role is created with is not in any request context (IAM has no condition key
 * on it; stacks/bootstrap/iam-guard.ts), so "create a role that trusts another account" is, to
 * IAM, the same CreateRole request as any other. Without the boundary it is denied; with it, it is
 * allowed, and the attempts "through a bounded role" show what anyone trusted by such a role gets:
 * nothing beyond the boundary. permissions/created-roles.test.ts checks the trust of every role
 * the stacks synthesize.
 */
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { deployRoleNames, roleArn } from '../stacks/bootstrap/deploy-roles';
import { applyRoleIamStatements } from '../stacks/bootstrap/iam-guard';
import { ROLE_TAG_KEYS } from '../stacks/bootstrap/iam-guard';
import { boundedRolePath, roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import { billingStackName } from '../stacks/stack-names';
import before from './fixtures/apply-policy-before.json';
import { evaluate, type AccessRequest, type Identity, type PolicyDocument } from './evaluate';
import { applyIdentity, boundaryDocument } from './testing/bootstrap-policies';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const LAMBDA_BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

interface Attempt {
  readonly attempt: string;
  readonly request: AccessRequest;
  /** The policy of before allowed it: a known escalation path (issue 17, part 2). */
  readonly knownPathBefore: boolean;
}

/** Everything an escalation through the apply role needs, for one environment. */
/** A role under the environment's bounded path, where the apply role creates its roles. */
function bounded(env: EnvironmentConfig, name: string): string {
  return roleArn(env.accountId, `${boundedRolePath(env).slice(1)}${env.prefix}-${name}`);
}

function escalations(env: EnvironmentConfig): Attempt[] {
  const own = (name: string) => bounded(env, name);
  const atRoot = (name: string) => roleArn(env.accountId, `${env.prefix}-${name}`);
  const boundary = roleBoundaryArn(env);
  const apply = roleArn(env.accountId, deployRoleNames(env).apply);
  const withBoundary = { 'iam:PermissionsBoundary': boundary };
  return [
    { attempt: 'create an admin role without the boundary', request: { action: 'iam:CreateRole', resource: own('admin') }, knownPathBefore: true },
    {
      attempt: 'create a role with AdministratorAccess as its boundary',
      request: { action: 'iam:CreateRole', resource: own('admin'), context: { 'iam:PermissionsBoundary': ADMIN } },
      knownPathBefore: true,
    },
    {
      attempt: 'create a role that trusts another account (without the boundary: to IAM the same request as any CreateRole)',
      request: { action: 'iam:CreateRole', resource: own('backdoor') },
      knownPathBefore: true,
    },
    {
      attempt: "rewrite an environment role's trust policy to trust another account",
      request: { action: 'iam:UpdateAssumeRolePolicy', resource: own('health-lambda'), context: withBoundary },
      knownPathBefore: true,
    },
    {
      attempt: "rewrite the apply role's own trust policy",
      request: { action: 'iam:UpdateAssumeRolePolicy', resource: apply },
      knownPathBefore: false,
    },
    {
      attempt: 'put an inline admin policy on a role without the boundary',
      request: { action: 'iam:PutRolePolicy', resource: own('legacy') },
      knownPathBefore: true,
    },
    { attempt: 'put an inline admin policy on the apply role', request: { action: 'iam:PutRolePolicy', resource: apply }, knownPathBefore: false },
    {
      attempt: 'attach AdministratorAccess to an environment role that has the boundary',
      request: { action: 'iam:AttachRolePolicy', resource: own('health-lambda'), context: { ...withBoundary, 'iam:PolicyARN': ADMIN } },
      knownPathBefore: true,
    },
    {
      attempt: 'attach AdministratorAccess to a role without the boundary',
      request: { action: 'iam:AttachRolePolicy', resource: own('legacy'), context: { 'iam:PolicyARN': ADMIN } },
      knownPathBefore: true,
    },
    {
      attempt: 'attach AdministratorAccess to the apply role',
      request: { action: 'iam:AttachRolePolicy', resource: apply, context: { 'iam:PolicyARN': ADMIN } },
      knownPathBefore: false,
    },
    {
      attempt: 'remove the boundary from an environment role (DeleteRolePermissionsBoundary)',
      request: { action: 'iam:DeleteRolePermissionsBoundary', resource: own('health-lambda'), context: withBoundary },
      knownPathBefore: false,
    },
    {
      attempt: "replace an environment role's boundary with AdministratorAccess",
      request: { action: 'iam:PutRolePermissionsBoundary', resource: own('health-lambda'), context: { 'iam:PermissionsBoundary': ADMIN } },
      knownPathBefore: false,
    },
    { attempt: 'make a new version of the boundary policy', request: { action: 'iam:CreatePolicyVersion', resource: boundary }, knownPathBefore: false },
    {
      attempt: 'make another version of the boundary the default',
      request: { action: 'iam:SetDefaultPolicyVersion', resource: boundary },
      knownPathBefore: false,
    },
    { attempt: 'delete the boundary policy', request: { action: 'iam:DeletePolicy', resource: boundary }, knownPathBefore: false },
    {
      attempt: 'create a managed policy (to attach, or to use as a boundary)',
      request: { action: 'iam:CreatePolicy', resource: `arn:aws:iam::${env.accountId}:policy/${env.prefix}-admin` },
      knownPathBefore: false,
    },
    {
      attempt: 'pass an environment role to EC2',
      request: { action: 'iam:PassRole', resource: own('health-lambda'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      knownPathBefore: true,
    },
    {
      attempt: 'pass the apply role to Lambda',
      request: { action: 'iam:PassRole', resource: apply, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      knownPathBefore: false,
    },
    {
      attempt: 'create an IAM user (long-lived keys)',
      request: { action: 'iam:CreateUser', resource: `arn:aws:iam::${env.accountId}:user/${env.prefix}-ci` },
      knownPathBefore: false,
    },
    {
      attempt: 'trust another audience on the GitHub OIDC provider',
      request: {
        action: 'iam:AddClientIDToOpenIDConnectProvider',
        resource: `arn:aws:iam::${env.accountId}:oidc-provider/token.actions.githubusercontent.com`,
      },
      knownPathBefore: false,
    },
    {
      attempt: 'create an OIDC provider for another issuer',
      request: { action: 'iam:CreateOpenIDConnectProvider', resource: `arn:aws:iam::${env.accountId}:oidc-provider/attacker.example.com` },
      knownPathBefore: false,
    },
    {
      attempt: 'create a role outside the bounded path (role/<prefix>-x at the root), even with the boundary',
      request: { action: 'iam:CreateRole', resource: atRoot('x'), context: withBoundary },
      knownPathBefore: true,
    },
    {
      attempt: "update the apply role's own inline policy, even with the boundary in the request",
      request: { action: 'iam:PutRolePolicy', resource: apply, context: withBoundary },
      knownPathBefore: false,
    },
    {
      attempt: 'pass the apply role itself to Lambda (a function that runs as the apply role)',
      request: {
        action: 'iam:PassRole',
        resource: apply,
        context: {
          'iam:PassedToService': 'lambda.amazonaws.com',
          'iam:AssociatedResourceArn': `arn:aws:lambda:${env.region}:${env.accountId}:function:${env.prefix}-x`,
        },
      },
      knownPathBefore: false,
    },
    {
      attempt: 'pass an environment role for a function of another team (where Lambda sets iam:AssociatedResourceArn)',
      request: {
        action: 'iam:PassRole',
        resource: own('health-lambda'),
        context: {
          'iam:PassedToService': 'lambda.amazonaws.com',
          'iam:AssociatedResourceArn': `arn:aws:lambda:${env.region}:${env.accountId}:function:ops-admin`,
        },
      },
      knownPathBefore: false,
    },
    {
      attempt: 'tag an environment role with a key outside the standard tags',
      request: { action: 'iam:TagRole', resource: own('health-lambda'), context: { 'aws:TagKeys': ['project', 'access-level'] } },
      knownPathBefore: false,
    },
    {
      attempt: 'remove a tag outside the standard tags from an environment role',
      request: { action: 'iam:UntagRole', resource: own('health-lambda'), context: { 'aws:TagKeys': ['access-level'] } },
      knownPathBefore: false,
    },
    {
      attempt: 'tag a deploy role (the apply role itself)',
      request: { action: 'iam:TagRole', resource: apply, context: { 'aws:TagKeys': ['project'] } },
      knownPathBefore: false,
    },
    {
      attempt: 'create a role outside the environment prefix, even with the boundary',
      request: { action: 'iam:CreateRole', resource: roleArn(env.accountId, 'ops-admin'), context: withBoundary },
      knownPathBefore: false,
    },
  ];
}

/** What the stacks need (Terraform's calls for the Lambda execution roles). */
function needed(env: EnvironmentConfig): { readonly call: string; readonly request: AccessRequest }[] {
  const role = bounded(env, 'health-lambda');
  const withBoundary = { 'iam:PermissionsBoundary': roleBoundaryArn(env) };
  return [
    { call: 'create a Lambda role with the boundary', request: { action: 'iam:CreateRole', resource: role, context: withBoundary } },
    { call: 'tag it on create with the standard tags', request: { action: 'iam:TagRole', resource: role, context: { 'aws:TagKeys': ROLE_TAG_KEYS } } },
    { call: 'remove a standard tag', request: { action: 'iam:UntagRole', resource: role, context: { 'aws:TagKeys': ['managed-by'] } } },
    { call: 'put its inline policy', request: { action: 'iam:PutRolePolicy', resource: role, context: withBoundary } },
    { call: 'read it back', request: { action: 'iam:GetRole', resource: role } },
    {
      call: 'give a role created before the boundary existed the boundary',
      request: { action: 'iam:PutRolePermissionsBoundary', resource: role, context: withBoundary },
    },
    { call: 'pass it to Lambda', request: { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } } },
    {
      call: 'pass it to Lambda for an environment function (where Lambda sets iam:AssociatedResourceArn)',
      request: {
        action: 'iam:PassRole',
        resource: role,
        context: {
          'iam:PassedToService': 'lambda.amazonaws.com',
          'iam:AssociatedResourceArn': `arn:aws:lambda:${env.region}:${env.accountId}:function:${env.prefix}-health`,
        },
      },
    },
    { call: 'delete its inline policy', request: { action: 'iam:DeleteRolePolicy', resource: role, context: withBoundary } },
    { call: 'delete it', request: { action: 'iam:DeleteRole', resource: role, context: withBoundary } },
  ];
}

/** A role the apply role could create with the boundary, an admin inline policy and a trust naming anyone. */
function backdoor(env: EnvironmentConfig): Identity {
  const admin: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  return { arn: bounded(env, 'backdoor'), policies: [{ name: 'admin', document: admin }], boundary: boundaryDocument(env) };
}

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('the %s apply role', (_name, env) => {
  const identity = applyIdentity(env);

  test.each(escalations(env).map((a) => [a.attempt, a] as const))('denies: %s', async (_attempt, a) => {
    await expect(evaluate(identity, a.request)).resolves.not.toBe('Allowed');
  });

  test.each(needed(env).map((n) => [n.call, n] as const))('allows what the stacks need: %s', async (_call, n) => {
    await expect(evaluate(identity, n.request)).resolves.toBe('Allowed');
  });

  describe('through a role it may create with the boundary, an admin policy and any trust', () => {
    const role = backdoor(env);
    const state = `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/${billingStackName('prod')}/terraform.tfstate`;
    test.each([
      ['create another role', { action: 'iam:CreateRole', resource: roleArn(env.accountId, `${env.prefix}-next`) }],
      ['read the prod state', { action: 's3:GetObject', resource: state }],
      ['assume the apply role', { action: 'sts:AssumeRole', resource: roleArn(env.accountId, deployRoleNames(env).apply) }],
      ['change a function', { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${env.region}:${env.accountId}:function:${env.prefix}-health` }],
    ] as const)('anyone it trusts is denied: %s', async (_what, request) => {
      await expect(evaluate(role, request)).resolves.toBe('ImplicitlyDenied');
    });

    test('and may only write the environment’s Lambda logs', async () => {
      const stream = `arn:aws:logs:${env.region}:${env.accountId}:log-group:/aws/lambda/${env.prefix}-health:log-stream:2026/12/04/abc`;
      await expect(evaluate(role, { action: 'logs:PutLogEvents', resource: stream })).resolves.toBe('Allowed');
    });
  });
});

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('the %s apply role with a later, wide iam:* Allow added', (_name, env) => {
  // The Deny statements exist so that a wider Allow cannot undo the limits (iam-guard.ts): each
  // attempt they deny today must stay denied when the role is also given iam:* on *.
  const identity = applyIdentity(env);
  const widened: Identity = {
    ...identity,
    policies: [...identity.policies, { name: 'wide', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] } }],
  };

  test('every attempt explicitly denied today stays explicitly denied', async () => {
    const held: string[] = [];
    for (const a of escalations(env)) {
      if ((await evaluate(identity, a.request)) !== 'ExplicitlyDenied') continue;
      expect({ attempt: a.attempt, decision: await evaluate(widened, a.request) }).toEqual({ attempt: a.attempt, decision: 'ExplicitlyDenied' });
      held.push(a.attempt);
    }
    expect(held.length).toBeGreaterThanOrEqual(10);
  });
});

describe('the attach allow-list (iam:PolicyARN), when it is not empty', () => {
  const env = platformConfig.environments[0];
  const boundary = roleBoundaryArn(env);
  const identity: Identity = {
    arn: roleArn(env.accountId, deployRoleNames(env).apply),
    policies: [
      {
        name: 'iam',
        document: {
          Version: '2012-10-17',
          Statement: applyRoleIamStatements({ env, boundaryArn: boundary, protectedRoleArns: [], attachablePolicyArns: [LAMBDA_BASIC] }),
        },
      },
    ],
  };
  const role = bounded(env, 'health-lambda');

  test('allows an allow-listed policy on a role with the boundary', async () => {
    const context = { 'iam:PermissionsBoundary': boundary, 'iam:PolicyARN': LAMBDA_BASIC };
    await expect(evaluate(identity, { action: 'iam:AttachRolePolicy', resource: role, context })).resolves.toBe('Allowed');
  });

  test('denies any other policy, and an allow-listed one on a role without the boundary', async () => {
    await expect(
      evaluate(identity, { action: 'iam:AttachRolePolicy', resource: role, context: { 'iam:PermissionsBoundary': boundary, 'iam:PolicyARN': ADMIN } }),
    ).resolves.toBe('ExplicitlyDenied');
    await expect(evaluate(identity, { action: 'iam:AttachRolePolicy', resource: role, context: { 'iam:PolicyARN': LAMBDA_BASIC } })).resolves.toBe(
      'ExplicitlyDenied',
    );
  });
});

describe('the policy of before (fixtures/apply-policy-before.json): the matrix finds the escalations', () => {
  const env = platformConfig.environments.find((e) => e.name === 'dev');
  if (env === undefined) throw new Error('the shipped config has no dev environment');
  // The fixture was synthesized when the state bucket was in the dev account; the IAM statements do not depend on it.
  const old: Identity = { arn: roleArn(env.accountId, deployRoleNames(env).apply), policies: [{ name: 'manage-billing-stack', document: before }] };
  const known = escalations(env).filter((a) => a.knownPathBefore);

  test('lists the known paths of issue 17 (create, trust, inline admin, attach AdministratorAccess, pass to EC2)', () => {
    expect(known.length).toBeGreaterThanOrEqual(7);
  });

  test.each(known.map((a) => [a.attempt, a] as const))('allowed before: %s', async (_attempt, a) => {
    await expect(evaluate(old, a.request)).resolves.toBe('Allowed');
  });
});
