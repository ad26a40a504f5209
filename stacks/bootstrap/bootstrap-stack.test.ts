import { keysOperatorRoleName } from './keys-operator-role';
import { platformConfig } from '../../config/environments';
import { billingStackName, bootstrapStackName } from '../stack-names';
import { asObject, onlyResource, resourcesOf, synthPlatform } from '../testing/synth-platform';
import type { JsonObject, SynthesizedStack } from '../testing/synth-platform';
import { bootstrapDriftTargets } from './bootstrap-drift-role';
import { bootstrapDriftRoleName, deployRoleNames, plansOnPullRequests } from './deploy-roles';
import { roleBoundaryArn, roleBoundaryName } from './role-boundary';
import { SESSION_SECONDS } from './session-limits';

const stacks = synthPlatform(platformConfig, 'local');
const stateAccount = platformConfig.bootstrap.accountId;
const repo = `repo:${platformConfig.github.owner}/${platformConfig.github.repo}`;
const workflows = `${platformConfig.github.owner}/${platformConfig.github.repo}/.github/workflows`;

function stack(name: string): SynthesizedStack {
  const s = stacks.get(name);
  if (!s) throw new Error(`no stack ${name}`);
  return s;
}

type Statement = JsonObject & { Condition?: { StringLike?: Record<string, string[]>; StringEquals?: Record<string, string>; Null?: Record<string, string> } };

