import { judgeCalls, stackRolePaths, verdictProblems } from './identity-check';

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
});
