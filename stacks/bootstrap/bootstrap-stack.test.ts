import { platformConfig } from '../../config/environments';
import { billingStackName, bootstrapStackName } from '../stack-names';
import { asObject, onlyResource, resourcesOf, synthPlatform } from '../testing/synth-platform';
import type { JsonObject, SynthesizedStack } from '../testing/synth-platform';
import { deployRoleNames } from './deploy-roles';

const stacks = synthPlatform(platformConfig, 'local');
const stateAccount = platformConfig.bootstrap.accountId;
const repo = `repo:${platformConfig.github.owner}/${platformConfig.github.repo}`;

function stack(name: string): SynthesizedStack {
  const s = stacks.get(name);
  if (!s) throw new Error(`no stack ${name}`);
  return s;
}

type Statement = JsonObject & { Condition?: { StringLike?: Record<string, string[]>; StringEquals?: Record<string, string> } };

function roleNamed(synth: SynthesizedStack, name: string): JsonObject {
  const role = [...resourcesOf(synth, 'aws_iam_role').values()].find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name}`);
  return role;
}

function trustSubjects(role: JsonObject): string[] {
  const doc = JSON.parse(String(role.assume_role_policy)) as { Statement: Statement[] };
  expect(doc.Statement).toHaveLength(1);
  expect(doc.Statement[0].Condition?.StringEquals).toEqual({ 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' });
  return doc.Statement[0].Condition?.StringLike?.['token.actions.githubusercontent.com:sub'] ?? [];
}

function inlinePolicy(synth: SynthesizedStack, roleAddressName: string): { Statement: Statement[] } {
  const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) => String(p.role).includes(roleAddressName));
  expect(policies).toHaveLength(1);
  return JSON.parse(String(policies[0].policy)) as { Statement: Statement[] };
}

describe('bootstrap stacks', () => {
  it('one per AWS account: the state account and every other account hosting an environment', () => {
    const accounts = new Set([stateAccount, ...platformConfig.environments.map((e) => e.accountId)]);
    const names = [...stacks.keys()].filter((n) => n.startsWith('bootstrap'));
    expect(names.sort()).toEqual([...accounts].map((a) => bootstrapStackName(a, stateAccount)).sort());
    for (const name of names) expect(asObject(stack(name).json.terraform).backend).toEqual({ local: { path: `terraform.${name}.tfstate` } });
  });

  it('creates the state bucket versioned, encrypted, private and TLS-only, in the state account only', () => {
    const synth = stack('bootstrap');
    expect(onlyResource(synth, 'aws_s3_bucket').bucket).toBe(platformConfig.bootstrap.stateBucket);
    expect(onlyResource(synth, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(onlyResource(synth, 'aws_s3_bucket_public_access_block')).toMatchObject({ block_public_acls: true, restrict_public_buckets: true });
    expect(JSON.stringify(onlyResource(synth, 'aws_s3_bucket_server_side_encryption_configuration'))).toContain('AES256');
    const policy = JSON.parse(String(onlyResource(synth, 'aws_s3_bucket_policy').policy)) as { Statement: Statement[] };
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    for (const [name, s] of stacks) if (name.startsWith('bootstrap-')) expect(resourcesOf(s, 'aws_s3_bucket').size).toBe(0);
  });

  it('lets each environment roles reach only their own state key, across accounts', () => {
    const policy = JSON.parse(String(onlyResource(stack('bootstrap'), 'aws_s3_bucket_policy').policy)) as { Statement: Statement[] };
    for (const env of platformConfig.environments) {
      const key = `${billingStackName(env.name)}/terraform.tfstate`;
      const names = deployRoleNames(env);
      const write = policy.Statement.find((s) => s.Sid === `ApplyWrite${env.name}`);
      expect(write).toMatchObject({
        Principal: { AWS: `arn:aws:iam::${env.accountId}:root` },
        Resource: `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/${key}`,
        Condition: { ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${env.accountId}:role/${names.apply}`] } },
      });
    }
  });

  describe.each(platformConfig.environments.map((e) => [e.name, e] as const))('roles of %s', (_n, env) => {
    const synth = stack(bootstrapStackName(env.accountId, stateAccount));
    const names = deployRoleNames(env);

    it('trusts GitHub OIDC of the configured repository', () => {
      expect(onlyResource(synth, 'aws_iam_openid_connect_provider')).toMatchObject({
        url: 'https://token.actions.githubusercontent.com',
        client_id_list: ['sts.amazonaws.com'],
      });
    });

    it('plan role: pull requests and main, read-only', () => {
      expect(trustSubjects(roleNamed(synth, names.plan))).toEqual([`${repo}:pull_request`, `${repo}:ref:refs/heads/main`]);
      const attachments = [...resourcesOf(synth, 'aws_iam_role_policy_attachment').values()];
      expect(attachments.map((a) => a.policy_arn)).toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');
    });

    it('apply role: only jobs in the protected GitHub environment, never a pull request or another branch', () => {
      const subjects = trustSubjects(roleNamed(synth, names.apply));
      expect(subjects).toEqual([`${repo}:environment:${env.name}`]);
      expect(subjects.join(' ')).not.toContain('pull_request');
    });

    it('usage-job role: Athena, Glue read, metrics in its namespace, usage plans, never key values', () => {
      const policy = inlinePolicy(synth, `aws_iam_role.roles-${env.name}_usage-job_`);
      const sids = policy.Statement.map((s) => s.Sid);
      expect(sids).toEqual([
        'Athena',
        'GlueRead',
        'LogsList',
        'LogsRead',
        'ResultsAndUsageBuckets',
        'ResultsAndUsageObjects',
        'Metrics',
        'MetricsRead',
        'QuotaNotices',
        'UsagePlansAndUsage',
        'NeverKeyValues',
      ]);
      const metrics = policy.Statement.find((s) => s.Sid === 'Metrics');
      expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': `UsageBilling/${env.name}` } });
      const notices = policy.Statement.find((s) => s.Sid === 'QuotaNotices');
      expect(notices).toMatchObject({
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${env.region}:${env.accountId}:event-bus/default`,
        Condition: { StringEquals: { 'events:source': `${env.prefix}.usage-billing` } },
      });
      const deny = policy.Statement.find((s) => s.Sid === 'NeverKeyValues');
      expect(deny).toMatchObject({ Effect: 'Deny', Action: 'apigateway:GET' });
      expect(deny?.Resource).toEqual(
        expect.arrayContaining([`arn:aws:apigateway:${env.region}::/apikeys/*`, `arn:aws:apigateway:${env.region}::/usageplans/*/keys/*`]),
      );
      for (const s of policy.Statement.filter((x) => x.Effect === 'Allow')) {
        expect(JSON.stringify(s.Resource)).not.toContain('/apikeys');
        expect(JSON.stringify(s.Action)).not.toMatch(/"\*"|:\*"/);
      }
    });
  });
});
