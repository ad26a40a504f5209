/**
 * What moto 5.2.5 (the AWS-compatible server the check applies to) does differently from AWS, as
 * met by this check: each entry says what moto does, where that was seen (moto's own source in
 * .venv, or the failing call), and what the check does about it. Three kinds of handling:
 * - `adapt`: a change to the TEST COPY without which apply cannot finish on moto;
 * - `planDiffs`: the second plan's diffs this limitation explains (any other diff fails the check);
 * - otherwise a stand-in or a server setting, described in `handling`.
 * docs/terraform-check.md lists the same entries; terraform-check/cli.ts prints them.
 */
import type { RewriteChange } from './provider-rewrites';
import { blocksOf, isObject, referencedAddress, type Json, type JsonObject } from './terraform-json';

export const MOTO_VERSION = '5.2.5';

export interface PlanDiffPattern {
  readonly resourceType: string;
  /** Attribute path with list indices as [*], e.g. default_cache_behavior[*].forwarded_values */
  readonly path: string;
  /** True when before (state, as moto returned it) and after (configuration) are this limitation's diff. */
  explains(before: Json | undefined, after: Json | undefined): boolean;
}

export interface MotoLimitation {
  readonly id: string;
  readonly behaviour: string;
  readonly evidence: string;
  readonly handling: string;
  readonly adapt?: (stack: JsonObject) => RewriteChange[];
  readonly planDiffs?: readonly PlanDiffPattern[];
}

const empty = (v: Json | undefined): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** moto's defaults for a behaviour sent without ForwardedValues: QueryString false, Cookies none. */
function isMotoDefaultForwardedValues(v: Json | undefined): boolean {
  if (!Array.isArray(v) || v.length !== 1 || !isObject(v[0])) return false;
  const fv = v[0];
  const cookies = Array.isArray(fv.cookies) ? fv.cookies[0] : undefined;
  return fv.query_string === false && empty(fv.headers) && empty(fv.query_string_cache_keys) && isObject(cookies) && cookies.forward === 'none';
}

export const DENY_INSECURE_TRANSPORT_SID = 'DenyInsecureTransport';

/**
 * The bucket the stack names in its `key_registry_bucket` output: the keys CLI writes the registry
 * there (the check makes customers with it), though no aws_s3_object of the stack does.
 */
function keyRegistryBucketAddress(stack: JsonObject, blocks: ReturnType<typeof blocksOf>): string | undefined {
  const output = isObject(stack.output) ? stack.output.key_registry_bucket : undefined;
  const name = isObject(output) ? output.value : undefined;
  return blocks.find((b) => b.type === 'aws_s3_bucket' && typeof name === 'string' && b.body.bucket === name)?.address;
}

/** Drops the TLS-only statement from the policy of every bucket objects are written to (by the stack, or by the keys CLI in the check). */
function dropSecureTransportDenyWhereObjectsAreWritten(stack: JsonObject): RewriteChange[] {
  const blocks = blocksOf(stack);
  const written = new Set(blocks.filter((b) => b.type === 'aws_s3_object').map((b) => referencedAddress(b.body.bucket)));
  const registry = keyRegistryBucketAddress(stack, blocks);
  if (registry !== undefined) written.add(registry);
  const changes: RewriteChange[] = [];
  for (const block of blocks) {
    if (block.type !== 'aws_s3_bucket_policy' || !written.has(referencedAddress(block.body.bucket))) continue;
    const text = block.body.policy;
    if (typeof text !== 'string' || text.includes('${'))
      throw new Error(`${block.address}: policy is not a literal JSON document; cannot drop ${DENY_INSECURE_TRANSPORT_SID}`);
    const doc = JSON.parse(text) as { Statement: { Sid?: string }[] };
    const kept = doc.Statement.filter((s) => s.Sid !== DENY_INSECURE_TRANSPORT_SID);
    if (kept.length === doc.Statement.length) continue;
    block.body.policy = JSON.stringify({ ...doc, Statement: kept });
    changes.push({ at: block.address, detail: `statement ${DENY_INSECURE_TRANSPORT_SID} left out (the bucket of ${[...written].join(', ')})` });
  }
  return changes;
}

