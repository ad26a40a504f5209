/** The test copy's moto-side changes: limitations' adaptations, provider endpoints, and their small parsers. */
import { platformConfig } from '../config/environments';
import { synthPlatform } from '../stacks/testing/synth-platform';
import { adaptForMoto, attachesAwsManagedPolicy, DENY_INSECURE_TRANSPORT_SID, MOTO_LIMITATIONS } from './moto-limitations';
import { endpointKeys, pointAtMoto } from './moto-provider';
import { globMatches } from './read-back-billing';
import { changeSummary, errorDiagnostics } from './terraform-cli';
import { blocksOf, type JsonObject } from './terraform-json';
import { scheduledMonths } from './usage-run';

const stacks = synthPlatform(platformConfig, 'local');
const copyOf = (name: string): JsonObject => JSON.parse(stacks.get(name)?.text ?? '{}') as JsonObject;
const policySids = (stack: JsonObject): Record<string, (string | undefined)[]> =>
  Object.fromEntries(
    blocksOf(stack)
      .filter((b) => b.type === 'aws_s3_bucket_policy')
      .map((b) => [String(b.body.bucket), (JSON.parse(String(b.body.policy)) as { Statement: { Sid?: string }[] }).Statement.map((s) => s.Sid)]),
  );

describe('moto limitations', () => {
  it('each says what moto does, where that was seen, and what the check does', () => {
    for (const l of MOTO_LIMITATIONS) {
      expect(l.behaviour.length).toBeGreaterThan(40);
      expect(l.evidence.length).toBeGreaterThan(40);
      expect(l.handling.length).toBeGreaterThan(40);
    }
  });

  it('billing stack: the edge function is not published, and only the usage and key registry buckets lose their TLS-only statement', () => {
    const stack = copyOf('billing-dev');
    const before = policySids(stack);
    const adapted = adaptForMoto(stack);
    expect(adapted.map((a) => [a.id, a.changes.length])).toEqual([
      ['cloudfront-publish-function', 1],
      ['s3-bucket-policy-conditions', 2],
    ]);
    for (const b of blocksOf(stack)) if (b.type === 'aws_cloudfront_function') expect(b.body.publish).toBe(false);
    const after = policySids(stack);
    for (const [bucket, sids] of Object.entries(after)) {
      if (bucket.includes('buckets_usage_bucket') || bucket.includes('key-registry_bucket'))
        expect(sids).toEqual(before[bucket].filter((s) => s !== DENY_INSECURE_TRANSPORT_SID));
      else expect(sids).toEqual(before[bucket]);
    }
    expect(Object.values(before).every((sids) => sids.includes(DENY_INSECURE_TRANSPORT_SID))).toBe(true);
  });

  it('bootstrap stack: the state bucket keeps every statement; no stack attaches an AWS managed policy any more', () => {
    const stack = copyOf('bootstrap');
    expect(adaptForMoto(stack).flatMap((a) => a.changes)).toEqual([]);
    // The plan role lost ReadOnlyAccess for refresh-sized statements; the moto switch stays for a stack that attaches one.
    expect(attachesAwsManagedPolicy(stack)).toBe(false);
    expect(attachesAwsManagedPolicy(copyOf('billing-prod'))).toBe(false);
  });
});

describe('provider endpoints', () => {
  it('one per service the stack uses, plus STS', () => {
    expect(endpointKeys(copyOf('billing-dev'))).toEqual([
      'apigateway',
      'athena',
      'cloudfront',
      'cloudwatch',
      'events',
      'glue',
      'iam',
      'lambda',
      'logs',
      's3',
      'secretsmanager',
      'sns',
      'sts',
    ]);
    expect(endpointKeys(copyOf('bootstrap-222222222222'))).toEqual(['iam', 'sts']);
  });

  it('a resource type without an endpoint fails by name', () => {
    expect(() => endpointKeys({ resource: { aws_dynamodb_table: { t: {} } } })).toThrow('no moto endpoint for aws_dynamodb_table');
  });

  it('every provider block gets the endpoints and fake credentials', () => {
    const stack: JsonObject = { provider: { aws: [{ region: 'eu-west-1' }, { alias: 'b', region: 'us-east-1' }] }, resource: { aws_sns_topic: { t: {} } } };
    expect(pointAtMoto(stack, 'http://127.0.0.1:1').map((c) => c.at)).toEqual(['provider.aws', 'provider.aws.b']);
    for (const p of (stack.provider as { aws: JsonObject[] }).aws) {
      expect(p).toMatchObject({
        access_key: 'testing',
        secret_key: 'testing',
        s3_use_path_style: true,
        endpoints: [{ sns: 'http://127.0.0.1:1', sts: 'http://127.0.0.1:1' }],
      });
    }
  });
});

describe('small parsers', () => {
  it("terraform's machine-readable output: error diagnostics and the change summary", () => {
    const stdout = [
      '{"@level":"info","type":"version"}',
      '{"@level":"error","type":"diagnostic","diagnostic":{"severity":"error","summary":"publishing CloudFront Function","detail":"StatusCode: 404\\nmore","address":"aws_cloudfront_function.f"}}',
      '{"@level":"warn","type":"diagnostic","diagnostic":{"severity":"warning","summary":"deprecated"}}',
      '{"type":"change_summary","changes":{"add":3,"change":0,"import":0,"remove":1,"operation":"apply"}}',
    ].join('\n');
    expect(errorDiagnostics(stdout)).toEqual(['aws_cloudfront_function.f: publishing CloudFront Function: StatusCode: 404']);
    expect(changeSummary(stdout)).toEqual({ add: 3, change: 0, remove: 1 });
    expect(errorDiagnostics('{"valid":false,"diagnostics":[{"severity":"error","summary":"Unsupported argument","address":"aws_x.y"}]}')).toEqual([
      'aws_x.y: Unsupported argument',
    ]);
  });

  it('the months the schedule computes', () => {
    expect(scheduledMonths(new Date('2026-11-30T19:00:00Z'))).toEqual(['2026-11']);
    expect(scheduledMonths(new Date('2026-11-03T23:00:00Z'))).toEqual(['2026-10', '2026-11']);
    expect(scheduledMonths(new Date('2027-01-01T00:17:00Z'))).toEqual(['2026-12', '2027-01']);
  });

  it('IAM wildcards', () => {
    expect(globMatches('arn:aws:s3:::b/AWSLogs/*', 'arn:aws:s3:::b/AWSLogs/aws-account-id=1/x.parquet')).toBe(true);
    expect(globMatches('arn:aws:s3:::b/AWSLogs/*', 'arn:aws:s3:::b/other/x')).toBe(false);
    expect(globMatches('arn:aws:logs:us-east-1:1:delivery-source:s?', 'arn:aws:logs:us-east-1:1:delivery-source:s1')).toBe(true);
  });
});
