/**
 * Through `npm start` (local/main.ts as a child process): the local edge reads <state>/edge-keys.json
 * as its KeyValueStore on every request, so removing a key's entry while the platform runs turns
 * its very next request into the edge's 403 (its fingerprint logged, nothing forwarded), and
 * putting the entry back, or a grace deadline still ahead, lets the next request through. No restart.
 */
import { readFileSync } from 'node:fs';
import { apiKeyFingerprint } from '../contracts/api-key';
import { writeFileAtomic } from '../keys/atomic-file';
import { edgeKeysPath } from './edge/edge-key-file';
import { removeTempDirs, startPlatformProcess, type PlatformProcess } from './testing/platform-process';

let platform: PlatformProcess;
beforeAll(async () => {
  platform = await startPlatformProcess({
    environment: {
      usagePlans: { roomy: { monthlyQuota: 100_000, rateLimit: 1000, burstLimit: 1000 } },
    },
    seed: [
      { id: 'acme', customer: 'Acme Corp', plan: 'roomy' },
      { id: 'globex', customer: 'Globex Inc', plan: 'roomy' },
    ],
  });
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop('SIGKILL');
  removeTempDirs();
});

const keyOf = (id: string) => platform.keys.find((k) => k.id === id)!.value;

async function call(id: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${platform.url}/example`, { headers: { 'x-api-key': keyOf(id) } });
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

test('the started platform seeded the edge store with every seed customer key, active (through the keys CLI create)', () => {
  const entries = JSON.parse(readFileSync(edgeKeysPath(platform.stateDir), 'utf8')) as Record<string, string>;
  expect(entries).toEqual({ [apiKeyFingerprint(keyOf('acme'))]: 'active', [apiKeyFingerprint(keyOf('globex'))]: 'active' });
});

test('a key removed from the edge store gets 403 on its next request; restored, it works again', async () => {
  const file = edgeKeysPath(platform.stateDir);
  const acme = apiKeyFingerprint(keyOf('acme'));
  const globex = apiKeyFingerprint(keyOf('globex'));
  expect((await call('acme')).status).toBe(200);

  writeFileAtomic(file, JSON.stringify({ [globex]: 'active' }));
  expect(await call('acme')).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect((await call('globex')).status).toBe(200);

  writeFileAtomic(file, JSON.stringify({ [globex]: 'active', [acme]: 'until:4102444800' }));
  expect((await call('acme')).status).toBe(200);

  writeFileAtomic(file, JSON.stringify({ [globex]: 'active', [acme]: 'until:1700000000' }));
  expect((await call('acme')).status).toBe(403);

  writeFileAtomic(file, JSON.stringify({ [globex]: 'active', [acme]: 'active' }));
  expect((await call('acme')).status).toBe(200);
});
