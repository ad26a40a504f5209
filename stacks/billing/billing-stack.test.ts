import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HANDLERS } from '../../lambdas/bundle';
import { ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import { resourceNames } from '../../contracts/resource-names';
import { KEY_REGISTRY_OBJECT, USAGE_JOB_DEPLOYMENT_KEY } from '../../contracts/usage-job-deployment';
import { ACCEPTED_RECORD_FIELDS, parquetColumnName } from '../../sql/cloudfront-log-fields';
import { DELIVERY_SUFFIX_PATH, LOG_COLUMNS, LOG_RECORD_FIELDS, hourPrefix } from '../../sql/log-columns';
import { platformConfig } from '../../config/environments';
import { isTaggable } from '../shared/tags';
import { repoPath } from '../shared/repo';
import { billingStackName } from '../stack-names';
import { LAMBDA_RUNTIME, handlerPackage } from './api/handlers';
import { REGISTRY_VERSION_DAYS } from './api/key-registry';
import { API_ROUTES, STAGE_NAME } from './api/rest-api';
import { USAGE_LOOKUP_HANDLER, usageLookupStatements } from './api/usage-lookup';
import { ROUTES } from '../../lambdas/routes';
import {
  ALL_METHODS,
  MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER,
  MANAGED_CACHING_DISABLED,
  MANAGED_SECURITY_HEADERS,
  VIEWER_REQUEST_FUNCTION_FILE,
} from './edge/distribution';
import { asObject, addressOf, firstBlock, onlyResource, resourcesOf, synthPlatform } from '../testing/synth-platform';
import type { JsonObject, SynthesizedStack } from '../testing/synth-platform';

const stacks = synthPlatform(platformConfig, 'local');
const s3Stacks = synthPlatform(platformConfig, 's3');

const environments = platformConfig.environments.map((env) => {
  const synth = stacks.get(billingStackName(env.name));
  if (!synth) throw new Error(`no billing stack for ${env.name}`);
  return [env.name, env, synth] as const;
});

function ref(address: string, attribute: string): string {
  return `\${${address}.${attribute}}`;
}

describe.each(environments)('billing stack %s', (_name, env, synth) => {
  const names = resourceNames(env);

  it('synthesizes a full cdk.tf.json with the handler assets', () => {
    const dir = Testing.fullSynth(synth.stack);
    const written = asObject(JSON.parse(readFileSync(join(dir, 'stacks', synth.stack.node.id, 'cdk.tf.json'), 'utf8')));
    expect(Object.keys(asObject(written.resource))).toContain('aws_cloudfront_distribution');
    for (const fn of resourcesOf(synth, 'aws_lambda_function').values()) {
      expect(
        readFileSync(join(dir, 'stacks', synth.stack.node.id, String(fn.filename)))
          .subarray(0, 2)
          .toString('latin1'),
      ).toBe('PK');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  describe('edge', () => {
    const distribution = onlyResource(synth, 'aws_cloudfront_distribution');
    const behavior = firstBlock(distribution.default_cache_behavior, 'default_cache_behavior');
    const origin = firstBlock(distribution.origin, 'origin');
    const fnAddress = addressOf(synth, 'aws_cloudfront_function');

    it('serves HTTPS only, to viewers and to the origin', () => {
      expect(behavior.viewer_protocol_policy).toBe('https-only');
      const custom = firstBlock(origin.custom_origin_config, 'custom_origin_config');
      expect(custom.origin_protocol_policy).toBe('https-only');
      expect(custom.origin_ssl_protocols).toEqual(['TLSv1.2']);
    });

    it('allows every method, caches nothing and forwards viewer headers except Host', () => {
      expect(behavior.allowed_methods).toEqual(ALL_METHODS);
      expect(behavior.cache_policy_id).toBe(MANAGED_CACHING_DISABLED);
      expect(behavior.origin_request_policy_id).toBe(MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER);
      expect(behavior.response_headers_policy_id).toBe(MANAGED_SECURITY_HEADERS);
    });

    it('points at the API stage and adds the origin secret from Secrets Manager, never a literal', () => {
      expect(origin.domain_name).toBe(`${ref(addressOf(synth, 'aws_api_gateway_rest_api'), 'id')}.execute-api.${env.region}.amazonaws.com`);
      expect(origin.origin_path).toBe(`/${STAGE_NAME}`);
      const header = firstBlock(origin.custom_header, 'custom_header');
      expect(header.name).toBe(ORIGIN_SECRET_HEADER);
      expect(header.value).toBe(ref(addressOf(synth, 'aws_secretsmanager_secret_version'), 'secret_string'));
      const version = onlyResource(synth, 'aws_secretsmanager_secret_version');
      expect(version.lifecycle).toEqual({ ignore_changes: ['secret_string'] });
      const seeds = Object.keys(asObject(asObject(synth.json.data).aws_secretsmanager_random_password));
      expect(seeds).toHaveLength(1);
      expect(version.secret_string).toBe(ref(`data.aws_secretsmanager_random_password.${seeds[0]}`, 'random_password'));
    });

    it('runs the edge function from cf-functions, published, on viewer request', () => {
      const fn = onlyResource(synth, 'aws_cloudfront_function');
      expect(fn.runtime).toBe('cloudfront-js-2.0');
      expect(fn.publish).toBe(true);
      expect(fn.code).toBe(readFileSync(repoPath(VIEWER_REQUEST_FUNCTION_FILE), 'utf8'));
      expect(behavior.function_association).toEqual([{ event_type: 'viewer-request', function_arn: ref(fnAddress, 'arn') }]);
    });

    it("sets the function's edge key check from the environment (admit-unknown only while moving keys out of Terraform)", () => {
      const fn = onlyResource(synth, 'aws_cloudfront_function');
      const check = env.edgeKeyCheck ?? 'enforce';
      expect(String(fn.code)).toContain(`var ADMIT_UNKNOWN = ${String(check === 'admit-unknown')};`);
      const other = check === 'enforce' ? 'admit-unknown' : 'enforce';
      const flipped = synthPlatform({
        ...platformConfig,
        environments: platformConfig.environments.map((e) => (e.name === env.name ? { ...e, edgeKeyCheck: other } : e)),
      });
      const flippedFn = onlyResource(flipped.get(billingStackName(env.name))!, 'aws_cloudfront_function');
      expect(String(flippedFn.code)).toContain(`var ADMIT_UNKNOWN = ${String(other === 'admit-unknown')};`);
    });
  });

  describe('access logs (standard logging v2)', () => {
    it('delivers ACCESS_LOGS of the distribution as Parquet with Hive paths and the delivered fields, in us-east-1', () => {
      const source = onlyResource(synth, 'aws_cloudwatch_log_delivery_source');
      const destination = onlyResource(synth, 'aws_cloudwatch_log_delivery_destination');
      const delivery = onlyResource(synth, 'aws_cloudwatch_log_delivery');
      for (const r of [source, destination, delivery]) expect(r.region).toBe('us-east-1');
      expect(source.log_type).toBe('ACCESS_LOGS');
      expect(source.resource_arn).toBe(ref(addressOf(synth, 'aws_cloudfront_distribution'), 'arn'));
      expect(destination.output_format).toBe('parquet');
      const logBucket = addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === names.logBucket);
      expect(destination.delivery_destination_configuration).toEqual([{ destination_resource_arn: ref(logBucket, 'arn') }]);
      expect(delivery.record_fields).toEqual(LOG_RECORD_FIELDS);
      // Names exactly as AWS lists them (a wrong one passes plan and fails the apply), with the
      // field the edge function writes the key fingerprint into.
      const fields = delivery.record_fields as string[];
      expect(fields.filter((f) => !ACCEPTED_RECORD_FIELDS.has(f))).toEqual([]);
      expect(fields).toContain('viewer-request-log-data');
      expect(fields).toContain('cs(User-Agent)');
      expect(delivery.s3_delivery_configuration).toEqual([{ enable_hive_compatible_path: true, suffix_path: DELIVERY_SUFFIX_PATH }]);
    });
  });

  describe('buckets', () => {
    const buckets = resourcesOf(synth, 'aws_s3_bucket');
    const byBucketRef = (type: string) => new Map([...resourcesOf(synth, type).values()].map((r) => [String(r.bucket), r] as const));

    it('creates the log, Athena results, usage and key registry buckets with the shared names', () => {
      expect([...buckets.values()].map((b) => b.bucket).sort()).toEqual(
        [names.athenaResultsBucket, names.logBucket, names.usageBucket, names.keyRegistryBucket].sort(),
      );
    });

    it('blocks public access, enforces bucket ownership, encrypts and denies non-TLS requests on every bucket', () => {
      const publicAccess = byBucketRef('aws_s3_bucket_public_access_block');
      const ownership = byBucketRef('aws_s3_bucket_ownership_controls');
      const encryption = byBucketRef('aws_s3_bucket_server_side_encryption_configuration');
      const policies = byBucketRef('aws_s3_bucket_policy');
      for (const id of buckets.keys()) {
        const bucketRef = ref(`aws_s3_bucket.${id}`, 'id');
        expect(publicAccess.get(bucketRef)).toMatchObject({
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        });
        expect(ownership.get(bucketRef)?.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
        expect(JSON.stringify(encryption.get(bucketRef)?.rule)).toContain('"sse_algorithm":"AES256"');
        const policy = JSON.parse(String(policies.get(bucketRef)?.policy)) as { Statement: JsonObject[] };
        expect(policy.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    it('lets only this account and distribution delivery source write logs, under AWSLogs/', () => {
      const logRef = ref(
        addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === names.logBucket),
        'id',
      );
      const policy = JSON.parse(String(byBucketRef('aws_s3_bucket_policy').get(logRef)?.policy)) as { Statement: JsonObject[] };
      const write = policy.Statement.find((s) => s.Sid === 'AWSLogDeliveryWrite');
      expect(write).toEqual({
        Sid: 'AWSLogDeliveryWrite',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${names.logBucket}/AWSLogs/*`,
        Condition: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': env.accountId },
          ArnLike: { 'aws:SourceArn': `arn:aws:logs:us-east-1:${env.accountId}:delivery-source:${env.prefix}-cf-access-logs` },
        },
      });
      expect(onlyResource(synth, 'aws_cloudwatch_log_delivery_source').name).toBe(`${env.prefix}-cf-access-logs`);
    });

    it('expires logs and Athena results after the configured days; keeps usage data, versioned', () => {
      const lifecycles = byBucketRef('aws_s3_bucket_lifecycle_configuration');
      const rules = (bucket: string) => {
        const lc = lifecycles.get(
          ref(
            addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === bucket),
            'id',
          ),
        );
        return lc === undefined ? [] : (lc.rule as JsonObject[]);
      };
      const expiryDays = (bucket: string) => rules(bucket).flatMap((r) => (r.expiration === undefined ? [] : [firstBlock(r.expiration, 'expiration').days]));
      expect(expiryDays(names.logBucket)).toEqual([env.accessLogExpirationDays]);
      expect(expiryDays(names.athenaResultsBucket)).toEqual([env.athenaResultsExpirationDays]);
      expect(expiryDays(names.usageBucket)).toEqual([]);
      const usageRule = rules(names.usageBucket).map((r) => firstBlock(r.noncurrent_version_expiration, 'noncurrent').noncurrent_days);
      expect(usageRule).toEqual([90]);
      const versioning = byBucketRef('aws_s3_bucket_versioning');
      const usageVersioning = versioning.get(
        ref(
          addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === names.usageBucket),
          'id',
        ),
      );
      expect(usageVersioning?.versioning_configuration).toEqual({ status: 'Enabled' });
    });
  });

  describe('query', () => {
    it('has an Athena workgroup on engine v3, enforced, encrypted, with the configured cutoff', () => {
      const wg = onlyResource(synth, 'aws_athena_workgroup');
      expect(wg.name).toBe(names.athenaWorkgroup);
      const conf = firstBlock(wg.configuration, 'configuration');
      expect(conf.enforce_workgroup_configuration).toBe(true);
      expect(conf.bytes_scanned_cutoff_per_query).toBe(env.usageJob.athenaBytesScannedCutoff);
      expect(conf.engine_version).toEqual({ selected_engine_version: 'Athena engine version 3' });
      expect(conf.result_configuration).toEqual({
        output_location: `s3://${names.athenaResultsBucket}/results/`,
        encryption_configuration: { encryption_option: 'SSE_S3' },
      });
    });

    const table = onlyResource(synth, 'aws_glue_catalog_table');
    const params = asObject(table.parameters);

    it('projects year/month/day/hour with two-digit month, day and hour, hours 00 to 23', () => {
      expect(params['projection.enabled']).toBe('true');
      expect(params['projection.hour.range']).toBe('0,23');
      for (const key of ['month', 'day', 'hour']) {
        expect(params[`projection.${key}.type`]).toBe('integer');
        expect(params[`projection.${key}.digits`]).toBe('2');
      }
      expect(params['projection.month.range']).toBe('1,12');
      expect(params['projection.day.range']).toBe('1,31');
      expect(table.partition_keys).toEqual(['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'int' })));
    });

    it('has a location template that, filled in, is exactly the delivered hour prefix (docs/contracts.md, log layout)', () => {
      const distId = ref(addressOf(synth, 'aws_cloudfront_distribution'), 'id');
      const template = String(params['storage.location.template']);
      const hour = new Date(Date.UTC(2026, 2, 7, 5));
      const filled = template.replace('$${year}', '2026').replace('$${month}', '03').replace('$${day}', '07').replace('$${hour}', '05');
      expect(filled).toBe(`s3://${names.logBucket}/${hourPrefix(env.accountId, distId, hour)}`);
    });

    it('declares a lower-case string column for every delivered field', () => {
      const descriptor = firstBlock(table.storage_descriptor, 'storage_descriptor');
      expect(descriptor.columns).toEqual(LOG_COLUMNS.map((c) => ({ name: parquetColumnName(c.field).toLowerCase(), type: 'string', comment: c.comment })));
      expect((descriptor.columns as { name: string }[]).map((c) => c.name)).toEqual(
        expect.arrayContaining(['viewer_request_log_data', 'cs_user_agent', 'cs_uri_query']),
      );
      expect(firstBlock(descriptor.ser_de_info, 'ser_de_info').serialization_library).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    });
  });

  describe('API', () => {
    it('requires an API key on every method but GET /usage, with Lambda proxy integrations for each route', () => {
      const methods = [...resourcesOf(synth, 'aws_api_gateway_method').values()];
      expect(methods.map((m) => m.http_method).sort()).toEqual(API_ROUTES.map((r) => r.method).sort());
      expect(API_ROUTES.map((r) => `${r.method} /${r.path} ${r.handler}`)).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.name}`));
      const keyless = methods.filter((m) => m.api_key_required !== true);
      expect(keyless.map((m) => [m.http_method, m.api_key_required])).toEqual([['GET', false]]);
      expect(String(keyless[0].resource_id)).toContain('usage-resource');
      for (const i of resourcesOf(synth, 'aws_api_gateway_integration').values()) {
        expect(i).toMatchObject({ type: 'AWS_PROXY', integration_http_method: 'POST' });
      }
      expect([...resourcesOf(synth, 'aws_api_gateway_resource').values()].map((r) => r.path_part).sort()).toEqual(['data', 'example', 'usage']);
    });

    it('replaces the deployment whenever the definition changes', () => {
      const deployment = onlyResource(synth, 'aws_api_gateway_deployment');
      expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
      const triggers = asObject(deployment.triggers);
      const redeployment = String(triggers.redeployment);
      expect(redeployment).toMatch(/^\$\{sha1\(jsonencode\(\[/);
      for (const type of ['aws_api_gateway_resource', 'aws_api_gateway_method', 'aws_api_gateway_integration']) {
        for (const id of resourcesOf(synth, type).keys()) expect(redeployment).toContain(`${type}.${id}.id`);
      }
      expect(triggers.definition).toMatch(/^[0-9a-f]{64}$/);
    });

    it('throttles the stage by default and each plan by its quota and limits', () => {
      expect(onlyResource(synth, 'aws_api_gateway_stage').stage_name).toBe(STAGE_NAME);
      const allSettings = [...resourcesOf(synth, 'aws_api_gateway_method_settings').values()];
      expect(allSettings.map((x) => x.method_path).sort()).toEqual(['*/*', 'usage/GET']);
      const settings = allSettings.find((x) => x.method_path === '*/*')!;
      // GET /usage has no usage plan: its own method throttle caps it for all callers together.
      const usageRoute = ROUTES.find((r) => r.name === 'usage')!;
      expect(allSettings.find((x) => x.method_path === 'usage/GET')!.settings).toMatchObject({
        throttling_rate_limit: usageRoute.throttle!.rateLimit,
        throttling_burst_limit: usageRoute.throttle!.burstLimit,
      });
      expect(settings.settings).toMatchObject({ throttling_rate_limit: env.stageThrottle.rateLimit, throttling_burst_limit: env.stageThrottle.burstLimit });
      const plans = [...resourcesOf(synth, 'aws_api_gateway_usage_plan').values()];
      expect(plans.map((p) => p.name).sort()).toEqual(
        Object.keys(env.usagePlans)
          .map((n) => `${env.prefix}-${n}`)
          .sort(),
      );
      for (const [name, plan] of Object.entries(env.usagePlans)) {
        const p = plans.find((x) => x.name === `${env.prefix}-${name}`);
        expect(p?.quota_settings).toEqual({ limit: plan.monthlyQuota, period: 'MONTH' });
        expect(p?.throttle_settings).toEqual({ rate_limit: plan.rateLimit, burst_limit: plan.burstLimit });
      }
    });

    it('creates no API key and no usage-plan key: customers are registry data (keys CLI)', () => {
      expect(resourcesOf(synth, 'aws_api_gateway_api_key').size).toBe(0);
      expect(resourcesOf(synth, 'aws_api_gateway_usage_plan_key').size).toBe(0);
    });

    it('forgets the keys it used to manage, without destroying them (one removed block per former resource)', () => {
      // The addresses the stack gave these keys before they became registry data, as in the
      // snapshot of commit c2fd53b; a different address would plan a destroy of the live key.
      const before: Record<string, Record<string, [string, string]>> = {
        dev: { 'acme-dev': ['BECE0E0F', '6252D318'], 'smoke-test': ['BA3F8EF4', '9DDF35FC'] },
        prod: { acme: ['BF92F248', '54242C8B'], globex: ['FED6771D', '6D8B406F'], 'smoke-test': ['BA3F8EF4', '9DDF35FC'] },
      };
      const expected = Object.entries(before[env.name]).flatMap(([id, [key, binding]]) => [
        { from: `aws_api_gateway_api_key.keys_key-${id}_${key}`, lifecycle: { destroy: false } },
        { from: `aws_api_gateway_usage_plan_key.keys_plan-key-${id}_${binding}`, lifecycle: { destroy: false } },
      ]);
      expect(env.formerTerraformKeyIds).toEqual(Object.keys(before[env.name]));
      expect(synth.json.removed).toEqual(expected);
    });
  });

  describe('Lambda', () => {
    const functions = [...resourcesOf(synth, 'aws_lambda_function').values()];

    it('runs one arm64 function per handler on the newest Node.js runtime, with the origin secret', () => {
      expect(functions.map((f) => f.function_name).sort()).toEqual(HANDLERS.map((h) => `${env.prefix}-${h.name}`).sort());
      for (const f of functions) {
        expect(f.runtime).toBe(LAMBDA_RUNTIME);
        expect(LAMBDA_RUNTIME).toBe('nodejs24.x');
        expect(f.architectures).toEqual(['arm64']);
        expect(asObject(asObject(f.environment).variables)[ORIGIN_SECRET_ENV]).toBe(
          ref(addressOf(synth, 'aws_secretsmanager_secret_version'), 'secret_string'),
        );
      }
    });

    it('packages each bundle as a deterministic zip asset whose hash follows the code', () => {
      for (const spec of HANDLERS) {
        const f = functions.find((x) => x.function_name === `${env.prefix}-${spec.name}`);
        const pkg = handlerPackage(spec);
        const zip = readFileSync(pkg.zipPath);
        expect(f?.source_code_hash).toBe(createHash('sha256').update(zip).digest('base64'));
        expect(String(f?.filename)).toMatch(new RegExp(`^assets/handlers_${spec.name}-bundle_[0-9A-F]+/[0-9A-F]{32}/${spec.name}\\.zip$`));
        // The zip holds the bundle at its root, as index.js (handler "index.handler").
        expect(zip.subarray(30, 30 + 'index.js'.length).toString('latin1')).toBe('index.js');
        expect(readFileSync(join(pkg.bundleDir, 'index.js')).length).toBeGreaterThan(0);
      }
    });

    it('gives each function a log group with the configured retention and a role that writes only there', () => {
      const groups = resourcesOf(synth, 'aws_cloudwatch_log_group');
      const policies = [...resourcesOf(synth, 'aws_iam_role_policy').values()];
      for (const f of functions) {
        const groupAddress = addressOf(synth, 'aws_cloudwatch_log_group', (g) => g.name === `/aws/lambda/${String(f.function_name)}`);
        const group = groups.get(groupAddress.split('.')[1]);
        expect(group?.retention_in_days).toBe(env.logRetentionDays);
        expect(asObject(f.logging_config).log_group).toBe(ref(groupAddress, 'name'));
        const roleAddress = String(f.role).replace(/^\$\{(.*)\.arn\}$/, '$1');
        const rolePolicies = policies.filter((p) => p.role === ref(roleAddress, 'id'));
        const lookup = f.function_name === `${env.prefix}-${USAGE_LOOKUP_HANDLER}`;
        expect(rolePolicies).toHaveLength(lookup ? 2 : 1);
        expect(JSON.parse(String(rolePolicies[0].policy))).toEqual({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${ref(groupAddress, 'arn')}:*` }],
        });
        if (lookup) expect(JSON.parse(String(rolePolicies[1].policy)).Statement).toEqual(usageLookupStatements(env));
      }
    });

    it('lets GET /usage read only the registry object and the customer usage summaries, and says where they are', () => {
      const f = functions.find((x) => x.function_name === `${env.prefix}-${USAGE_LOOKUP_HANDLER}`)!;
      expect(asObject(asObject(f.environment).variables)).toMatchObject({
        USAGE_ENVIRONMENT: env.name,
        USAGE_REGISTRY_BUCKET: names.keyRegistryBucket,
        USAGE_REGISTRY_KEY: 'registry.json',
        USAGE_SUMMARY_BUCKET: names.usageBucket,
      });
      expect(usageLookupStatements(env)).toEqual([
        {
          Sid: 'ReadRegistryAndCustomerUsage',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: [`arn:aws:s3:::${names.keyRegistryBucket}/registry.json`, `arn:aws:s3:::${names.usageBucket}/customer-usage/*`],
        },
      ]);
      for (const other of functions.filter((x) => x !== f)) expect(asObject(asObject(other.environment).variables).USAGE_ENVIRONMENT).toBeUndefined();
    });
  });

  describe('usage-job deployment file', () => {
    it('names the usage plans (ids from Terraform) and the key registry, and holds no key or customer', () => {
      const object = onlyResource(synth, 'aws_s3_object');
      expect(object.key).toBe(USAGE_JOB_DEPLOYMENT_KEY);
      expect(object.bucket).toBe(
        ref(
          addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === names.usageBucket),
          'id',
        ),
      );
      const content = String(object.content);
      expect(content).toMatch(/^\$\{jsonencode\(\{/);
      expect(content).toContain(`"keyRegistry" = {"bucket" = "${names.keyRegistryBucket}", "key" = "${KEY_REGISTRY_OBJECT}"}`);
      for (const [name, plan] of Object.entries(env.usagePlans)) {
        const address = addressOf(synth, 'aws_api_gateway_usage_plan', (p) => p.name === `${env.prefix}-${name}`);
        expect(content).toContain(`"${name}" = {"usagePlanId" = ${address}.id, "monthlyQuota" = ${plan.monthlyQuota}}`);
      }
      expect(content).not.toMatch(/aws_api_gateway_api_key|fingerprint|sha256/);
    });

    it('records the prices and quota thresholds of record: what this apply deploys is what the usage job bills with', () => {
      const content = String(onlyResource(synth, 'aws_s3_object').content);
      expect(content).toContain(`"prices" = {"currency" = "${env.prices.currency}", "plans" = {`);
      for (const plan of Object.keys(env.usagePlans)) expect(content).toMatch(new RegExp(`"plans" = \\{.*"${plan}" = \\{"requests" = \\{"mode" = "`));
      expect(content).toContain('{"upTo" = null, ');
      expect(content).toContain(`"quotaPercentThresholds" = [${env.alarms.quotaPercentThresholds.join(', ')}]`);
    });
  });

  describe('key registry bucket', () => {
    it('is private, encrypted, TLS-only and versioned, and keeps old versions a year', () => {
      const address = addressOf(synth, 'aws_s3_bucket', (b) => b.bucket === names.keyRegistryBucket);
      const bucketRef = ref(address, 'id');
      const of = (type: string) => [...resourcesOf(synth, type).values()].filter((r) => r.bucket === bucketRef);
      expect(of('aws_s3_bucket_public_access_block')).toEqual([
        { bucket: bucketRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
      ]);
      expect(of('aws_s3_bucket_versioning').map((v) => v.versioning_configuration)).toEqual([{ status: 'Enabled' }]);
      expect(JSON.stringify(of('aws_s3_bucket_server_side_encryption_configuration'))).toContain('"sse_algorithm":"AES256"');
      expect(JSON.stringify(of('aws_s3_bucket_policy'))).toContain('aws:SecureTransport');
      const rules = of('aws_s3_bucket_lifecycle_configuration').flatMap((l) => l.rule as JsonObject[]);
      expect(rules.map((r) => [r.id, r.expiration, r.noncurrent_version_expiration])).toEqual([
        ['expire-old-versions', undefined, [{ noncurrent_days: REGISTRY_VERSION_DAYS }]],
      ]);
      // Terraform makes the bucket only; the registry object is the keys CLI's.
      expect([...resourcesOf(synth, 'aws_s3_object').values()].filter((o) => o.bucket === bucketRef)).toEqual([]);
    });
  });

  describe('outputs', () => {
    it('name the URL, the key registry bucket, query resources and log bucket', () => {
      const outputs = asObject(synth.json.output);
      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          'cloudfront_domain',
          'key_registry_bucket',
          'edge_key_store_arn',
          'athena_workgroup',
          'glue_database',
          'glue_table',
          'log_bucket',
        ]),
      );
      expect(Object.keys(outputs)).not.toContain('api_key_ids');
      expect(asObject(outputs.key_registry_bucket).value).toBe(names.keyRegistryBucket);
    });

    it('never contain a key value or the origin secret', () => {
      const text = JSON.stringify(synth.json.output);
      expect(text).not.toMatch(/aws_api_gateway_api_key\.[^.]+\.value/);
      expect(text).not.toContain('secret_string');
      expect(text).not.toContain('random_password');
    });
  });

  it('tags every taggable resource with project, environment and managed-by', () => {
    let checked = 0;
    for (const node of synth.stack.node.findAll()) {
      if (!isTaggable(node)) continue;
      const body = resourcesOf(synth, node.terraformResourceType).get(node.friendlyUniqueId);
      expect(body?.tags).toEqual({ project: platformConfig.project, environment: env.name, 'managed-by': 'cdktf' });
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('keeps its state in the S3 state bucket under its own key with native locking by default', () => {
    const s3 = s3Stacks.get(billingStackName(env.name));
    expect(asObject(s3?.json.terraform).backend).toEqual({
      s3: {
        bucket: platformConfig.bootstrap.stateBucket,
        key: `${billingStackName(env.name)}/terraform.tfstate`,
        region: platformConfig.bootstrap.region,
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(asObject(synth.json.terraform).backend).toEqual({ local: { path: `terraform.${billingStackName(env.name)}.tfstate` } });
  });

  it('matches the snapshot (asset hashes and the edge function code masked: they belong to the handlers and edge tests)', () => {
    expect(stableSnapshot(synth)).toMatchSnapshot();
  });
});

/** The synthesized JSON with bundle-dependent values replaced, so the snapshot tracks the stack, not the code. */
function stableSnapshot(synth: SynthesizedStack): string {
  return synth.text
    .replace(/assets\/([A-Za-z0-9_-]+?)_[0-9A-F]{8}\/[0-9A-F]{32}\/([a-z0-9-]+)\.zip/g, 'assets/$1/<hash>/$2.zip')
    .replace(/"source_code_hash": "[A-Za-z0-9+/=]+"/g, '"source_code_hash": "<sha256 of bundle>"')
    .replace(/"code": "(?:[^"\\]|\\.)*"/g, `"code": "<${VIEWER_REQUEST_FUNCTION_FILE}>"`);
}
