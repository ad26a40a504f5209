/**
 * After `terraform destroy`: lists, through the SDK, everything of every service the stacks use,
 * in the stack's region and in us-east-1, and reports what is still there. Not counted: Athena's
 * built-in `primary` workgroup (every account has it) and a Secrets Manager secret scheduled for
 * deletion (as in AWS, the origin secret stays recoverable for its recovery window; it is reported).
 */
import { GetApiKeysCommand, GetRestApisCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { ListWorkGroupsCommand } from '@aws-sdk/client-athena';
import { ListDistributionsCommand, ListFunctionsCommand as ListCloudFrontFunctionsCommand } from '@aws-sdk/client-cloudfront';
import { DescribeAlarmsCommand, ListDashboardsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDeliveriesCommand,
  DescribeDeliveryDestinationsCommand,
  DescribeDeliverySourcesCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetDatabasesCommand } from '@aws-sdk/client-glue';
import { ListOpenIDConnectProvidersCommand, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { awsClients, GLOBAL_REGION } from './aws-clients';

export interface Leftovers {
  /** Resources still there, "<service>: <name>"; the check fails unless empty. */
  readonly left: readonly string[];
  /** Deleted the way AWS deletes them (secrets in their recovery window). */
  readonly scheduledForDeletion: readonly string[];
}

export async function findLeftovers(endpoint: string, region: string): Promise<Leftovers> {
  const left: string[] = [];
  const scheduled: string[] = [];
  const add = (service: string, names: readonly (string | undefined)[]) => {
    for (const name of names) left.push(`${service}: ${name ?? '(unnamed)'}`);
  };
  const global = awsClients(endpoint, GLOBAL_REGION);
  add(
    's3 bucket',
    ((await global.s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name),
  );
  add(
    'iam role',
    ((await global.iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName),
  );
  add(
    'iam customer managed policy',
    ((await global.iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? []).map((p) => p.PolicyName),
  );
  add(
    'iam OIDC provider',
    ((await global.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((p) => p.Arn),
  );
  add(
    'cloudfront distribution',
    ((await global.cloudFront.send(new ListDistributionsCommand({}))).DistributionList?.Items ?? []).map((d) => d.Id),
  );
  add(
    'cloudfront function',
    ((await global.cloudFront.send(new ListCloudFrontFunctionsCommand({}))).FunctionList?.Items ?? []).map((fn) => fn.Name),
  );
  for (const r of [...new Set([region, GLOBAL_REGION])]) {
    const aws = awsClients(endpoint, r);
    const at = (service: string) => `${service} (${r})`;
    add(
      at('lambda function'),
      ((await aws.lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((fn) => fn.FunctionName),
    );
    add(
      at('api gateway rest api'),
      ((await aws.apiGateway.send(new GetRestApisCommand({}))).items ?? []).map((a) => a.name),
    );
    add(
      at('api gateway api key'),
      ((await aws.apiGateway.send(new GetApiKeysCommand({}))).items ?? []).map((k) => k.name),
    );
    add(
      at('api gateway usage plan'),
      ((await aws.apiGateway.send(new GetUsagePlansCommand({}))).items ?? []).map((p) => p.name),
    );
    add(
      at('log group'),
      ((await aws.logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName),
    );
    add(
      at('log delivery source'),
      ((await aws.logs.send(new DescribeDeliverySourcesCommand({}))).deliverySources ?? []).map((s) => s.name),
    );
    add(
      at('log delivery destination'),
      ((await aws.logs.send(new DescribeDeliveryDestinationsCommand({}))).deliveryDestinations ?? []).map((d) => d.name),
    );
    add(
      at('log delivery'),
      ((await aws.logs.send(new DescribeDeliveriesCommand({}))).deliveries ?? []).map((d) => d.id),
    );
    add(
      at('glue database'),
      ((await aws.glue.send(new GetDatabasesCommand({}))).DatabaseList ?? []).map((d) => d.Name),
    );
    const workgroups = (await aws.athena.send(new ListWorkGroupsCommand({}))).WorkGroups ?? [];
    add(
      at('athena workgroup'),
      workgroups.map((w) => w.Name).filter((n) => n !== 'primary'),
    );
    add(
      at('sns topic'),
      ((await aws.sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn),
    );
    add(
      at('cloudwatch alarm'),
      ((await aws.cloudWatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => a.AlarmName),
    );
    add(
      at('cloudwatch dashboard'),
      ((await aws.cloudWatch.send(new ListDashboardsCommand({}))).DashboardEntries ?? []).map((d) => d.DashboardName),
    );
    for (const secret of (await aws.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? []) {
      if (secret.DeletedDate !== undefined) scheduled.push(`secret ${secret.Name} (${r}), DeletedDate ${secret.DeletedDate.toISOString()}`);
      else left.push(`${at('secret')}: ${secret.Name}`);
    }
  }
  return { left, scheduledForDeletion: scheduled };
}
