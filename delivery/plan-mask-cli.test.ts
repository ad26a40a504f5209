/** plan:mask on bad input: one line saying what was wrong, exit code 2, nothing of the text written. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './plan-mask-cli';

const dir = mkdtempSync(join(tmpdir(), 'plan-mask-cli-'));
const text = join(dir, 'plan.log');
writeFileSync(text, 'value = "FAKE-TEST-KEY-0000000000000000"\n');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}

test.each([
  [[text], '--secrets-from is required'],
  [['--secrets-from', join(dir, 'missing.json'), text], 'cannot read secrets file'],
  [['--secrets-from', text, text], 'is not JSON'],
  [['--secrets-from', '--x', text], '--secrets-from needs a file'],
])('%j: exit 2, nothing written', async (argv, reason) => {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err.split('\n')[0]).toContain(reason);
});

test('a JSON document that is not terraform show -json output is refused', async () => {
  const other = join(dir, 'other.json');
  writeFileSync(other, '{"resources": []}');
  const r = await run(['--secrets-from', other, text]);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toContain('no "format_version"');
});

test('a key found in the state is masked in the text', async () => {
  const state = join(dir, 'state.json');
  writeFileSync(
    state,
    JSON.stringify({
      format_version: '1.0',
      values: {
        root_module: { resources: [{ type: 'aws_api_gateway_usage_plan_key', values: { value: 'FAKE-TEST-KEY-0000000000000000' }, sensitive_values: {} }] },
      },
    }),
  );
  const r = await run(['--secrets-from', state, text]);
  expect(r.code).toBe(0);
  expect(r.out).toBe('value = "(masked secret)"\n');
});
