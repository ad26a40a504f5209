/** The usage-job bundle is reproducible (its digest is what the usage job checks), holds its SQL, and runs with no node_modules beside it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleUsageJob, DUCKDB_MESSAGE } from './bundle-usage-job';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'usage-bundle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the same sources give the same sha256; the bundle runs the usage CLI and the invoice writer on its own', async () => {
  const a = await bundleUsageJob(join(dir, 'a.cjs'));
  expect(await bundleUsageJob(join(dir, 'b.cjs'))).toBe(a);
  expect(a).toMatch(/^[0-9a-f]{64}$/);
  const text = readFileSync(join(dir, 'a.cjs'), 'utf8');
  // The usage SQL is inside the bundle (its digest covers it), not read from a file beside it.
  const sqlLine = readFileSync(join(__dirname, '..', 'sql', 'usage_hourly.sql'), 'utf8')
    .split('\n')
    .find((l) => /\bGROUP BY\b/i.test(l))!;
  expect(text).toContain(JSON.stringify(sqlLine).slice(1, -1));
  expect(text).toContain(DUCKDB_MESSAGE);
  expect(text).not.toMatch(/require\("@duckdb\/node-api"\)/);
  const node = (...args: string[]) => spawnSync(process.execPath, [join(dir, 'a.cjs'), ...args], { cwd: dir, encoding: 'utf8' });
  const help = node('usage', '--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('--engine duckdb|athena');
  const store = node('store-invoice', '--env', 'nowhere', '--month', '2026-01', '--file', 'x', '--run-id', '1', '--run-attempt', '1', '--commit', 'c');
  expect(store.status).toBe(2);
  expect(store.stderr).toContain('--env nowhere: not a deployed environment (dev, prod)');
  const unknown = node('synth');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toBe('usage-job bundle: unknown tool "synth"; one of usage, store-invoice\n');
});
