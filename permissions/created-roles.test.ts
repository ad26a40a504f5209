/**
 * Every role the billing stacks create (the apply role creates them) carries the environment's
 * permissions boundary and trusts only the services the stacks use (ROLE_SERVICES), never an
 * account, a federated (OIDC) principal or "*". IAM cannot refuse a trust policy by its content
 * (stacks/bootstrap/iam-guard.ts), so this synth-level check is what stops such a trust before
 * merge; the boundary caps it after.
 */
import { platformConfig } from '../config/environments';
import { ROLE_SERVICES, roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import { billingStackName } from '../stacks/stack-names';
import { resourcesOf } from '../stacks/testing/synth-platform';
import type { JsonObject } from '../stacks/testing/synth-platform';
import { stacks } from './testing/bootstrap-policies';

interface TrustStatement {
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | string[];
}

/** Why a role's trust policy is not acceptable; empty when it trusts only ROLE_SERVICES. */
function trustProblems(trustPolicy: string): string[] {
  const doc = JSON.parse(trustPolicy) as { Statement: TrustStatement | TrustStatement[] };
  const problems: string[] = [];
  for (const s of [doc.Statement].flat()) {
    if (s.Effect !== 'Allow') continue;
    if (s.NotPrincipal !== undefined) problems.push('Allow with NotPrincipal');
    const principal = s.Principal;
    if (principal === null || typeof principal !== 'object') {
      problems.push(`principal ${JSON.stringify(principal)}`);
      continue;
    }
    for (const [kind, value] of Object.entries(principal as Record<string, unknown>)) {
      for (const who of [value].flat().map(String)) {
        if (kind !== 'Service' || !ROLE_SERVICES.includes(who)) problems.push(`trusts ${kind} ${who}`);
      }
    }
    for (const action of [s.Action].flat()) if (action !== 'sts:AssumeRole') problems.push(`action ${String(action)}`);
  }
  return problems;
}

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('roles of billing-%s', (_name, env) => {
  const synth = stacks.get(billingStackName(env.name));
  if (synth === undefined) throw new Error(`no stack ${billingStackName(env.name)}`);
  const roles: [string, JsonObject][] = [...resourcesOf(synth, 'aws_iam_role')];

  test('the stack creates roles (the check has something to judge)', () => {
    expect(roles.length).toBeGreaterThan(0);
  });

  test.each(roles.map(([id, role]) => [id, role] as const))('%s carries the boundary and trusts only the stack services', (_id, role) => {
    expect(role.permissions_boundary).toBe(roleBoundaryArn(env));
    expect(trustProblems(String(role.assume_role_policy))).toEqual([]);
  });
});

describe('the trust check', () => {
  const doc = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
  test('refuses another account, a federated subject, "*" and another service', () => {
    expect(trustProblems(doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }))).toEqual([
      'trusts AWS arn:aws:iam::999999999999:root',
    ]);
    expect(
      trustProblems(
        doc({
          Effect: 'Allow',
          Principal: { Federated: 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
        }),
      ),
    ).toEqual(['trusts Federated arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com', 'action sts:AssumeRoleWithWebIdentity']);
    expect(trustProblems(doc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }))).toEqual(['principal "*"']);
    expect(trustProblems(doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }))).toEqual([
      'trusts Service ec2.amazonaws.com',
    ]);
  });
});
