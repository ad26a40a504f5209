/**
 * Bootstrap, applied once per AWS account by an administrator with local state:
 * - in the state account (config.bootstrap.accountId) the Terraform state bucket: versioned,
 *   encrypted, public access blocked, TLS only; its policy lets each environment's plan role read
 *   and its apply role write only their own state key (and only the apply role its lock), also
 *   across accounts;
 * - in every account that hosts an environment, the GitHub OIDC provider and the plan, apply and
 *   usage-job roles of each environment in that account (deploy-roles.ts).
 * Apply the stacks of the other accounts first, then `bootstrap` (state bucket policy names their roles).
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';
import { configureBackend, stateKey } from '../shared/backend';
import type { PolicyStatement } from '../shared/iam';
import { PrivateBucket } from '../shared/private-bucket';
import { standardTags, tagEverything } from '../shared/tags';
import { billingStackName } from '../stack-names';
import { DeployRoles, GITHUB_OIDC_HOST, deployRoleNames, roleArn } from './deploy-roles';

export interface BootstrapStackProps {
  readonly config: PlatformConfig;
  readonly accountId: string;
  /** Environments hosted in this account. */
  readonly environments: readonly EnvironmentConfig[];
}

/** Lets each environment's roles (in any account) reach only that environment's state key. */
function stateBucketStatements(bucket: string, environments: readonly EnvironmentConfig[]): PolicyStatement[] {
  return environments.flatMap((env) => {
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
    configureBackend(this, { kind: 'local' });
    tagEverything(this, standardTags(config.project, 'bootstrap'));

    if (isStateAccount) {
      const state = new PrivateBucket(this, 'state', {
        bucketName: config.bootstrap.stateBucket,
        versioned: true,
        // Earlier states stay restorable for a year (rollback of a bad apply), then go.
        noncurrentVersionExpirationDays: 365,
        policyStatements: stateBucketStatements(config.bootstrap.stateBucket, config.environments),
      });
      new TerraformOutput(this, 'state_bucket', { value: state.name, description: 'S3 bucket holding every billing stack state' });
    }

    if (props.environments.length === 0) return;
    // IAM is global: one OIDC provider per account, whatever the number of environments in it.
    const oidc = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: ['sts.amazonaws.com'],
    });
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
    }
  }
}
