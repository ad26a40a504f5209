/** The delivery-tools bundle is reproducible (its digest is what credentialed jobs check) and runs on its own. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleDeliveryTools } from './bundle-tools';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'delivery-tools-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the same sources give the same sha256, and the bundle runs its tools with no node_modules beside it', () => {
  const a = bundleDeliveryTools(join(dir, 'a.cjs'));
  const b = bundleDeliveryTools(join(dir, 'b.cjs'));
  expect(a).toMatch(/^[0-9a-f]{64}$/);
  expect(b).toBe(a);
  const env = spawnSync(process.execPath, [join(dir, 'a.cjs'), 'env', 'dev'], { cwd: dir, encoding: 'utf8' });
  expect(env.status).toBe(0);
  expect(env.stdout).toContain('stack_dir=cdktf.out/stacks/billing-dev\n');
  const digest = spawnSync(process.execPath, [join(dir, 'a.cjs'), 'plan-render', '--digest', join(__dirname, 'fixtures', 'real-changes.json')], {
    encoding: 'utf8',
  });
  expect(digest.status).toBe(0);
  expect(digest.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  const unknown = spawnSync(process.execPath, [join(dir, 'a.cjs'), 'synth'], { encoding: 'utf8' });
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toBe('delivery-tools: unknown tool "synth"; one of env, plan-render, plan-mask, report, lock\n');
});
