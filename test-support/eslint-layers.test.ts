/** The layering rules in eslint.layers.mjs fail on the imports they forbid and pass the allowed ones. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** ESLint's CLI (its config is ESM, which jest's module system cannot load) on `code` as if it were `file`. */
async function messages(file: string, code: string): Promise<string[]> {
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'eslint'), ['--stdin', '--stdin-filename', join(ROOT, file), '--format', 'json'], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint exited ${String(run.status)}: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

test('a folder may not import a folder outside its allowed list', async () => {
  expect(await messages('usage-job/probe.ts', "import { startLocalPlatform } from '../local/platform';\nexport const x = startLocalPlatform;\n")).toEqual([
    'usage-job/ may not import local/ (allowed: contracts, config, sql; see eslint.layers.mjs)',
  ]);
  expect(await messages('contracts/probe.ts', "import { platformConfig } from '../config/environments';\nexport const x = platformConfig;\n")).toHaveLength(1);
  expect(await messages('usage-job/aws/probe.ts', "import { platformConfig } from '../../config/environments';\nexport const x = platformConfig;\n")).toEqual(
    [],
  );
});

test('only stacks/ imports CDKTF', async () => {
  expect(await messages('usage-job/probe.ts', "import { App } from 'cdktf';\nexport const x = App;\n")).toEqual([
    'only stacks/ may import cdktf (the one CDKTF importer)',
  ]);
  expect(await messages('local/probe.ts', "import { Construct } from 'constructs';\nexport const x = Construct;\n")).toHaveLength(1);
  expect(await messages('stacks/probe.ts', "import { App } from 'cdktf';\nexport const x = App;\n")).toEqual([]);
});

test('production code never imports testing/; tests may', async () => {
  const code = "import { logRecord } from '../sql/testing/log-fixtures';\nexport const x = logRecord;\n";
  expect(await messages('usage-job/probe.ts', code)).toEqual([
    'production code may not import test helpers (../sql/testing/log-fixtures); move the helper out of testing/',
  ]);
  expect(await messages('usage-job/probe.test.ts', code)).toEqual([]);
});
