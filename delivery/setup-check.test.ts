/**
 * delivery/setup-check.sh, which the apply workflow runs first: it refuses while CODEOWNERS still
 * names the placeholder team, and passes once a real owner replaces it on every line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const SHIPPED = readFileSync(join(ROOT, '.github', 'CODEOWNERS'), 'utf8');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'setup-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(text: string | undefined): { code: number | null; out: string; err: string; output: string } {
  const file = join(dir, 'CODEOWNERS');
  const output = join(dir, 'github-output');
  rmSync(file, { force: true });
  writeFileSync(output, '');
  if (text !== undefined) writeFileSync(file, text);
  const r = spawnSync('bash', ['delivery/setup-check.sh', file], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output } });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr, output: readFileSync(output, 'utf8') };
}

test('the shipped CODEOWNERS names the placeholder team, so the check refuses and says which setup step is missing', () => {
  const r = check(SHIPPED);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toContain('still names the placeholder team @example-org/platform on 10 line(s)');
  expect(r.err).toContain('docs/delivery.md, One-time setup, Code owners. Nothing was applied.');
  // The apply's reports say why nothing was applied.
  expect(r.output).toMatch(/^refused=setup incomplete: .* still names the placeholder team @example-org\/platform/);
});

test('the check passes once every line names a real team, and a comment may still mention the placeholder', () => {
  const real = SHIPPED.replace(/^(\S+\s+)@example-org\/platform$/gm, '$1@acme-corp/delivery');
  expect(real).toContain('# SETUP (docs/delivery.md');
  expect(real).toContain('@example-org/platform');
  expect(check(real)).toMatchObject({ code: 0, out: expect.stringContaining('Setup check passed') as unknown as string, output: '' });
});

test('one forgotten line is enough to refuse, and a missing file is refused', () => {
  const oneLeft = SHIPPED.replace(/^(\S+\s+)@example-org\/platform$/gm, (line, head: string) =>
    head.startsWith('/config/') ? line : `${head}@acme-corp/delivery`,
  );
  const r = check(oneLeft);
  expect(r.code).toBe(1);
  expect(r.err).toContain('on 1 line(s)');
  expect(r.err).toMatch(/line \d+:\/config\/\s+@example-org\/platform/);
  expect(check(undefined)).toMatchObject({ code: 1, err: expect.stringContaining('is missing') as unknown as string });
});
