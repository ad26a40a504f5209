/**
 * A change to the CloudFront log delivery reaches AWS only as a replacement (a new CreateDelivery,
 * where AWS adds the AWSLogs/ prefix of the log layout), never as an in-place update. Each case
 * synthesizes the delivery twice, before and after one change, and checks that Terraform would
 * replace it: every delivery argument that changed is one Terraform ignores, and the change reaches
 * a resource in the delivery's replace_triggered_by.
 */
import { asObject, onlyResource, resourcesOf } from '../../testing/synth-platform';
import type { JsonObject, SynthesizedStack } from '../../testing/synth-platform';
import { BASE_SETUP as BASE, synthAccessLogs as synth } from './testing/access-logs-stack';

/** The resource's own arguments: everything but Terraform's meta-arguments. */
function argumentsOf(resource: JsonObject): JsonObject {
  const { lifecycle: _lifecycle, depends_on: _dependsOn, provider: _provider, ...rest } = resource;
  return rest;
}

function changedKeys(before: JsonObject, after: JsonObject): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/**
 * Addresses (type.id) of the resources Terraform may plan a change for between two synths: those
 * whose synthesized JSON differs, and, transitively, those referring to one of them (a replaced
 * bucket gives the destination a new bucket ARN although the destination's JSON is the same).
 */
function changedResources(before: SynthesizedStack, after: SynthesizedStack): string[] {
  const bodies = (synth: SynthesizedStack) => {
    const out = new Map<string, string>();
    for (const type of Object.keys(asObject(synth.json.resource))) {
      for (const [id, body] of resourcesOf(synth, type)) out.set(`${type}.${id}`, JSON.stringify(body));
    }
    return out;
  };
  const a = bodies(before);
  const b = bodies(after);
  const changed = new Set([...new Set([...a.keys(), ...b.keys()])].filter((address) => a.get(address) !== b.get(address)));
  for (let grew = true; grew;) {
    grew = false;
    for (const [address, body] of b) {
      if (changed.has(address)) continue;
      if ([...changed].some((c) => body.includes(`\${${c}.`) || body.includes(`\${${c}}`))) {
        changed.add(address);
        grew = true;
      }
    }
  }
  return [...changed].sort();
}

interface Lifecycle {
  readonly replaceTriggeredBy: readonly string[];
  /** Arguments Terraform ignores: a list, or every argument (`ignore_changes = all`). */
  readonly ignores: (argument: string) => boolean;
  readonly createBeforeDestroy: unknown;
}

function lifecycleOf(delivery: JsonObject): Lifecycle {
  const lifecycle = asObject(delivery.lifecycle ?? {}, 'lifecycle');
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const ignored = lifecycle.ignore_changes;
  return {
    replaceTriggeredBy: list(lifecycle.replace_triggered_by),
    ignores: (argument) => ignored === 'all' || list(ignored).includes(argument),
    createBeforeDestroy: lifecycle.create_before_destroy,
  };
}

/**
 * Fails unless Terraform would replace the delivery for the change from `before` to `after`:
 * Terraform plans an in-place update for any changed argument it does not ignore, and replaces the
 * delivery when a resource its replace_triggered_by names changes.
 */
function expectReplacedNeverUpdated(before: SynthesizedStack, after: SynthesizedStack): void {
  const deliveryBefore = onlyResource(before, 'aws_cloudwatch_log_delivery');
  const deliveryAfter = onlyResource(after, 'aws_cloudwatch_log_delivery');
  const { replaceTriggeredBy, ignores } = lifecycleOf(deliveryAfter);
  const updatedInPlace = changedKeys(argumentsOf(deliveryBefore), argumentsOf(deliveryAfter)).filter((k) => !ignores(k));
  expect({ updatedInPlace }).toEqual({ updatedInPlace: [] });
  const triggers = changedResources(before, after).filter((address) => replaceTriggeredBy.includes(address));
  expect(triggers).not.toEqual([]);
}

