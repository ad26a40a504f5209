/**
 * Walks every IAM policy document in every synthesized stack. Fails on `Action: "*"`, on wildcard
 * actions and on `Resource: "*"` in Allow statements except the reviewed exceptions in
 * iam-wildcard-allowlist.ts, on NotAction/NotResource in Allow statements, and on GitHub trust
 * policies that are not pinned to the configured repository.
 */
import { platformConfig } from '../../config/environments';
import type { PlatformConfig } from '../../config/types';
import { synthPlatform } from '../testing/synth-platform';
import { IAM_WILDCARD_EXCEPTIONS } from './iam-wildcard-allowlist';
import type { FoundPolicy, PolicyStatement } from '../testing/policy-documents';
import { asList, findPolicies } from '../testing/policy-documents';

const stacks = synthPlatform(platformConfig);
/** Some statements exist only where a billing sink is configured (none is in config/environments.ts): checked on a variant with both. */
const withSinks: PlatformConfig = {
  ...platformConfig,
  environments: platformConfig.environments.map((e) => ({
    ...e,
    sinks: {
      ...e.sinks,
      marketplace: {
        productCode: 'prod-1',
        identity: 'license',
        region: 'us-east-1',
        dimensions: { requests: { name: 'requests', requestsPerUnit: 1 }, bytesOut: { name: 'gb_out', bytesPerUnit: 1_000_000_000 } },
      },
    },
  })),
};
const policies: FoundPolicy[] = [
  ...[...stacks].flatMap(([name, synth]) => findPolicies(name, synth)),
  ...[...synthPlatform(withSinks)].flatMap(([name, synth]) => findPolicies(`${name} (sinks configured)`, synth)),
];

/** Problems of one statement; empty when it is acceptable. */
export function wildcardProblems(statement: PolicyStatement): string[] {
  if (statement.Effect !== 'Allow') return [];
  const problems: string[] = [];
  const exception = IAM_WILDCARD_EXCEPTIONS.find((e) => e.sid === statement.Sid);
  if (statement.NotAction !== undefined) problems.push('Allow with NotAction');
  if (statement.NotResource !== undefined) problems.push('Allow with NotResource');
  for (const action of asList(statement.Action)) {
    if (action === '*') problems.push('Action "*"');
    else if (action.includes('*') && !(exception?.actions ?? []).includes(action)) problems.push(`wildcard action ${action}`);
  }
  if (asList(statement.Resource).includes('*') && !exception?.anyResource) problems.push('Resource "*"');
  return problems;
}

describe('IAM policy documents', () => {
  test('the stacks contain identity, trust and resource policies to check', () => {
    const kinds = new Set(policies.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['identity', 'resource', 'trust']);
    expect(policies.length).toBeGreaterThan(10);
  });

  test('no wildcard action or resource outside the reviewed exceptions', () => {
    const problems = policies.flatMap((p) =>
      p.statements.flatMap((s) => wildcardProblems(s).map((problem) => `${p.where} Sid=${s.Sid ?? '(none)'}: ${problem}`)),
    );
    expect(problems).toEqual([]);
  });

  test('every exception is used and justified (no stale entries)', () => {
    const sids = new Set(policies.flatMap((p) => p.statements.map((s) => s.Sid)));
    for (const exception of IAM_WILDCARD_EXCEPTIONS) {
      expect({ sid: exception.sid, used: sids.has(exception.sid) }).toEqual({ sid: exception.sid, used: true });
      expect(exception.why.length).toBeGreaterThan(20);
    }
  });

  test('the checker itself flags wildcards (it can fail)', () => {
    expect(wildcardProblems({ Sid: 'X', Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' })).toEqual(['Action "*"']);
    expect(wildcardProblems({ Sid: 'X', Effect: 'Allow', Action: 's3:*', Resource: '*' })).toEqual(['wildcard action s3:*', 'Resource "*"']);
    expect(wildcardProblems({ Sid: 'Buckets', Effect: 'Allow', Action: 's3:*', Resource: '*' })).toEqual(['Resource "*"']);
    expect(wildcardProblems({ Sid: 'X', Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:x' })).toEqual(['Allow with NotAction']);
    expect(wildcardProblems({ Sid: 'X', Effect: 'Deny', Action: '*', Resource: '*' })).toEqual([]);
  });

  test('GitHub OIDC trust policies accept only this repository, with audience sts.amazonaws.com', () => {
    const { owner, repo } = platformConfig.github;
    const oidc = policies
      .filter((p) => p.kind === 'trust')
      .flatMap((p) => p.statements.map((s) => ({ where: p.where, s })))
      .filter(({ s }) => asList(s.Action).includes('sts:AssumeRoleWithWebIdentity'));
    expect(oidc.length).toBeGreaterThanOrEqual(3 * platformConfig.environments.length);
    for (const { where, s } of oidc) {
      const conditions = Object.values(s.Condition ?? {}).reduce<Record<string, unknown>>((all, c) => ({ ...all, ...c }), {});
      expect({ where, aud: conditions['token.actions.githubusercontent.com:aud'] }).toEqual({ where, aud: 'sts.amazonaws.com' });
      const subjects = asList(conditions['token.actions.githubusercontent.com:sub'] as string | string[] | undefined);
      expect(subjects.length).toBeGreaterThan(0);
      for (const subject of subjects) expect(subject.startsWith(`repo:${owner}/${repo}:`)).toBe(true);
    }
  });
});
