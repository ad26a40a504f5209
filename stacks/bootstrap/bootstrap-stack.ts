/**
 * Bootstrap, applied by an administrator, one stack per AWS account:
 * - in the tooling account (config.bootstrap.accountId, no environment's account unless
 *   bootstrap.stateInEnvironmentAccount) the Terraform state bucket: versioned, encrypted, public
 *   access blocked, TLS only; its policy lets each environment's plan role read and its apply role
 *   write only their own state key (and only the apply role its lock), across accounts, and
 *   denies those roles every other object;
 * - in every account that hosts an environment, the environment's permissions boundary and its
 *   plan, apply and usage-job roles (deploy-roles.ts);
 * - in every account, the GitHub OIDC provider and the read-only drift role of the stack
 *   (bootstrap-drift-role.ts).
 * State: bootstrap/<stack>.tfstate in the state bucket (S3 backend). On day one the tooling stack
 * starts with local state, because its bucket does not exist yet, and moves it with
 * `terraform init -migrate-state` (docs/platform.md, "Bootstrap").
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';
import { configureBackend, stateKey } from '../shared/backend';
import type { BackendKind } from '../shared/backend';
import type { PolicyStatement } from '../shared/iam';
import { PrivateBucket } from '../shared/private-bucket';
import { standardTags, tagEverything } from '../shared/tags';
import { billingStackName } from '../stack-names';
import { BootstrapDriftRole, bootstrapDriftTargets, bootstrapStateKey } from './bootstrap-drift-role';
import { KeysOperatorRole } from './keys-operator-role';
import { DeployRoles, GITHUB_OIDC_HOST, bootstrapDriftRoleName, deployRoleNames, roleArn } from './deploy-roles';

export interface BootstrapStackProps {
  readonly config: PlatformConfig;
  readonly accountId: string;
  /** Environments hosted in this account. */
  readonly environments: readonly EnvironmentConfig[];
  /** S3: state at bootstrap/<stack>.tfstate in the state bucket; local: terraform.<stack>.tfstate (day one, tests). */
  readonly backend: BackendKind;
}

/** Lets each environment's roles (in any account) reach only that environment's state key. */
function stateBucketStatements(bucket: string, environments: readonly EnvironmentConfig[]): PolicyStatement[] {
  return environments.flatMap((env): PolicyStatement[] => {
    const key = stateKey(billingStackName(env.name));
    const names = deployRoleNames(env);
    const principal = { AWS: `arn:aws:iam::${env.accountId}:root` };
    const roles = (list: readonly string[]) => ({ ArnEquals: { 'aws:PrincipalArn': list.map((n) => roleArn(env.accountId, n)) } });
    const id = env.name.replace(/[^A-Za-z0-9]/g, '');
    return [
      {
        Sid: `List${id}`,
        Effect: 'Allow' as const,
        Principal: principal,
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { ...roles([names.plan, names.apply]), StringLike: { 's3:prefix': [key, `${key}.tflock`] } },
      },
      {
        // Only applies take the lock: review plans run with -lock=false (terraform-plan action).
        Sid: `ApplyLock${id}`,
        Effect: 'Allow' as const,
        Principal: principal,
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `arn:aws:s3:::${bucket}/${key}.tflock`,
        Condition: roles([names.apply]),
      },
      {
        Sid: `PlanRead${id}`,
        Effect: 'Allow' as const,
        Principal: principal,
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/${key}`,
        Condition: roles([names.plan]),
      },
      {
        Sid: `ApplyWrite${id}`,
        Effect: 'Allow' as const,
        Principal: principal,
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `arn:aws:s3:::${bucket}/${key}`,
        Condition: roles([names.apply]),
      },
      {
        // Binds the roles to their own key even where their identity policy alone would do (state in
        // the same account, bootstrap.stateInEnvironmentAccount): an explicit Deny wins
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
        Sid: `OnlyOwnState${id}`,
        Effect: 'Deny' as const,
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        NotResource: [`arn:aws:s3:::${bucket}/${key}`, `arn:aws:s3:::${bucket}/${key}.tflock`],
        Condition: roles([names.plan, names.apply, names.usageJob]),
      },
    ];
  });
}

/** Lets the drift role of each other account read its bootstrap stack's state (the tooling account's own role needs no bucket grant). */
function bootstrapDriftStatements(config: PlatformConfig): PolicyStatement[] {
  const bucket = config.bootstrap.stateBucket;
  return bootstrapDriftTargets(config)
    .filter((t) => t.accountId !== config.bootstrap.accountId)
    .flatMap((t): PolicyStatement[] => {
      const condition = { ArnEquals: { 'aws:PrincipalArn': [roleArn(t.accountId, bootstrapDriftRoleName(config))] } };
      const principal = { AWS: `arn:aws:iam::${t.accountId}:root` };
      return [
        {
          Sid: `BootstrapDriftList${t.accountId}`,
          Effect: 'Allow',
          Principal: principal,
          Action: 's3:ListBucket',
          Resource: `arn:aws:s3:::${bucket}`,
          Condition: { ...condition, StringLike: { 's3:prefix': [t.stateKey, `${t.stateKey}.tflock`] } },
        },
        {
          Sid: `BootstrapDriftRead${t.accountId}`,
          Effect: 'Allow',
          Principal: principal,
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/${t.stateKey}`,
          Condition: condition,
        },
      ];
    });
}