function roleNamed(synth: SynthesizedStack, name: string): JsonObject {
  const role = [...resourcesOf(synth, 'aws_iam_role').values()].find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name}`);
  return role;
}

/** Each trust statement as [subject, workflow files]; every statement pins the audience. */
function trusts(role: JsonObject): [string, string[]][] {
  const doc = JSON.parse(String(role.assume_role_policy)) as { Statement: Statement[] };
  return doc.Statement.map((statement) => {
    expect(statement.Condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    expect(statement.Condition?.StringLike?.['token.actions.githubusercontent.com:sub']).toBeUndefined();
    return [
      String(statement.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub']),
      statement.Condition?.StringLike?.['token.actions.githubusercontent.com:job_workflow_ref'] ?? [],
    ];
  });
}

function inlinePolicy(synth: SynthesizedStack, roleAddressName: string): { Statement: Statement[] } {
  const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) => String(p.role).includes(roleAddressName));
  expect(policies).toHaveLength(1);
  return JSON.parse(String(policies[0].policy)) as { Statement: Statement[] };
}

/** IAM's wildcard match of an action or resource pattern (`*` any run, `?` one character; actions case-insensitive). */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * What IAM decides for one action on one resource under these statements, without conditions
 * (none of the statements checked here has one): an explicit Deny wins, then an Allow, else the
 * implicit deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
function decide(statements: readonly Statement[], action: string, resource: string): 'allow' | 'deny' | 'implicit-deny' {
  const applies = (s: Statement): boolean =>
    [s.Action]
      .flat()
      .map(String)
      .some((a) => matches(a, action, true)) &&
    [s.Resource]
      .flat()
      .map(String)
      .some((r) => matches(r, resource, false));
  if (statements.some((s) => s.Effect === 'Deny' && s.Condition === undefined && applies(s))) return 'deny';
  if (statements.some((s) => s.Effect === 'Allow' && s.Condition === undefined && applies(s))) return 'allow';
  return 'implicit-deny';
}

describe('bootstrap stacks', () => {
  it('one per AWS account: the tooling account and every account hosting an environment', () => {
    const accounts = new Set([stateAccount, ...platformConfig.environments.map((e) => e.accountId)]);
    for (const env of platformConfig.environments) expect(env.accountId).not.toBe(stateAccount);
    const names = [...stacks.keys()].filter((n) => n.startsWith('bootstrap'));
    expect(names.sort()).toEqual([...accounts].map((a) => bootstrapStackName(a, stateAccount)).sort());
    for (const name of names) expect(asObject(stack(name).json.terraform).backend).toEqual({ local: { path: `terraform.${name}.tfstate` } });
  });

  it('keeps its own state in the state bucket under bootstrap/ when synthesized for S3', () => {
    const remote = synthPlatform(platformConfig, 's3');
    for (const target of bootstrapDriftTargets(platformConfig)) {
      const backend = asObject(asObject(remote.get(target.stack)?.json.terraform).backend);
      expect(backend).toEqual({
        s3: {
          bucket: platformConfig.bootstrap.stateBucket,
          key: `bootstrap/${target.stack}.tfstate`,
          region: platformConfig.bootstrap.region,
          encrypt: true,
          use_lockfile: true,
        },
      });
    }
  });

  it('has a read-only drift role in every account, trusted only by the drift workflow on main', () => {
    for (const target of bootstrapDriftTargets(platformConfig)) {
      const synth = stack(target.stack);
      const role = roleNamed(synth, bootstrapDriftRoleName(platformConfig));
      expect(role.max_session_duration).toBe(SESSION_SECONDS.bootstrapDrift);
      expect(trusts(role)).toEqual([[`${repo}:ref:refs/heads/main`, [`${workflows}/drift.yml@refs/heads/main`]]]);
      const policy = inlinePolicy(synth, 'aws_iam_role.bootstrap-drift_role_');
      for (const s of policy.Statement) {
        expect(s.Effect).toBe('Allow');
        for (const action of [s.Action].flat()) expect(String(action)).toMatch(/^(s3|iam):(Get|List)/);
        for (const resource of [s.Resource].flat().map(String)) expect(resource).not.toBe('*');
      }
      const objects = policy.Statement.filter((s) => [s.Action].flat().includes('s3:GetObject')).flatMap((s) => [s.Resource].flat());
      expect(objects).toEqual([`arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/${target.stateKey}`]);
    }
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

  it('lets each environment roles reach only their own state key, across accounts; only the apply role takes the lock', () => {
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
      const lockStatements = policy.Statement.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes('.tflock'));
      expect(lockStatements.map((s) => s.Sid)).toContain(`ApplyLock${env.name}`);
      for (const s of lockStatements) expect(JSON.stringify(s.Condition)).not.toContain(names.plan);
      // Every other object is denied to the environment's roles, whatever their identity policies say.
      expect(policy.Statement.find((s) => s.Sid === `OnlyOwnState${env.name}`)).toMatchObject({
        Effect: 'Deny',
        NotResource: [`arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/${key}`, `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}/${key}.tflock`],
        Condition: { ArnEquals: { 'aws:PrincipalArn': [names.plan, names.apply, names.usageJob].map((n) => `arn:aws:iam::${env.accountId}:role/${n}`) } },
      });
    }
  });

  describe.each(platformConfig.environments.map((e) => [e.name, e] as const))('roles of %s', (_n, env) => {
    const synth = stack(bootstrapStackName(env.accountId, stateAccount));
    const names = deployRoleNames(env);

    it('keys operator: trusted by its own account only (people through their own policy), and the only role trusting an AWS principal', () => {
      const role = roleNamed(synth, keysOperatorRoleName(env));
      expect(JSON.parse(String(role.assume_role_policy))).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${env.accountId}:root` }, Action: 'sts:AssumeRole' }],
      });
      const trustingAws = [...resourcesOf(synth, 'aws_iam_role').values()]
        .filter((r) => String(r.assume_role_policy).includes('"AWS"'))
        .map((r) => r.name)
        .sort();
      expect(trustingAws).toEqual(
        platformConfig.environments
          .filter((e) => e.accountId === env.accountId)
          .map((e) => keysOperatorRoleName(e))
          .sort(),
      );
    });

    it('trusts GitHub OIDC of the configured repository', () => {
      expect(onlyResource(synth, 'aws_iam_openid_connect_provider')).toMatchObject({
        url: 'https://token.actions.githubusercontent.com',
        client_id_list: ['sts.amazonaws.com'],
      });
    });

    // Defect 8: ReadOnlyAccess on the whole account, assumable by any branch's pull request.
    it('plan role: drift/apply on main, the plan workflow on pull requests only outside prod; refresh reads only, never the lock', () => {
      const onMain: [string, string[]] = [`${repo}:ref:refs/heads/main`, [`${workflows}/drift.yml@refs/heads/main`, `${workflows}/apply.yml@refs/heads/main`]];
      const onPullRequests: [string, string[]] = [`${repo}:pull_request`, [`${workflows}/plan.yml@refs/pull/*/merge`]];
      // Review finding M5: any branch's edited plan.yml ran as the prod plan role, which reads the
      // prod state (API key values, the origin secret), before any review.
      expect(plansOnPullRequests(env)).toBe(env.name !== 'prod');
      expect(trusts(roleNamed(synth, names.plan))).toEqual(plansOnPullRequests(env) ? [onPullRequests, onMain] : [onMain]);
      for (const [subject] of trusts(roleNamed(synth, names.plan))) expect(subject.endsWith(':pull_request') && env.name === 'prod').toBe(false);
      expect(resourcesOf(synth, 'aws_iam_role_policy_attachment').size).toBe(0);
      expect(JSON.stringify(synth.json)).not.toContain('ReadOnlyAccess');
      const policy = inlinePolicy(synth, `aws_iam_role.roles-${env.name}_plan_`);
      for (const s of policy.Statement) {
        expect(s.Effect).toBe('Allow');
        for (const action of [s.Action].flat())
          expect({ sid: s.Sid, action }).toEqual({ sid: s.Sid, action: expect.stringMatching(/^[a-z0-9]+:(Get|List|Describe|GET)/) });
        const resources = [s.Resource].flat().map(String);
        expect(resources.join(' ')).not.toContain('.tflock');
        for (const resource of resources) {
          if (resource === '*') expect(['RefreshLogs', 'RandomPassword']).toContain(s.Sid);
          // Generated ids: API Gateway, CloudFront and log deliveries (delivery:*) are scoped by account or region only.
          else if (
            !/^arn:aws:(s3:::ubb-terraform-state|apigateway:|cloudfront::|glue:[^:]+:[0-9]+:catalog$|logs:us-east-1:[0-9]+:delivery:\*$)/.test(resource)
          ) {
            expect({ sid: s.Sid, resource }).toEqual({
              sid: s.Sid,
              resource: expect.stringMatching(new RegExp(`(${env.prefix}|${env.prefix.replace(/-/g, '_')})`)),
            });
          }
        }
      }
      expect(policy.Statement.find((s) => s.Sid === 'RefreshObjects')?.Resource).toBe(
        `arn:aws:s3:::${env.prefix}-usage-${env.accountId}/config/usage-job.json`,
      );
    });

    it('apply role: only jobs in the protected GitHub environment of the apply and unlock workflows on main', () => {
      expect(trusts(roleNamed(synth, names.apply))).toEqual([
        [`${repo}:environment:${env.name}`, [`${workflows}/apply.yml@refs/heads/main`, `${workflows}/unlock.yml@refs/heads/main`]],
      ]);
    });

    // Review finding M7: OwnRoles (iam:*Role, iam:*RolePolicy on role/<prefix>-*) also matched the
    // deploy roles, so an apply could rewrite its own trust or attach AdministratorAccess to itself.
    // The conditional grants (boundary, PassedToService) are proven with the evaluator in
    // permissions/escalation.test.ts; here the unconditional Deny on the deploy roles.
    it('apply role: never changes, passes or deletes a deploy role', () => {
      const policy = inlinePolicy(synth, `aws_iam_role.roles-${env.name}_apply_`);
      const deployRoles = [names.plan, names.apply, names.usageJob].map((n) => `arn:aws:iam::${env.accountId}:role/${n}`);
      const escalations = [
        'iam:UpdateAssumeRolePolicy',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:DeleteRole',
        'iam:PutRolePermissionsBoundary',
        'iam:DeleteRolePermissionsBoundary',
        'iam:UpdateRole',
        'iam:TagRole',
        'iam:PassRole',
      ];
      for (const action of escalations) {
        for (const role of deployRoles) expect({ action, role, decision: decide(policy.Statement, action, role) }).toEqual({ action, role, decision: 'deny' });
      }
    });

    // UNVERIFIED which ARN SNS authorizes subscription calls against (deploy-roles.ts,
    // alarmTopicAndSubscriptions): both roles name the topic and its subscriptions.
    it('plan and apply roles: the alarm topic and <topic>:* for its subscriptions', () => {
      const topic = `arn:aws:sns:${env.region}:${env.accountId}:${env.prefix}-usage-alarms`;
      for (const role of ['plan', 'apply']) {
        const sns = inlinePolicy(synth, `aws_iam_role.roles-${env.name}_${role}_`).Statement.filter((s) =>
          [s.Action].flat().some((a) => String(a).startsWith('sns:')),
        );
        expect({ role, resources: sns.map((s) => s.Resource) }).toEqual({ role, resources: [[topic, `${topic}:*`]] });
      }
    });

    it('the permissions boundary: one managed policy per environment, in its account', () => {
      const boundary = [...resourcesOf(synth, 'aws_iam_policy').values()].find((p) => p.name === roleBoundaryName(env));
      expect(boundary).toBeDefined();
      const doc = JSON.parse(String(boundary?.policy)) as { Statement: Statement[] };
      expect(doc.Statement.map((s) => [s.Effect, s.Action])).toEqual([
        ['Allow', ['logs:CreateLogStream', 'logs:PutLogEvents']],
        ['Allow', ['s3:GetObject']],
      ]);
      // GET /usage's reads only: the registry object and the customer usage summaries.
      expect((doc.Statement[1] as { Resource?: unknown }).Resource).toEqual([
        `arn:aws:s3:::${env.prefix}-key-registry-${env.accountId}/registry.json`,
        `arn:aws:s3:::${env.prefix}-usage-${env.accountId}/customer-usage/*`,
      ]);
      expect(roleBoundaryArn(env)).toBe(`arn:aws:iam::${env.accountId}:policy/${env.prefix}-role-boundary`);
    });

    it('sessions last as long as the longest job that assumes the role (session-limits.ts)', () => {
      expect(roleNamed(synth, names.plan).max_session_duration).toBe(SESSION_SECONDS.plan);
      expect(roleNamed(synth, names.apply).max_session_duration).toBe(SESSION_SECONDS.apply);
      expect(roleNamed(synth, names.usageJob).max_session_duration).toBe(SESSION_SECONDS.usageJob);
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
        'NeverTheDeploymentFile',
        'KeyRegistryRead',
        'Metrics',
        'MetricsRead',
        'QuotaNotices',
        'UsagePlansAndUsage',
        'NeverKeyValues',
        // MarketplaceMetering only where sinks.marketplace is configured (permissions/usage-job-inputs.test.ts).
        'InvoicesNeverOverwritten',
      ]);
      expect(env.sinks?.marketplace).toBeUndefined();
      expect(policy.Statement.find((s) => s.Sid === 'MarketplaceMetering')).toBeUndefined();
      expect(trusts(roleNamed(synth, names.usageJob))).toEqual([[`${repo}:ref:refs/heads/main`, [`${workflows}/usage.yml@refs/heads/main`]]]);
      expect(policy.Statement.find((s) => s.Sid === 'InvoicesNeverOverwritten')).toEqual({
        Sid: 'InvoicesNeverOverwritten',
        Effect: 'Deny',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${env.prefix}-usage-${env.accountId}/invoices/*`,
        Condition: { Null: { 's3:if-none-match': 'true' } },
      });
      expect(policy.Statement.find((s) => s.Sid === 'KeyRegistryRead')).toEqual({
        Sid: 'KeyRegistryRead',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${env.prefix}-key-registry-${env.accountId}/registry.json`,
      });
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
