/**
 * Test helper: the CloudFront log delivery of access-logs.ts alone in a stack (a log bucket, the
 * source, destination, trigger and delivery), synthesized, so tests can compare the delivery before
 * and after one change of its layout, bucket or source.
 */
import { App, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { PrivateBucket } from '../../../shared/private-bucket';
import { asObject } from '../../../testing/synth-platform';
import type { SynthesizedStack } from '../../../testing/synth-platform';
import { AccessLogs, CONTRACT_DELIVERY_LAYOUT } from '../access-logs';
import type { DeliveryLayout } from '../access-logs';

export interface AccessLogsSetup {
  readonly layout: DeliveryLayout;
  readonly distributionArn: string;
  readonly bucketName: string;
  readonly sourceName: string;
  readonly prefix: string;
}

export const BASE_SETUP: AccessLogsSetup = {
  layout: CONTRACT_DELIVERY_LAYOUT,
  distributionArn: 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE',
  bucketName: 'dev-logs',
  sourceName: 'dev-cf-access-logs',
  prefix: 'dev',
};

export function synthAccessLogs(setup: AccessLogsSetup): SynthesizedStack {
  const app = new App();
  const stack = new TerraformStack(app, 'log-delivery');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  // forceDestroy: the engine-tier test applies this stack against moto and throws it away.
  const bucket = new PrivateBucket(stack, 'bucket', { bucketName: setup.bucketName, forceDestroy: true });
  new AccessLogs(stack, 'access-logs', {
    prefix: setup.prefix,
    sourceName: setup.sourceName,
    distributionArn: setup.distributionArn,
    bucket,
    layout: setup.layout,
  });
  const text = Testing.synth(stack);
  return { stack, text, json: asObject(JSON.parse(text)) };
}
