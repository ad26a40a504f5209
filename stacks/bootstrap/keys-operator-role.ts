/**
 * The keys operator: the role a person assumes to run the keys CLI (keys/cli.ts) against an
 * environment: the key registry object, the API keys and their usage-plan bindings, and the edge
 * key store. One per environment, `<prefix>-keys-operator`, created by the bootstrap (an
 * administrator), never by the apply role (it lives at the root path, outside the bounded path, and
 * is named in the apply role's NeverTheDeployRoles Deny).
 *
 * Trust: the environment's own account (`arn:aws:iam::<account>:root`). Naming the account in a
 * trust policy delegates the decision to the account's IAM: a principal of the account may assume
 * the role only if its own identity policy allows sts:AssumeRole on it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts),
 * so who is a keys operator is decided where people are managed, typically an IAM Identity Center
 * permission set whose policy allows sts:AssumeRole on this ARN (docs/permissions.md). No GitHub
 * workflow may assume it (no OIDC statement), and no deploy role has sts:AssumeRole.
 *
 * What it may do (docs/keys.md for the CLI; each call is mapped and judged in
 * permissions/keys-operator.test.ts):
 * - S3: read and write the registry object `registry.json` in `<prefix>-key-registry-<account>`
 *   (the CLI's default bucket, keys/cli.ts), read its versions (the registry's history), list the
 *   bucket for that key only;
 * - API Gateway: the HTTP verbs on /apikeys and /apikeys/* (create, read with values, enable,
 *   delete, import), /usageplans/<id>/keys and /usageplans/<id>/keys/* (bind, unbind, the remaining
 *   quota), /usageplans/<id>/usage (read), and GET /usageplans (find the plans by name). ARN forms:
 *   the Service Authorization Reference, API Gateway Management, resource types ApiKeys, ApiKey,
 *   UsagePlans, UsagePlanKeys, UsagePlanKey
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html);
 *   they carry the region, no account;
 * - CloudFront KeyValueStore data plane (service prefix cloudfront-keyvaluestore; resource type
 *   key-value-store, arn:aws:cloudfront::<account>:key-value-store/<id>,
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfrontkeyvaluestore.html):
 *   DescribeKeyValueStore, GetKey, ListKeys, PutKey, DeleteKey, UpdateKeys. The ARN ends in the
 *   store's generated id, not its name `<prefix>-edge-keys`, and the bootstrap is applied before the
 *   billing stack creates the store, so the grant is every key value store of the account
 *   (key-value-store/*); the CLI itself only ever names the billing stack's output
 *   `edge_key_store_arn`.
 * - AWS Marketplace Metering Service: ResolveCustomer (`keys link-marketplace`). The IAM action is
 *   aws-marketplace:ResolveCustomer, with no resource type (Resource "*"), per the Service
 *   Authorization Reference, AWS Marketplace Metering Service
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsmarketplacemeteringservice.html)
 *   and the API reference ("requires a policy to allow the aws-marketplace:ResolveCustomer action").
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { EnvironmentConfig } from '../../config/types';
import { policyDocument, s3BucketArn } from '../shared/iam';
import type { PolicyStatement } from '../shared/iam';
import { MIN_SESSION_SECONDS } from './session-limits';

export function keysOperatorRoleName(env: Pick<EnvironmentConfig, 'prefix'>): string {
  return `${env.prefix}-keys-operator`;
}

/** The registry's bucket and object, as the keys CLI defaults them (keys/cli.ts contextFromEnv). */
export function keyRegistryLocation(env: Pick<EnvironmentConfig, 'prefix' | 'accountId'>): { readonly bucket: string; readonly key: string } {
  return { bucket: `${env.prefix}-key-registry-${env.accountId}`, key: 'registry.json' };
}

export function keysOperatorStatements(env: Pick<EnvironmentConfig, 'prefix' | 'accountId' | 'region'>): PolicyStatement[] {
  const { bucket, key } = keyRegistryLocation(env);
  const api = (path: string) => `arn:aws:apigateway:${env.region}::${path}`;
  return [
    {
      Sid: 'RegistryList',
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:ListBucketVersions'],
      Resource: s3BucketArn(bucket),
      Condition: { StringEquals: { 's3:prefix': key } },
    },
    {
      // Writes are conditional (If-Match / If-None-Match, keys/registry-s3.ts): s3:PutObject alone.
      Sid: 'RegistryObject',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      Resource: `${s3BucketArn(bucket)}/${key}`,
    },
    { Sid: 'FindUsagePlans', Effect: 'Allow', Action: 'apigateway:GET', Resource: api('/usageplans') },
    {
      Sid: 'KeysAndBindings',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'],
      Resource: [api('/apikeys'), api('/apikeys/*'), api('/usageplans/*/keys'), api('/usageplans/*/keys/*'), api('/usageplans/*/usage')],
    },
    {
      Sid: 'EdgeKeyStore',
      Effect: 'Allow',
      Action: [
        'cloudfront-keyvaluestore:DescribeKeyValueStore',
        'cloudfront-keyvaluestore:GetKey',
        'cloudfront-keyvaluestore:ListKeys',
        'cloudfront-keyvaluestore:PutKey',
        'cloudfront-keyvaluestore:DeleteKey',
        'cloudfront-keyvaluestore:UpdateKeys',
      ],
      Resource: `arn:aws:cloudfront::${env.accountId}:key-value-store/*`,
    },
    { Sid: 'MarketplaceResolveCustomer', Effect: 'Allow', Action: 'aws-marketplace:ResolveCustomer', Resource: '*' },
  ];
}

export interface KeysOperatorRoleProps {
  readonly env: EnvironmentConfig;
}

export class KeysOperatorRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: KeysOperatorRoleProps) {
    super(scope, id);
    const { env } = props;
    this.role = new IamRole(this, 'role', {
      name: keysOperatorRoleName(env),
      description: `Keys CLI for ${env.name}: the key registry object, API keys and plan bindings, the edge key store (people of the account, via their own policy)`,
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${env.accountId}:root` }, Action: 'sts:AssumeRole' }]),
      // A person's session, renewed by assuming again; IAM's minimum (one hour).
      maxSessionDuration: MIN_SESSION_SECONDS,
    });
    new IamRolePolicy(this, 'policy', { role: this.role.name, name: 'keys-cli', policy: policyDocument(keysOperatorStatements(env)) });
  }
}
