import { platformConfig } from '../config/environments';
import { contextFromEnv } from './cli';
import { AwsEdgeKeyStore } from './edge-store-aws';
import { FileEdgeKeyStore } from './edge-store-file';

const dev = platformConfig.environments.find((e) => e.name === 'dev')!;
const base = { KEYS_REGISTRY_FILE: '/dev/shm/unused-registry.json' };

describe('the keys CLI chooses its edge store', () => {
  test('in AWS, the KeyValueStore named by KEYS_EDGE_STORE_ARN', () => {
    const context = contextFromEnv(dev, {
      ...base,
      KEYS_EDGE_STORE_ARN: 'arn:aws:cloudfront::111111111111:key-value-store/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
    });
    expect(context.edge).toBeInstanceOf(AwsEdgeKeyStore);
    // AWS publishes no propagation time: revoke says so rather than promising the next request.
    expect(context.edge.propagation).toMatch(/AWS publishes no figure for how long that takes, so an edge location may admit the key for a while longer/);
  });

  test('KEYS_EDGE_FILE wins, for a file store', () => {
    expect(contextFromEnv(dev, { ...base, KEYS_EDGE_FILE: '/dev/shm/edge.json' }).edge).toBeInstanceOf(FileEdgeKeyStore);
  });

  test('without a store, one line names the variable and the Terraform output', () => {
    expect(() => contextFromEnv(dev, base)).toThrow(/KEYS_EDGE_STORE_ARN.*edge_key_store_arn/);
  });

  test('a value that is not a KeyValueStore ARN is refused', () => {
    expect(() => contextFromEnv(dev, { ...base, KEYS_EDGE_STORE_ARN: 'arn:aws:cloudfront::111111111111:distribution/E2EXAMPLE' })).toThrow(
      /must be a CloudFront KeyValueStore ARN/,
    );
  });
});
