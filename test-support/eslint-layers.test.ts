/** The layering rules in eslint.layers.mjs fail on the imports they forbid and pass the allowed ones. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface Probe {
  readonly file: string;
  readonly code: string;
}

/**
 * Lints every probe with ESLint's Node API in one child process (the ESLint config is ESM, which
 * jest's module system cannot load) and returns the layering messages per probe, in order.
 */
function lintProbes(probes: readonly Probe[]): string[][] {
  const script = `
    const { ESLint } = await import('eslint');
    const eslint = new ESLint({ cwd: process.cwd() });
    const probes = JSON.parse(process.argv[1]);
    const out = [];
    for (const p of probes) {
      const [result] = await eslint.lintText(p.code, { filePath: p.file });
      out.push(result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message));
    }
    process.stdout.write(JSON.stringify(out));`;
  const input = JSON.stringify(probes.map((p) => ({ file: join(ROOT, p.file), code: p.code })));
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, input], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint probe run failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const imports = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;
const PROBES: readonly Probe[] = [
  { file: 'usage-job/probe.ts', code: imports('../local/platform') },
  { file: 'contracts/probe.ts', code: imports('../config/environments') },
  { file: 'usage-job/aws/probe.ts', code: imports('../../config/environments') },
  { file: 'usage-job/probe.ts', code: imports('cdktf') },
  { file: 'local/probe.ts', code: imports('constructs') },
  { file: 'stacks/probe.ts', code: imports('cdktf') },
  { file: 'usage-job/probe.ts', code: imports('../sql/testing/log-fixtures') },
  { file: 'usage-job/probe.test.ts', code: imports('../sql/testing/log-fixtures') },
  { file: 'local/probe.ts', code: imports('cdktf/lib/app') },
  { file: 'usage-job/probe.ts', code: imports('./cli.test') },
];
let results: string[][];
beforeAll(() => {
  results = lintProbes(PROBES);
});

test('a folder may not import a folder outside its allowed list', () => {
  expect(results[0]).toEqual(['usage-job/ may not import local/ (allowed: contracts, config, sql, keys; see eslint.layers.mjs)']);
  expect(results[1]).toEqual(['contracts/ may not import config/ (allowed: none; see eslint.layers.mjs)']);
  expect(results[2]).toEqual([]);
});

test('only stacks/ imports CDKTF', () => {
  expect(results[3]).toEqual(['only stacks/ may import cdktf (the one CDKTF importer)']);
  expect(results[4]).toEqual(['only stacks/ may import constructs (the one CDKTF importer)']);
  expect(results[5]).toEqual([]);
});

test('deep imports of the CDKTF packages count too', () => {
  expect(results[8]).toEqual(['only stacks/ may import cdktf/lib/app (the one CDKTF importer)']);
});

test('production code may not import a test file', () => {
  expect(results[9]).toEqual(['production code may not import test helpers (./cli.test); move the helper out of testing/']);
});

test('a layering table with a cycle is refused when the config loads', () => {
  const script = `const { assertAcyclic } = await import(process.argv[1]);
    try { assertAcyclic({ a: ['b'], b: ['c'], c: ['a'] }); console.log('accepted'); } catch (e) { console.log(e.message); }`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, join(ROOT, 'eslint.layers.mjs')], { encoding: 'utf8' });
  expect(run.stdout.trim()).toBe('eslint.layers.mjs: import cycle a -> b -> c -> a');
});

test('production code never imports testing/; tests may', () => {
  expect(results[6]).toEqual(['production code may not import test helpers (../sql/testing/log-fixtures); move the helper out of testing/']);
  expect(results[7]).toEqual([]);
});
