import { evaluate, EvaluationError, type Identity } from './evaluate';

const BOUNDARY = 'arn:aws:iam::111111111111:policy/ubb-dev-boundary';
const role: Identity = {
  arn: 'arn:aws:iam::111111111111:role/ubb-dev-github-apply',
  policies: [
    {
      name: 'apply',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iam:CreateRole',
            Resource: 'arn:aws:iam::111111111111:role/ubb-dev-*',
            Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } },
          },
          {
            Effect: 'Allow',
            Action: ['events:PutRule', 's3:ListBucket'],
            Resource: ['arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-*', 'arn:aws:s3:::ubb-dev-logs'],
          },
          { Effect: 'Deny', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::ubb-dev-logs', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      },
    },
  ],
};

describe('evaluate', () => {
  test('allows what a statement grants, conditions included', async () => {
    await expect(
      evaluate(role, { action: 'iam:CreateRole', resource: 'arn:aws:iam::111111111111:role/ubb-dev-x', context: { 'iam:PermissionsBoundary': BOUNDARY } }),
    ).resolves.toBe('Allowed');
    await expect(evaluate(role, { action: 'events:PutRule', resource: 'arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-quota' })).resolves.toBe('Allowed');
  });

  test('denies implicitly when a condition is not met, the action or the resource is not granted', async () => {
    await expect(evaluate(role, { action: 'iam:CreateRole', resource: 'arn:aws:iam::111111111111:role/ubb-dev-x' })).resolves.toBe('ImplicitlyDenied');
    await expect(evaluate(role, { action: 'events:DescribeRule', resource: 'arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-quota' })).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(evaluate(role, { action: 'events:PutRule', resource: 'arn:aws:events:eu-west-1:111111111111:rule/other' })).resolves.toBe('ImplicitlyDenied');
  });

  test('an explicit deny wins', async () => {
    await expect(evaluate(role, { action: 's3:ListBucket', resource: 'arn:aws:s3:::ubb-dev-logs', context: { 'aws:SecureTransport': 'false' } })).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('a permissions boundary limits what the identity policy allows', async () => {
    const bounded: Identity = { ...role, boundary: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:*', Resource: '*' }] } };
    await expect(evaluate(bounded, { action: 'events:PutRule', resource: 'arn:aws:events:eu-west-1:111111111111:rule/ubb-dev-quota' })).resolves.toBe(
      'Allowed',
    );
    await expect(evaluate(bounded, { action: 's3:ListBucket', resource: 'arn:aws:s3:::ubb-dev-logs' })).resolves.toBe('ImplicitlyDenied');
  });

  test('a request the evaluator cannot judge is an error naming it, never a silent denial', async () => {
    await expect(evaluate(role, { action: 's3:HeadBucket', resource: 'arn:aws:s3:::b' })).rejects.toThrow(EvaluationError);
    await expect(evaluate(role, { action: 'events:PutRule', resource: 'arn:aws:s3:::b' })).rejects.toThrow(/events:PutRule on arn:aws:s3:::b/);
  });

  test('API Gateway REST paths of types iam-data writes as two joined ARN patterns are judged, not refused', async () => {
    const gateway: Identity = {
      arn: role.arn,
      policies: [
        {
          name: 'api',
          document: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'apigateway:*', Resource: 'arn:aws:apigateway:eu-west-1::/restapis/*' },
              { Effect: 'Deny', Action: 'apigateway:DELETE', Resource: 'arn:aws:apigateway:eu-west-1::/restapis/*/stages/*' },
            ],
          },
        },
      ],
    };
    const rest = (path: string) => `arn:aws:apigateway:eu-west-1::/restapis/a1b2c3${path}`;
    await expect(evaluate(gateway, { action: 'apigateway:POST', resource: rest('/deployments') })).resolves.toBe('Allowed');
    await expect(evaluate(gateway, { action: 'apigateway:PATCH', resource: rest('/stages/v1') })).resolves.toBe('Allowed');
    await expect(evaluate(gateway, { action: 'apigateway:DELETE', resource: rest('/stages/v1') })).resolves.toBe('ExplicitlyDenied');
    await expect(evaluate(gateway, { action: 'apigateway:POST', resource: 'arn:aws:apigateway:eu-west-1::/usageplans/u1/deployments' })).rejects.toThrow(
      EvaluationError,
    );
  });

  test('resourceAccount makes an S3 request cross-account: the identity policy alone no longer allows it', async () => {
    const request = { action: 's3:ListBucket', resource: 'arn:aws:s3:::ubb-dev-logs' };
    await expect(evaluate(role, request)).resolves.toBe('Allowed');
    await expect(evaluate(role, { ...request, resourceAccount: '333333333333' })).resolves.toBe('ImplicitlyDenied');
    await expect(evaluate(role, { ...request, resourceAccount: '3333' })).rejects.toThrow(/resourceAccount/);
  });
});