describe('CloudFront log delivery: every change is a replacement', () => {
  const base = synth(BASE);

  it('adding a record field replaces the delivery', () => {
    const after = synth({ ...BASE, layout: { ...BASE.layout, recordFields: [...BASE.layout.recordFields, 'cs(Referer)'] } });
    expect(onlyResource(after, 'aws_cloudwatch_log_delivery').record_fields).toContain('cs(Referer)');
    expectReplacedNeverUpdated(base, after);
  });

  it('removing or reordering record fields replaces the delivery', () => {
    expectReplacedNeverUpdated(base, synth({ ...BASE, layout: { ...BASE.layout, recordFields: BASE.layout.recordFields.slice(1) } }));
    expectReplacedNeverUpdated(base, synth({ ...BASE, layout: { ...BASE.layout, recordFields: [...BASE.layout.recordFields].reverse() } }));
  });

  it('changing the S3 suffix path replaces the delivery', () => {
    expectReplacedNeverUpdated(base, synth({ ...BASE, layout: { ...BASE.layout, suffixPath: '{DistributionId}/{yyyy}/{MM}/{dd}' } }));
  });

  it('turning the Hive-compatible path off replaces the delivery', () => {
    expectReplacedNeverUpdated(base, synth({ ...BASE, layout: { ...BASE.layout, hiveCompatiblePath: false } }));
  });

  it('a changed destination (output format, bucket) replaces the delivery', () => {
    expectReplacedNeverUpdated(base, synth({ ...BASE, layout: { ...BASE.layout, outputFormat: 'json' } }));
    expectReplacedNeverUpdated(base, synth({ ...BASE, bucketName: 'dev-logs-2' }));
  });

  it('a changed source (another distribution, another name) replaces the delivery', () => {
    expectReplacedNeverUpdated(base, synth({ ...BASE, distributionArn: 'arn:aws:cloudfront::111111111111:distribution/E2OTHEREXAMPLE' }));
    expectReplacedNeverUpdated(base, synth({ ...BASE, sourceName: 'dev-cf-access-logs-2' }));
  });

  it('ignores every argument UpdateDeliveryConfiguration could change, so no plan updates the delivery in place', () => {
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_UpdateDeliveryConfiguration.html
    const { ignores } = lifecycleOf(onlyResource(base, 'aws_cloudwatch_log_delivery'));
    expect(['record_fields', 'field_delimiter', 's3_delivery_configuration', 'tags'].filter((a) => !ignores(a))).toEqual([]);
  });

  it('the trigger holds every argument of the delivery and the defining ones of its source and destination', () => {
    const delivery = argumentsOf(onlyResource(base, 'aws_cloudwatch_log_delivery'));
    const trigger = asObject(onlyResource(base, 'terraform_data').input, 'terraform_data input');
    const { tags: _tags, ...own } = delivery;
    expect(trigger).toEqual({
      ...own,
      source_resource_arn: BASE.distributionArn,
      source_log_type: 'ACCESS_LOGS',
      destination_output_format: BASE.layout.outputFormat,
      destination_resource_arn: expect.stringContaining('aws_s3_bucket.'),
    });
  });

  it('names only the trigger, as a plain address (Terraform refuses an interpolation there), so tag updates replace nothing', () => {
    const { replaceTriggeredBy } = lifecycleOf(onlyResource(base, 'aws_cloudwatch_log_delivery'));
    expect(replaceTriggeredBy.filter((ref) => !/^[a-z0-9_]+\.[A-Za-z0-9_-]+$/.test(ref))).toEqual([]);
    // Only the trigger: naming the source or destination resource would replace the delivery on any
    // update of theirs, a tag change included, losing records for nothing.
    expect(replaceTriggeredBy.map((ref) => ref.split('.')[0])).toEqual(['terraform_data']);
  });

  it('fails the plan, instead of ignoring it, when the delivery in the state delivers other fields or to another path (a state from before the trigger)', () => {
    const lifecycle = asObject(onlyResource(base, 'aws_cloudwatch_log_delivery').lifecycle, 'lifecycle');
    const conditions = Array.isArray(lifecycle.postcondition) ? lifecycle.postcondition.map((c) => asObject(c, 'postcondition')) : [];
    expect(conditions.map((c) => c.condition)).toEqual([
      `\${jsonencode(self.record_fields) == jsonencode(${JSON.stringify(BASE.layout.recordFields)})}`,
      `\${try(endswith(self.s3_delivery_configuration[0].suffix_path, ${JSON.stringify(BASE.layout.suffixPath)}) && self.s3_delivery_configuration[0].enable_hive_compatible_path == ${String(BASE.layout.hiveCompatiblePath)}, false)}`,
    ]);
    for (const c of conditions) expect(String(c.error_message)).toContain('terraform apply -replace=');
  });

  it('destroys the old delivery before creating the new one (one S3 delivery per source)', () => {
    expect(lifecycleOf(onlyResource(base, 'aws_cloudwatch_log_delivery')).createBeforeDestroy).not.toBe(true);
  });
});
