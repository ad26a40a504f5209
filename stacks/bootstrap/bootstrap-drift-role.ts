/**
 * The read-only role the bootstrap drift job assumes: one per bootstrap stack, in that stack's
 * account, all named bootstrapDriftRoleName(config). It may read that stack's state object
 * (bootstrap/<stack>.tfstate in the state bucket) and refresh exactly what the stack manages: the
 * GitHub OIDC provider, the deploy roles and their inline policies, the permissions boundaries,
 * itself, and in the tooling account the state bucket's configuration. It writes nothing and
 * never reads an environment's billing state (which holds key values and the origin secret).
 * Trusted only by the drift workflow on main (job_workflow_ref
 * <owner>/<repo>/.github/workflows/drift.yml@refs/heads/<main>), like the deploy roles
 * (deploy-roles.ts explains the claim).
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';
import { policyDocument, s3BucketArn } from '../shared/iam';
import type { PolicyStatement } from '../shared/iam';
import { bootstrapStackName } from '../stack-names';
import { GITHUB_OIDC_HOST, bootstrapDriftRoleName, deployRoleNames, roleArn, workflowRef } from './deploy-roles';
import { keysOperatorRoleName } from './keys-operator-role';
import { roleBoundaryArn } from './role-boundary';
import { SESSION_SECONDS } from './session-limits';

/** Where a bootstrap stack keeps its state in the state bucket. */
export function bootstrapStateKey(stackName: string): string {
  return `bootstrap/${stackName}.tfstate`;
}

/** One bootstrap stack as the drift workflow sees it: the stack, its account, the role to assume, its state. */
export interface BootstrapDriftTarget {
  readonly stack: string;
  readonly accountId: string;
  readonly roleArn: string;
  readonly stateKey: string;
}

/** Every bootstrap stack the platform synthesizes (the tooling account first), with its drift role. */
export function bootstrapDriftTargets(config: Pick<PlatformConfig, 'bootstrap' | 'environments'>): BootstrapDriftTarget[] {
  const accounts = [...new Set([config.bootstrap.accountId, ...config.environments.map((e) => e.accountId)])];
  return accounts.map((accountId) => {
    const stack = bootstrapStackName(accountId, config.bootstrap.accountId);
    return { stack, accountId, roleArn: roleArn(accountId, bootstrapDriftRoleName(config)), stateKey: bootstrapStateKey(stack) };
  });
}

export interface BootstrapDriftRoleProps {
  readonly config: PlatformConfig;
  readonly accountId: string;
  readonly stackName: string;
  /** Environments whose deploy roles this stack creates. */
  readonly environments: readonly EnvironmentConfig[];
  readonly oidcProviderArn: string;
}

function readStatements(props: BootstrapDriftRoleProps): PolicyStatement[] {
  const { config, accountId } = props;
  const bucket = s3BucketArn(config.bootstrap.stateBucket);
  const key = bootstrapStateKey(props.stackName);
  const roles = [
    ...props.environments.flatMap((env) => [...Object.values(deployRoleNames(env)), keysOperatorRoleName(env)]),
    bootstrapDriftRoleName(config),
  ].map((n) => roleArn(accountId, n));
  const isStateAccount = accountId === config.bootstrap.accountId;
  return [
    {
      Sid: 'BootstrapStateList',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucket,
      Condition: { StringLike: { 's3:prefix': [key, `${key}.tflock`] } },
    },
    { Sid: 'BootstrapStateRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/${key}` },
    ...(isStateAccount ? [{ Sid: 'BootstrapStateBucketRead', Effect: 'Allow' as const, Action: ['s3:Get*', 's3:ListBucket'], Resource: bucket }] : []),
    {
      Sid: 'BootstrapOidcRead',
      Effect: 'Allow',
      Action: 'iam:GetOpenIDConnectProvider',
      Resource: `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`,
    },
    {
      Sid: 'BootstrapRolesRead',
      Effect: 'Allow',
      Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags'],
      Resource: roles,
    },
    ...(props.environments.length === 0
      ? []
      : [
          {
            Sid: 'BootstrapBoundariesRead',
            Effect: 'Allow' as const,
            Action: ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions', 'iam:ListPolicyTags'],
            Resource: props.environments.map(roleBoundaryArn),
          },
        ]),
  ];
}

export class BootstrapDriftRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: BootstrapDriftRoleProps) {
    super(scope, id);
    const { github } = props.config;
    const mainRef = `refs/heads/${github.mainBranch}`;
    this.role = new IamRole(this, 'role', {
      name: bootstrapDriftRoleName(props.config),
      description: `GitHub Actions: drift check of the ${props.stackName} stack (read-only)`,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Federated: props.oidcProviderArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
              [`${GITHUB_OIDC_HOST}:sub`]: `repo:${github.owner}/${github.repo}:ref:${mainRef}`,
            },
            StringLike: { [`${GITHUB_OIDC_HOST}:job_workflow_ref`]: [workflowRef(github, 'drift.yml', mainRef)] },
          },
        },
      ]),
      maxSessionDuration: SESSION_SECONDS.bootstrapDrift,
    });
    new IamRolePolicy(this, 'policy', { role: this.role.name, name: 'bootstrap-state-and-refresh-read', policy: policyDocument(readStatements(props)) });
  }
}
