/**
 * delivery/verify-build.sh: the digest a build job reports and the check a credentialed job runs
 * before it uses the build. Every change to the build (a changed, added, removed or renamed file,
 * a symbolic link, a missing folder) is refused with a message that says what happened.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'verify-build.sh');
let dir: string;

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { cwd: dir, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function build(): void {
  rmSync(join(dir, 'cdktf.out'), { recursive: true, force: true });
  rmSync(join(dir, '.gen'), { recursive: true, force: true });
  mkdirSync(join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'assets'), { recursive: true });
  mkdirSync(join(dir, '.gen', 'build'), { recursive: true });
  writeFileSync(join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'cdk.tf.json'), '{"resource":{}}\n');
  writeFileSync(join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'assets', 'handler.zip'), 'zip bytes');
  writeFileSync(join(dir, '.gen', 'build', 'delivery-tools.cjs'), 'console.log("tools")\n');
}

const digest = (): string => {
  const r = run('digest', 'cdktf.out', '.gen/build');
  expect(r.code).toBe(0);
  return r.out.trim();
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'verify-build-'));
  build();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('the digest is a sha256 that depends only on the files and their paths', () => {
  const first = digest();
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  build();
  expect(digest()).toBe(first);
  const ok = run('verify', first, 'cdktf.out', '.gen/build');
  expect(ok).toMatchObject({ code: 0, out: `Build verified: cdktf.out .gen/build has the digest its job reported, ${first}.\n` });
});

test.each([
  ['a changed file', () => writeFileSync(join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'cdk.tf.json'), '{"resource":{"x":{}}}\n')],
  ['an added file', () => writeFileSync(join(dir, '.gen', 'build', 'extra.js'), 'evil()')],
  ['a removed file', () => unlinkSync(join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'assets', 'handler.zip'))],
  [
    'a renamed file',
    () =>
      renameSync(
        join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'assets', 'handler.zip'),
        join(dir, 'cdktf.out', 'stacks', 'billing-dev', 'assets', 'other.zip'),
      ),
  ],
])('%s is refused, and the message says what to do', (_what, change) => {
  const reported = digest();
  change();
  const r = run('verify', reported, 'cdktf.out', '.gen/build');
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toContain(`Refused: the build in cdktf.out .gen/build has digest `);
  expect(r.err).toContain(`but the job that built it reported ${reported}.`);
  expect(r.err).toContain('nothing of it was run with credentials');
});

test('a symbolic link, a missing folder and a missing digest are refused', () => {
  const reported = digest();
  symlinkSync('/etc/passwd', join(dir, '.gen', 'build', 'link'));
  expect(run('verify', reported, 'cdktf.out', '.gen/build')).toMatchObject({ code: 1, err: expect.stringContaining('symbolic links') as unknown as string });
  unlinkSync(join(dir, '.gen', 'build', 'link'));
  rmSync(join(dir, '.gen'), { recursive: true });
  expect(run('verify', reported, 'cdktf.out', '.gen/build')).toMatchObject({
    code: 1,
    err: expect.stringContaining('Refused: .gen/build is missing from the build') as unknown as string,
  });
  expect(run('verify', '', 'cdktf.out')).toMatchObject({ code: 1, err: expect.stringContaining('did not report one') as unknown as string });
  expect(run('verify', 'abc', 'cdktf.out').code).toBe(1);
  expect(run('digest').code).toBe(2);
});
