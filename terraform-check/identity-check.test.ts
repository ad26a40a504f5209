import { platformConfig } from '../config/environments';
import type { RecordedCall } from '../permissions/recorded-call';
import { bootstrapDriftTargets } from '../stacks/bootstrap/bootstrap-drift-role';
import { synthPlatform } from '../stacks/testing/synth-platform';
import { bootstrapDriftIdentity, judgeCalls, stackRoleBoundary, stackRolePaths, verdictProblems } from './identity-check';

const nobody = { arn: 'arn:aws:iam::111111111111:role/nobody', policies: [] };

describe('identity check', () => {
  test('a phase that recorded no call fails: a recording that silently broke never passes as "0 denied"', async () => {
    const verdict = await judgeCalls('apply', nobody, [], { account: '111111111111' });
    expect(verdict.denied).toEqual([]);
    expect(verdictProblems(verdict)).toEqual([expect.stringMatching(/^apply: no AWS call was recorded; .*the recording broke/)]);
  });

  test('a phase with calls has no recording problem', async () => {
    const call = { service: 'STS', operation: 'GetCallerIdentity', httpMethod: 'POST', url: '/', body: 'Action=GetCallerIdentity', region: 'eu-west-1' };
    const verdict = await judgeCalls('plan', nobody, [call], { account: '111111111111' });
    expect(verdictProblems(verdict)).toEqual([]);
    expect(verdict.calls).toBe(1);
  });

  test('role paths come from the synthesized roles (root when unset); a computed name or path is an error', () => {
    const stack = { resource: { aws_iam_role: { a: { name: 'ubb-dev-a', path: '/ubb-dev-bounded/' }, b: { name: 'ubb-dev-b' } } } };
    expect([...stackRolePaths(stack)]).toEqual([
      ['ubb-dev-a', '/ubb-dev-bounded/'],
      ['ubb-dev-b', '/'],
    ]);
    expect(() => stackRolePaths({ resource: { aws_iam_role: { c: { name: '${var.x}' } } } })).toThrow(/aws_iam_role\.c: the role has no literal name/);
    expect(() => stackRolePaths({ resource: { aws_iam_role: { d: { name: 'n', path: '${var.p}' } } } })).toThrow(
      /aws_iam_role\.d: the role's path is not a literal/,
    );
  });

  describe('bootstrap refresh under the drift role', () => {
    const stacks = synthPlatform(platformConfig, 'local');
    const query = (operation: string, params: Record<string, string>): RecordedCall => ({
      service: 'IAM',
      operation,
      httpMethod: 'POST',
      url: '/',
      body: new URLSearchParams({ Action: operation, ...params, Version: '2010-05-08' }).toString(),
      region: 'us-east-1',
    });
    /** The reads a refresh of the stack makes (the provider's reads of what it manages, as plan-2 records them). */
    function refreshCalls(json: Record<string, unknown>, accountId: string): RecordedCall[] {
      const resources = json.resource as Record<string, Record<string, Record<string, unknown>>>;
      const roles = Object.values(resources.aws_iam_role ?? {}).map((r) => String(r.name));
      const policies = Object.values(resources.aws_iam_policy ?? {}).map((p) => `arn:aws:iam::${accountId}:policy${String(p.path ?? '/')}${String(p.name)}`);
      const oidc = Object.values(resources.aws_iam_openid_connect_provider ?? {}).map(
        (o) => `arn:aws:iam::${accountId}:oidc-provider/${String(o.url).replace(/^https:\/\//, '')}`,
      );
      return [
        ...roles.flatMap((RoleName) => [
          query('GetRole', { RoleName }),
          query('ListRolePolicies', { RoleName }),
          query('ListAttachedRolePolicies', { RoleName }),
          query('GetRolePolicy', { RoleName, PolicyName: 'p' }),
        ]),
        ...policies.flatMap((PolicyArn) => [query('GetPolicy', { PolicyArn }), query('GetPolicyVersion', { PolicyArn, VersionId: 'v1' })]),
        ...oidc.map((OpenIDConnectProviderArn) => query('GetOpenIDConnectProvider', { OpenIDConnectProviderArn })),
      ];
    }

    test.each(bootstrapDriftTargets(platformConfig).map((t) => [t.stack, t]))(
      '%s: the drift role built from the synthesized stack allows every refresh read, and no write',
      async (_name, target) => {
        const json = stacks.get(target.stack)?.json as Record<string, unknown>;
        const identity = bootstrapDriftIdentity(target.stack, json, platformConfig, target.accountId);
        expect(identity.arn).toBe(target.roleArn);
        const boundary = stackRoleBoundary(json, target.accountId);
        const context = { account: target.accountId, rolePaths: stackRolePaths(json), ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}) };
        const calls = refreshCalls(json, target.accountId);
        expect(calls.length).toBeGreaterThan(4);
        const verdict = await judgeCalls('plan-2', identity, calls, context);
        expect(verdictProblems(verdict)).toEqual([]);
        const roleName = String(Object.values((json.resource as Record<string, Record<string, Record<string, unknown>>>).aws_iam_role)[0].name);
        const write = await judgeCalls('plan-2', identity, [query('PutRolePolicy', { RoleName: roleName, PolicyName: 'p', PolicyDocument: '{}' })], context);
        expect(write.denied).toEqual([expect.stringMatching(/^plan-2: ubb-github-bootstrap-drift denied iam:PutRolePolicy on arn:aws:iam::\d+:role\//)]);
      },
    );
  });
});
