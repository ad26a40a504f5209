import { attributeDiffs, attributeSecondPlan, type PlanResourceChange } from './second-plan';
import type { Json } from './terraform-json';

const motoForwardedValues: Json = [{ cookies: [{ forward: 'none', whitelisted_names: [] }], headers: [], query_string: false, query_string_cache_keys: [] }];

function distribution(before: Record<string, Json>, after: Record<string, Json>, actions: string[] = ['update']): PlanResourceChange {
  return {
    address: 'aws_cloudfront_distribution.edge',
    mode: 'managed',
    type: 'aws_cloudfront_distribution',
    change: { actions, before, after, after_unknown: {} },
  };
}

/** The three in-place updates moto 5.2.5 leaves after apply (seen on billing-dev). */
const motoDiffs: PlanResourceChange[] = [
  distribution(
    {
      default_cache_behavior: [{ forwarded_values: motoForwardedValues, function_association: [], target_origin_id: 'api' }],
      viewer_certificate: [{ cloudfront_default_certificate: true, ssl_support_method: 'sni-only' }],
    },
    {
      default_cache_behavior: [
        { forwarded_values: [], function_association: [{ event_type: 'viewer-request', function_arn: 'arn:fn' }], target_origin_id: 'api' },
      ],
      viewer_certificate: [{ cloudfront_default_certificate: true, ssl_support_method: null }],
    },
  ),
  {
    address: 'aws_lambda_function.data',
    mode: 'managed',
    type: 'aws_lambda_function',
    change: {
      actions: ['update'],
      before: { logging_config: [], runtime: 'nodejs22.x' },
      after: { logging_config: [{ log_format: 'Text', log_group: '/aws/lambda/x' }], runtime: 'nodejs22.x' },
    },
  },
  { address: 'aws_sns_topic.alarms', mode: 'managed', type: 'aws_sns_topic', change: { actions: ['no-op'], before: {}, after: {} } },
];

describe('second plan', () => {
  it('finds each differing attribute; absent, null and [] are the same', () => {
    expect(attributeDiffs({ actions: ['update'], before: { a: null, b: [], c: { d: 1 } }, after: { b: null, c: { d: 2 } } }).map((d) => d.path)).toEqual([
      'c.d',
    ]);
    expect(attributeDiffs({ actions: ['update'], before: { l: [{ x: 1 }] }, after: { l: [{ x: 1 }, { x: 2 }] } }).map((d) => d.pattern)).toEqual(['l']);
  });

  it("attributes moto's known diffs to the listed limitations", () => {
    const result = attributeSecondPlan({ resource_changes: motoDiffs });
    expect(result.unexplained).toEqual([]);
    expect(result.changed).toEqual(['aws_cloudfront_distribution.edge', 'aws_lambda_function.data']);
    expect(result.attributed.map((a) => [a.path, a.limitation])).toEqual([
      ['default_cache_behavior[0].forwarded_values', 'cloudfront-forwarded-values-default'],
      ['default_cache_behavior[0].function_association', 'cloudfront-function-associations'],
      ['viewer_certificate[0].ssl_support_method', 'cloudfront-ssl-support-method-default'],
      ['logging_config', 'lambda-logging-config'],
    ]);
  });

  it('anything else fails, naming the resource and the attribute', () => {
    const result = attributeSecondPlan({
      resource_changes: [
        distribution(
          { comment: 'a', default_cache_behavior: [{ forwarded_values: [{ query_string: true }] }] },
          { comment: 'b', default_cache_behavior: [{ forwarded_values: [] }] },
        ),
      ],
    });
    expect(result.unexplained).toEqual([
      'aws_cloudfront_distribution.edge: comment "a" -> "b": not a listed moto limitation',
      'aws_cloudfront_distribution.edge: default_cache_behavior[0].forwarded_values [{"query_string":true}] -> []: not a listed moto limitation',
    ]);
  });

  it('never prints a sensitive value', () => {
    const result = attributeSecondPlan({
      resource_changes: [
        {
          address: 'aws_lambda_function.x',
          mode: 'managed',
          type: 'aws_lambda_function',
          change: {
            actions: ['update'],
            before: { environment: [{ variables: { SECRET: 'old-value' } }] },
            after: { environment: [{ variables: { SECRET: 'new-value' } }] },
            before_sensitive: { environment: [{ variables: { SECRET: true } }] },
            after_sensitive: { environment: [{ variables: { SECRET: true } }] },
          },
        },
      ],
    });
    expect(result.unexplained).toEqual(['aws_lambda_function.x: environment[0].variables.SECRET (sensitive) -> (sensitive): not a listed moto limitation']);
  });

  it('a replacement or a creation is never a moto limitation', () => {
    const result = attributeSecondPlan({ resource_changes: [distribution({}, {}, ['delete', 'create']), distribution({}, {}, ['create'])] });
    expect(result.unexplained).toEqual([
      'aws_cloudfront_distribution.edge: would be deleted then created, not updated in place; no moto limitation explains that',
      'aws_cloudfront_distribution.edge: would be created, not updated in place; no moto limitation explains that',
    ]);
  });
});
