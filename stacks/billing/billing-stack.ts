/**
 * Everything one environment runs, in the order requests and data flow:
 * edge (CloudFront + edge function + origin secret) -> api (REST API, usage plans, Lambda, the
 * key registry's bucket) -> logs (v2 delivery to S3, Glue table, Athena workgroup) -> usage
 * (deployment file for the job) -> monitoring (alarms, dashboard). Customers and their keys are
 * data the keys CLI manages (docs/keys.md), never resources of this stack.
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { resourceNames } from '../../contracts/resource-names';
import type { EnvironmentConfig, PlatformConfig } from '../../config/types';
import { configureBackend, stateKey } from '../shared/backend';
import type { BackendKind } from '../shared/backend';
import { standardTags, tagEverything } from '../shared/tags';
import { roleBoundaryArn } from '../bootstrap/role-boundary';
import { HandlerFunctions } from './api/handlers';
import { KeyRegistryBucket } from './api/key-registry';
import { UsagePlans, USAGE_PLANS_ID } from './api/usage-plans';
import { RestApi, STAGE_NAME } from './api/rest-api';
import { USAGE_LOOKUP_HANDLER, usageLookupEnvironment, usageLookupStatements } from './api/usage-lookup';
import { Distribution } from './edge/distribution';
import { OriginSecret } from './edge/origin-secret';
import { AccessLogs } from './logs/access-logs';
import { LogBuckets, logDeliverySourceName } from './logs/log-buckets';
import { LogTable } from './logs/log-table';
import { Workgroup } from './logs/workgroup';
import { UsageAlarms } from './monitoring/alarms';
import { UsageDashboard } from './monitoring/dashboard';
import { QuotaNoticeRoute } from './monitoring/notice-route';
import { DeploymentFile } from './usage/deployment-file';

export interface BillingStackProps {
  readonly config: PlatformConfig;
  readonly env: EnvironmentConfig;
  readonly backend: BackendKind;
}

export class BillingStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BillingStackProps) {
    super(scope, id);
    const { config, env } = props;
    const names = resourceNames(env);

    new AwsProvider(this, 'aws', { region: env.region, allowedAccountIds: [env.accountId] });
    configureBackend(
      this,
      props.backend === 'local' ? { kind: 'local' } : { kind: 's3', bucket: config.bootstrap.stateBucket, region: config.bootstrap.region, key: stateKey(id) },
    );
    tagEverything(this, standardTags(config.project, env.name));

    // Edge secret first: both CloudFront and the handlers need it.
    const originSecret = new OriginSecret(this, 'origin-secret', { prefix: env.prefix });

    // API: handlers, REST API, usage plans, the key registry's bucket.
    const handlers = new HandlerFunctions(this, 'handlers', {
      prefix: env.prefix,
      logRetentionDays: env.logRetentionDays,
      originSecret: originSecret.value,
      permissionsBoundary: roleBoundaryArn(env),
      access: new Map([[USAGE_LOOKUP_HANDLER, { statements: usageLookupStatements(env), environment: usageLookupEnvironment(env) }]]),
    });
    const api = new RestApi(this, 'api', { prefix: env.prefix, region: env.region, functions: handlers.functions, throttle: env.stageThrottle });
    const usagePlans = new UsagePlans(this, USAGE_PLANS_ID, { env, restApiId: api.api.id, stageName: api.stage.stageName });
    const registry = new KeyRegistryBucket(this, 'key-registry', { names });

    // Edge: CloudFront in front of the API.
    const edge = new Distribution(this, 'edge', {
      prefix: env.prefix,
      environment: env.name,
      apiDomainName: api.domainName,
      apiOriginPath: `/${STAGE_NAME}`,
      originSecret: originSecret.value,
      edgeKeyCheck: env.edgeKeyCheck ?? 'enforce',
    });
    const distribution = edge.distribution;

    // Logs: buckets, v2 delivery, table, workgroup.
    const buckets = new LogBuckets(this, 'buckets', { env, names });
    new AccessLogs(this, 'access-logs', {
      prefix: env.prefix,
      sourceName: logDeliverySourceName(env),
      distributionArn: distribution.arn,
      bucket: buckets.logs,
    });
    const table = new LogTable(this, 'log-table', {
      databaseName: names.glueDatabase,
      tableName: names.glueTable,
      bucket: names.logBucket,
      accountId: env.accountId,
      distributionId: distribution.id,
    });
    const workgroup = new Workgroup(this, 'athena', {
      name: names.athenaWorkgroup,
      resultsBucket: names.athenaResultsBucket,
      bytesScannedCutoff: env.usageJob.athenaBytesScannedCutoff,
    });

    // Usage: the job's deployment file (usage plan ids, where the registry is).
    const deploymentFile = new DeploymentFile(this, 'usage-job', {
      env,
      bucketId: buckets.usage.bucket.id,
      distributionId: distribution.id,
      usagePlans,
    });

    // Monitoring.
    const alarms = new UsageAlarms(this, 'alarms', { env, topicName: names.alarmTopic, workgroupName: names.athenaWorkgroup });
    new QuotaNoticeRoute(this, 'quota-notices', { env, topic: alarms.topic });
    new UsageDashboard(this, 'dashboard', { env, name: names.dashboard, distributionId: distribution.id });

    new TerraformOutput(this, 'cloudfront_domain', {
      value: `https://${distribution.domainName}`,
      description: 'URL customers call, e.g. curl -H "x-api-key: $KEY" <url>/example',
    });
    new TerraformOutput(this, 'distribution_id', { value: distribution.id });
    // Where the keys CLI writes the edge's entries (keys/edge-store-aws.ts).
    new TerraformOutput(this, 'edge_key_store_arn', { value: edge.edgeKeys.arn });
    // Where the keys CLI keeps the registry (keys/cli.ts, KEYS_REGISTRY_BUCKET).
    new TerraformOutput(this, 'key_registry_bucket', { value: registry.bucket.name });
    new TerraformOutput(this, 'athena_workgroup', { value: workgroup.workgroup.name });
    new TerraformOutput(this, 'glue_database', { value: table.database.name });
    new TerraformOutput(this, 'glue_table', { value: table.table.name });
    new TerraformOutput(this, 'log_bucket', { value: buckets.logs.name });
    new TerraformOutput(this, 'usage_bucket', { value: buckets.usage.name });
    new TerraformOutput(this, 'usage_job_deployment', { value: `s3://${names.usageBucket}/${deploymentFile.object.key}` });
    new TerraformOutput(this, 'alarm_topic_arn', { value: alarms.topic.arn });
    new TerraformOutput(this, 'dashboard_name', { value: names.dashboard });
  }
}