export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const { config, accountId } = props;
    const isStateAccount = accountId === config.bootstrap.accountId;
    const region = isStateAccount ? config.bootstrap.region : (props.environments[0]?.region ?? config.bootstrap.region);

    new AwsProvider(this, 'aws', { region, allowedAccountIds: [accountId] });
    configureBackend(
      this,
      props.backend === 'local'
        ? { kind: 'local' }
        : { kind: 's3', bucket: config.bootstrap.stateBucket, region: config.bootstrap.region, key: bootstrapStateKey(id) },
    );
    tagEverything(this, standardTags(config.project, 'bootstrap'));

    if (isStateAccount) {
      const state = new PrivateBucket(this, 'state', {
        bucketName: config.bootstrap.stateBucket,
        versioned: true,
        // Earlier states stay restorable for a year (rollback of a bad apply), then go.
        noncurrentVersionExpirationDays: 365,
        policyStatements: [...stateBucketStatements(config.bootstrap.stateBucket, config.environments), ...bootstrapDriftStatements(config)],
      });
      new TerraformOutput(this, 'state_bucket', { value: state.name, description: 'S3 bucket holding every stack state' });
    }

    // IAM is global: one OIDC provider per account, whatever the number of environments in it.
    const oidc = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: ['sts.amazonaws.com'],
    });
    const drift = new BootstrapDriftRole(this, 'bootstrap-drift', {
      config,
      accountId,
      stackName: id,
      environments: props.environments,
      oidcProviderArn: oidc.arn,
    });
    new TerraformOutput(this, 'bootstrap_drift_role_arn', { value: drift.role.arn });
    for (const env of props.environments) {
      const roles = new DeployRoles(this, `roles-${env.name}`, {
        env,
        github: config.github,
        oidcProviderArn: oidc.arn,
        stateBucket: config.bootstrap.stateBucket,
      });
      new TerraformOutput(this, `${env.name}_plan_role_arn`, { value: roles.plan.arn });
      new TerraformOutput(this, `${env.name}_apply_role_arn`, { value: roles.apply.arn });
      new TerraformOutput(this, `${env.name}_usage_job_role_arn`, { value: roles.usageJob.arn });
      new TerraformOutput(this, `${env.name}_role_boundary_arn`, { value: roles.boundary.arn });
      const keysOperator = new KeysOperatorRole(this, `keys-operator-${env.name}`, { env });
      new TerraformOutput(this, `${env.name}_keys_operator_role_arn`, { value: keysOperator.role.arn });
    }
  }
}
