/**
 * API Gateway's GetApiKeys nameQuery is a prefix match (aws/aws-sdk-java-v2#1732; localstack#6261,
 * checked against AWS), so an environment's listing must not take in another environment's keys
 * that share an account and Region: `acme` must not touch `acme2-...` nor `acme-2-...` (review item 5).
 */
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { createKey, importKeys, KeysInputError, sync } from './commands';
import { MemoryKeyGateway } from './memory-gateway';
import { testContext } from './testing/memory-context';

const dev = platformConfig.environments.find((e) => e.name === 'dev') as EnvironmentConfig;
const acme: EnvironmentConfig = { ...dev, name: 'acme', prefix: 'acme' };
const acme2: EnvironmentConfig = { ...dev, name: 'acme2', prefix: 'acme2' };
const acmeDash2: EnvironmentConfig = { ...dev, name: 'acme-2', prefix: 'acme-2' };
const prefixes = [acme, acme2, acmeDash2].map((e) => e.prefix);

/** Three environments in one account and Region: one API Gateway, each its own registry and edge. */
function sharedAccount() {
  const gateway = new MemoryKeyGateway('acme', Object.keys(dev.usagePlans));
  const ctx = (env: EnvironmentConfig) => ({ ...testContext(env), gateway, otherPrefixes: prefixes.filter((p) => p !== env.prefix) });
  return { gateway, a: ctx(acme), b: ctx(acme2), c: ctx(acmeDash2) };
}

describe('an environment lists only its own API Gateway keys', () => {
  it('sync --fix in acme leaves the keys of acme2 and acme-2 alone, and import does not adopt them', async () => {
    const { gateway, a, b, c } = sharedAccount();
    const other = await createKey(b, { customer: 'Other', plan: 'basic', id: 'other' });
    const dashed = await createKey(c, { customer: 'Dashed', plan: 'basic', id: 'dashed' });
    gateway.adoptable('acme-2-legacy', 'TerraformMadeValueForAcmeDash2-0123456789', 'Legacy', 'basic');
    const report = await sync(a, true);
    expect(report.drift).toEqual([]);
    expect(report.apiGatewayKeys).toBe(0);
    const usable = gateway.usableFingerprints();
    expect([usable.has(other.fingerprint as string), usable.has(dashed.fingerprint as string)]).toEqual([true, true]);
    expect((await importKeys(a)).imported).toEqual([]);
  });

  it('refuses a customer id whose key names would fall under another environment', async () => {
    const { a } = sharedAccount();
    await expect(createKey(a, { customer: 'Two', plan: 'basic', id: '2-two' })).rejects.toThrow(
      new KeysInputError('customer id "2-two" would name its keys acme-2-two-..., under environment prefix acme-2; pick another --id'),
    );
  });
});