function unpublishCloudFrontFunctions(stack: JsonObject): RewriteChange[] {
  const changes: RewriteChange[] = [];
  for (const block of blocksOf(stack)) {
    if (block.type !== 'aws_cloudfront_function' || block.body.publish !== true) continue;
    block.body.publish = false;
    changes.push({ at: block.address, detail: 'publish = true -> false' });
  }
  return changes;
}

const MOTO = `.venv/lib/python3.11/site-packages/moto`;

export const MOTO_LIMITATIONS: readonly MotoLimitation[] = [
  {
    id: 'cloudfront-publish-function',
    behaviour: 'moto has no CloudFront PublishFunction: POST /2020-05-31/function/<name>/publish answers 404, so apply stops at the function.',
    evidence: `${MOTO}/cloudfront/urls.py routes /function, /function/<name> and /function/<name>/describe only; apply failed with "PublishFunction, https response error StatusCode: 404".`,
    handling:
      'Test copy: aws_cloudfront_function.publish = false (the function is created, its LIVE stage is not). Read-back compares the DEVELOPMENT code with cf-functions/viewer-request.js.',
    adapt: unpublishCloudFrontFunctions,
  },
  {
    id: 's3-bucket-policy-conditions',
    behaviour:
      'moto evaluates a bucket policy on object requests (GET, PUT, HEAD, DELETE, DeleteObjects) without any request context, and a statement whose Condition it cannot satisfy counts as an explicit deny. So the TLS-only statement (Deny unless aws:SecureTransport is true) refuses every object request, over TLS or not.',
    evidence: `${MOTO}/iam/access_control.py IAMPolicyStatement.is_action_permitted returns DENIED when _check_conditions fails, whatever the Effect; ${MOTO}/s3/responses.py answers 403 when bucket.get_permission is DENIED; apply failed uploading the usage-job deployment file with 403.`,
    handling:
      "Test copy: the DenyInsecureTransport statement is left out of the policy of each bucket objects are written to (the usage bucket: the deployment file, then the usage job's rollups; the key registry bucket, output key_registry_bucket: the keys CLI's registry). Every other bucket keeps it, and read-back checks that it is there.",
    adapt: dropSecureTransportDenyWhereObjectsAreWritten,
  },
  {
    id: 'cloudfront-function-associations',
    behaviour: "moto ignores a cache behaviour's FunctionAssociations and always returns Quantity 0, so the edge function never appears attached.",
    evidence: `${MOTO}/cloudfront/models.py DefaultCacheBehaviour.__init__: self.function_associations = {"Quantity": 0}.`,
    handling:
      "The second plan's diff default_cache_behavior.function_association (absent -> the configured association) is attributed here; read-back cannot check the association.",
    planDiffs: [
      { resourceType: 'aws_cloudfront_distribution', path: 'default_cache_behavior[*].function_association', explains: (b, a) => empty(b) && !empty(a) },
    ],
  },
  {
    id: 'cloudfront-forwarded-values-default',
    behaviour:
      'moto fills in ForwardedValues (QueryString false, Cookies none) on a behaviour sent without them. AWS holds none on a behaviour with a cache policy: it refuses both together ("The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior").',
    evidence: `${MOTO}/cloudfront/models.py ForwardedValues.__init__ adds QueryString and Cookies when missing; DefaultCacheBehaviour always builds one.`,
    handling: "The second plan's diff default_cache_behavior.forwarded_values (moto's defaults -> none) is attributed here.",
    planDiffs: [
      {
        resourceType: 'aws_cloudfront_distribution',
        path: 'default_cache_behavior[*].forwarded_values',
        explains: (b, a) => isMotoDefaultForwardedValues(b) && empty(a),
      },
    ],
  },
  {
    id: 'cloudfront-ssl-support-method-default',
    behaviour:
      'moto answers SSLSupportMethod "sni-only" for a viewer certificate sent without one. The stack uses the CloudFront default certificate, for which AWS says to leave SSLSupportMethod unset (API reference, ViewerCertificate); setting "sni-only" there is itself a known perpetual diff (cloudposse/terraform-aws-cloudfront-s3-cdn PR 213).',
    evidence: `${MOTO}/cloudfront/models.py ViewerCertificate.__init__: self.ssl_support_method = config.get("SSLSupportMethod") or "sni-only".`,
    handling: 'The second plan\'s diff viewer_certificate.ssl_support_method ("sni-only" -> unset) is attributed here.',
    planDiffs: [
      { resourceType: 'aws_cloudfront_distribution', path: 'viewer_certificate[*].ssl_support_method', explains: (b, a) => b === 'sni-only' && empty(a) },
    ],
  },
  {
    id: 'lambda-logging-config',
    behaviour:
      "moto's Lambda does not keep a function's LoggingConfig: GetFunction returns none (AWS returns LogFormat and LogGroup), so the configured logging never reads back.",
    evidence: `${MOTO}/awslambda/models.py LambdaFunction.get_configuration builds the response without LoggingConfig (the module never mentions it).`,
    handling:
      "The second plan's diff logging_config (none -> the configured block) is attributed here; read-back checks the log group and its retention instead.",
    planDiffs: [{ resourceType: 'aws_lambda_function', path: 'logging_config', explains: (b, a) => empty(b) && !empty(a) }],
  },
  {
    id: 'apigateway-get-usage',
    behaviour:
      'moto has no API Gateway GetUsage (GET /usageplans/<id>/usage is not routed; the SDK gets an HTML 404), which the usage job calls to reconcile with API Gateway.',
    evidence: `${MOTO}/apigateway/urls.py routes /usageplans/<id>, /keys and /keys/<id> only; a usage run against moto failed with "GetUsage ... Unexpected token '<'".`,
    handling:
      "The usage job's API Gateway endpoint (AWS_ENDPOINT_URL_API_GATEWAY) is a loopback GetUsage stand-in (usage-job/aws/testing/get-usage-server.ts) that knows the usage plans and keys read back from moto, each with no usage.",
  },
  {
    id: 'athena-runs-no-sql',
    behaviour: "moto's Athena does not execute queries: every execution succeeds and GetQueryResults returns no rows unless results were queued.",
    evidence: `${MOTO}/athena/models.py AthenaBackend.get_query_results docstring: "Queries are not executed by Moto, so this call will always return 0 rows by default."`,
    handling: 'The usage run computes zeros for every key; the check reads back that it published them and the heartbeat.',
  },
  {
    id: 'iam-managed-policies-opt-in',
    behaviour:
      'moto knows AWS managed policies (arn:aws:iam::aws:policy/...) only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true; otherwise attaching ReadOnlyAccess fails.',
    evidence: `${MOTO}/settings.py load_iam_aws_managed_policies() reads MOTO_IAM_LOAD_MANAGED_POLICIES (default off); no stack attaches one today (the plan roles lost ReadOnlyAccess); the switch is kept for one that does.`,
    handling: 'The server of a stack that attaches an AWS managed policy is started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.',
  },
];

export interface AdaptedLimitation {
  readonly id: string;
  readonly changes: readonly RewriteChange[];
}

/** Applies each limitation's test-copy change to `stack` in place. */
export function adaptForMoto(stack: JsonObject): AdaptedLimitation[] {
  return MOTO_LIMITATIONS.filter((l) => l.adapt !== undefined).map((l) => ({ id: l.id, changes: l.adapt?.(stack) ?? [] }));
}

/** Does the stack attach an AWS managed policy (needs MOTO_IAM_LOAD_MANAGED_POLICIES)? */
export function attachesAwsManagedPolicy(stack: JsonObject): boolean {
  return blocksOf(stack).some(
    (b) => b.type === 'aws_iam_role_policy_attachment' && typeof b.body.policy_arn === 'string' && b.body.policy_arn.startsWith('arn:aws:iam::aws:policy/'),
  );
}
