/**
 * Moving an existing deployment's Lambda roles under the bounded path (docs/permissions.md, "Moving
 * an existing deployment"). A role's path forces its replacement (provider: `path` is ForceNew), so
 * the apply that moves a role deletes the role at the root path and creates it under the bounded
 * path. These are the IAM requests of that apply, in the order provider 5.100.0 made them against
 * moto (recorded 2026-12-05 with a role, its aws_iam_role_policy referencing `role.id`, path "/" ->
 * "/<prefix>-bounded/"), plus the function's role change. The apply role of before (fixture
 * apply-policy-root-path.json: the dev apply role's inline policy synthesized from main at c2fd53b,
 * role/<prefix>-* with the boundary) may make all of them; the bounded apply role refuses the
 * deletes at the root path. So the move is applied while the bootstrap still holds the policy of
 * before, and the bootstrap after it.
 */
import { platformConfig } from '../config/environments';
import { deployRoleNames, roleArn } from '../stacks/bootstrap/deploy-roles';
import { ROLE_TAG_KEYS } from '../stacks/bootstrap/iam-guard';
import { boundedRolePath, roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import before from './fixtures/apply-policy-root-path.json';
import { evaluate, type AccessRequest, type Identity } from './evaluate';
import { applyIdentity } from './testing/bootstrap-policies';

const env = platformConfig.environments.find((e) => e.name === 'dev');
if (env === undefined) throw new Error('the shipped config has no dev environment');
const name = `${env.prefix}-health-lambda`;
const atRoot = roleArn(env.accountId, name);
const bounded = roleArn(env.accountId, `${boundedRolePath(env).slice(1)}${name}`);
const boundary = { 'iam:PermissionsBoundary': roleBoundaryArn(env) };
const fn = `arn:aws:lambda:${env.region}:${env.accountId}:function:${env.prefix}-health`;

const MOVE: readonly AccessRequest[] = [
  { action: 'iam:DeleteRolePolicy', resource: atRoot, context: boundary },
  { action: 'iam:ListInstanceProfilesForRole', resource: atRoot },
  { action: 'iam:ListRolePolicies', resource: atRoot },
  { action: 'iam:DeleteRole', resource: atRoot, context: boundary },
  { action: 'iam:CreateRole', resource: bounded, context: boundary },
  { action: 'iam:TagRole', resource: bounded, context: { 'aws:TagKeys': ROLE_TAG_KEYS } },
  { action: 'iam:GetRole', resource: bounded },
  { action: 'iam:PutRolePolicy', resource: bounded, context: boundary },
  { action: 'lambda:UpdateFunctionConfiguration', resource: fn },
  { action: 'iam:PassRole', resource: bounded, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
];

async function refused(identity: Identity): Promise<string[]> {
  const out: string[] = [];
  for (const request of MOVE) if ((await evaluate(identity, request)) !== 'Allowed') out.push(`${request.action} ${request.resource}`);
  return out;
}

test('the apply role of before may make every request of the move', async () => {
  const old: Identity = { arn: roleArn(env.accountId, deployRoleNames(env).apply), policies: [{ name: 'manage-billing-stack', document: before }] };
  await expect(refused(old)).resolves.toEqual([]);
});

test('the bounded apply role refuses the root-path half of the move, and only that', async () => {
  await expect(refused(applyIdentity(env))).resolves.toEqual([
    `iam:DeleteRolePolicy ${atRoot}`,
    `iam:ListInstanceProfilesForRole ${atRoot}`,
    `iam:ListRolePolicies ${atRoot}`,
    `iam:DeleteRole ${atRoot}`,
  ]);
});
