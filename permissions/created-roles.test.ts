/**
 * Every role the billing stacks create (the apply role creates them) carries the environment's
 * permissions boundary and trusts only the services the stacks use (ROLE_SERVICES), never an
 * account, a federated (OIDC) principal or "*". IAM cannot refuse a trust policy by its content
 * (stacks/bootstrap/iam-guard.ts), so this synth-level check is what stops such a trust before
 * merge; the boundary caps it after. And every permission such a role is given lies inside the
 * boundary, or it would be refused only at run time, in AWS.
 */
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { roleArn } from '../stacks/bootstrap/deploy-roles';
import { boundedRolePath, ROLE_SERVICES, roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import { billingStackName } from '../stacks/stack-names';
import { resourcesOf } from '../stacks/testing/synth-platform';
import type { JsonObject, SynthesizedStack } from '../stacks/testing/synth-platform';
import { evaluate, type AccessRequest, type Identity } from './evaluate';
import { boundaryDocument, stacks } from './testing/bootstrap-policies';

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

  test.each(roles.map(([id, role]) => [id, role] as const))('%s lives under the bounded path, the only one the apply role may manage', (_id, role) => {
    expect(role.path).toBe(boundedRolePath(env));
  });
});

interface GrantStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
}

/**
 * Each (action, resource) a role's inline policies grant, with Terraform references resolved to
 * the ARN they will have (log groups only; any other reference fails by name) and a trailing
 * `:*` turned into one log stream of the group.
 */
function grantsOf(synth: SynthesizedStack, env: EnvironmentConfig, roleId: string): AccessRequest[] {
  const logGroups = resourcesOf(synth, 'aws_cloudwatch_log_group');
  const resolve = (resource: string): string =>
    resource
      .replace(/\$\{aws_cloudwatch_log_group\.([^.}]+)\.arn\}/g, (_m, id: string) => {
        const name = logGroups.get(id)?.name;
        if (typeof name !== 'string') throw new Error(`cannot resolve the log group ${id}`);
        return `arn:aws:logs:${env.region}:${env.accountId}:log-group:${name}`;
      })
      .replace(/:\*$/, ':log-stream:sample');
  // The inline policy names its role by name or by id (docs/permissions.md, "Moving an existing deployment").
  const refs = [`\${aws_iam_role.${roleId}.name}`, `\${aws_iam_role.${roleId}.id}`];
  const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) => refs.includes(String(p.role)));
  return policies.flatMap((p) =>
    (JSON.parse(String(p.policy)) as { Statement: GrantStatement[] }).Statement.filter((st) => st.Effect === 'Allow').flatMap((st) =>
      [st.Resource].flat().flatMap((resource) => {
        const concrete = resolve(resource);
        if (concrete.includes('${')) throw new Error(`${roleId}: cannot resolve ${resource}`);
        return [st.Action].flat().map((action) => ({ action, resource: concrete }));
      }),
    ),
  );
}

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('inline policies of the billing-%s roles', (_name, env) => {
  const synth = stacks.get(billingStackName(env.name));
  if (synth === undefined) throw new Error(`no stack ${billingStackName(env.name)}`);
  test.each([...resourcesOf(synth, 'aws_iam_role')].map(([id, role]) => [id, role] as const))('%s: every grant is inside the boundary', async (id, role) => {
    const grants = grantsOf(synth, env, id);
    expect(grants.length).toBeGreaterThan(0);
    const identity: Identity = {
      // The role's ARN carries its path, as synthesized (root when unset).
      arn: roleArn(env.accountId, `${typeof role.path === 'string' ? role.path.slice(1) : ''}${String(role.name)}`),
      policies: [
        { name: 'own', document: { Version: '2012-10-17', Statement: grants.map((g) => ({ Effect: 'Allow', Action: g.action, Resource: g.resource })) } },
      ],
      boundary: boundaryDocument(env),
    };
    for (const grant of grants) {
      expect({ ...grant, decision: await evaluate(identity, grant) }).toEqual({ ...grant, decision: 'Allowed' });
    }
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
