/**
 * Terraform does not grow with customers: the billing stack synthesized while a key registry of
 * 10 and one of 10,000 customers sit where the keys CLI and the local platform read them has the
 * same resources at the same addresses, and none of them is an API key or a usage-plan key. The
 * stacks take no customer input (EnvironmentConfig has no key list); this pins that nothing on
 * the synth path starts reading the registry and sizing the stack by it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { billingStackName } from '../stacks/stack-names';
import { asObject, synthPlatform } from '../stacks/testing/synth-platform';
import { fleetRegistry, writeFleetRegistry } from './fleet';
import { stackFigures } from './fleet-synth';

function addressesWithRegistryOf(n: number): { addresses: string[]; figures: ReturnType<typeof stackFigures> } {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  const saved = { ...process.env };
  try {
    Object.assign(process.env, writeFleetRegistry(n, dir, 'prod'));
    const synth = synthPlatform(platformConfig).get(billingStackName('prod'));
    if (synth === undefined) throw new Error('no billing-prod stack');
    const resources = asObject(synth.json.resource);
    const addresses = Object.entries(resources).flatMap(([type, byId]) => Object.keys(asObject(byId)).map((id) => `${type}.${id}`));
    return { addresses: addresses.sort(), figures: stackFigures(synth.json as Parameters<typeof stackFigures>[0]) };
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the fleet registry is a valid registry of the requested size', () => {
  expect(Object.keys(fleetRegistry(10_000, 'prod').customers)).toHaveLength(10_000);
});

test('billing-prod has the same resources at the same addresses with 10 and 10,000 customers, and no key resources', () => {
  const small = addressesWithRegistryOf(10);
  const large = addressesWithRegistryOf(10_000);
  expect(large.addresses).toEqual(small.addresses);
  expect(small.figures.keyResources).toBe(0);
  expect(small.addresses.filter((a) => /^aws_api_gateway_(api_key|usage_plan_key)\./.test(a))).toEqual([]);
  // The only key-related Terraform left: one removed block per former Terraform-managed key and binding.
  const prod = platformConfig.environments.find((e) => e.name === 'prod') as EnvironmentConfig;
  expect(large.figures.removed).toBe(2 * (prod.formerTerraformKeyIds ?? []).length);
});
