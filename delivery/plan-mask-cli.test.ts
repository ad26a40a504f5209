/** plan:mask on bad input: one line saying what was wrong, exit code 2, nothing of the text written. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
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

describe('--lines: a stream masked line by line', () => {
  const secret = 'FAKE-TEST-KEY-0000000000000000';
  const state = join(dir, 'lines-state.json');
  writeFileSync(
    state,
    JSON.stringify({
      format_version: '1.0',
      values: { root_module: { resources: [{ type: 'aws_api_gateway_usage_plan_key', values: { value: secret }, sensitive_values: {} }] } },
    }),
  );

  test('writes each line masked as soon as it is complete, a secret split across chunks included, and the last partial line at the end', async () => {
    const input = new PassThrough();
    const written: string[] = [];
    const done = main(
      ['--secrets-from', state, '--lines'],
      (s) => written.push(s),
      () => undefined,
      input,
    );
    input.write('aws_api_gateway_usage_plan_key.k: Creating... [value=FAKE-TEST-');
    input.write('KEY-0000000000000000]\nnext');
    await new Promise((resolve) => setImmediate(resolve));
    // The first line is out while the input is still open: the log streams during a long apply.
    expect(written.join('')).toBe('aws_api_gateway_usage_plan_key.k: Creating... [value=(masked secret)]\n');
    input.end(` line ${secret.slice(0, 10)}`);
    expect(await done).toBe(0);
    expect(written.join('')).toBe(`aws_api_gateway_usage_plan_key.k: Creating... [value=(masked secret)]\nnext line ${secret.slice(0, 10)}`);
  });

  test('masks the id of a type whose id is a secret on each line, with no document naming it', async () => {
    const input = new PassThrough();
    let out = '';
    const done = main(
      ['--secrets-from', state, '--lines'],
      (s) => (out += s),
      () => undefined,
      input,
    );
    input.write('data.aws_secretsmanager_random_password.seed: Reading...\ndata.aws_secretsmanager_random_password.seed: Read complete after 0s [id=FAKEpass');
    input.end('wordNOTinANYdoc]\nApply complete!\n');
    expect(await done).toBe(0);
    expect(out).toBe(
      'data.aws_secretsmanager_random_password.seed: Reading...\ndata.aws_secretsmanager_random_password.seed: Read complete after 0s [id=(masked secret)]\nApply complete!\n',
    );
  });

  test('bad secrets file: exit 2 before anything of the text is written', async () => {
    const input = new PassThrough();
    input.end(`${secret}\n`);
    let out = '';
    const code = await main(
      ['--secrets-from', join(dir, 'missing.json'), '--lines'],
      (s) => (out += s),
      () => undefined,
      input,
    );
    expect(code).toBe(2);
    expect(out).toBe('');
  });
});

test('--lines: an id masked on its secret-id line is masked on later lines too (an error message repeats it, re-wrapped)', async () => {
  const input = new PassThrough();
  let out = '';
  const done = main(
    ['--secrets-from', join(dir, 'lines-state.json'), '--lines'],
    (s) => (out += s),
    () => undefined,
    input,
  );
  input.end(
    'data.aws_secretsmanager_random_password.seed: Read complete after 0s [id=FAKEpasswordNOTinANYdoc]\nError running command:\n[id=FAKEpasswordNOTinANYdoc]\n',
  );
  expect(await done).toBe(0);
  expect(out).not.toContain('FAKEpasswordNOTinANYdoc');
  expect(out).toContain('Error running command:\n[id=(masked secret)]\n');
});
