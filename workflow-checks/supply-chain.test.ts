/**
 * What the repository promises about its own supply chain and ownership: hashed Python tools,
 * Dependabot with a cooldown, code owners for the pipeline and the roles it assumes, the licence
 * package.json names, and a security policy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkCodeOwners, CODEOWNERS_FILE, CODEOWNERS_REQUIRED } from './workflow-rules';

const ROOT = join(__dirname, '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

test('every Python requirement is pinned with hashes, so pip installs in hash-checking mode', () => {
  const text = read('requirements-dev.txt');
  const requirements = text.split('\n').filter((line) => /^[A-Za-z0-9]/.test(line));
  expect(requirements.length).toBeGreaterThan(50);
  for (const requirement of requirements) expect(requirement).toMatch(/^[A-Za-z0-9._-]+==[^ ]+ \\$/);
  const blocks = text.split(/\n(?=[A-Za-z0-9])/).filter((b) => /^[A-Za-z0-9]/.test(b));
  for (const block of blocks)
    expect({ block: block.split('\n')[0], hashed: /--hash=sha256:[0-9a-f]{64}/.test(block) }).toEqual({ block: block.split('\n')[0], hashed: true });
  for (const top of ['moto==5.2.5', 'sqlglot==30.30.0', 'checkov==3.3.30']) expect(text).toContain(`\n${top} \\`);
  expect(text).not.toMatch(/--find-links|--index-url|--extra-index-url/);
  expect(read('.ci/run')).toContain('.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt');
});

test('Dependabot updates npm, pip and the pinned actions, each after a cooldown', () => {
  const config = parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string; cooldown?: Record<string, number> }[] };
  const byEcosystem = new Map(config.updates.map((u) => [u['package-ecosystem'], u]));
  expect([...byEcosystem.keys()].sort()).toEqual(['github-actions', 'npm', 'pip']);
  expect(byEcosystem.get('npm')?.cooldown).toEqual({ 'default-days': 7, 'semver-major-days': 30 });
  for (const update of config.updates) expect(update.cooldown?.['default-days']).toBeGreaterThanOrEqual(1);
});

test('code owners cover everything, and by name what runs with or shapes credentials', () => {
  expect(checkCodeOwners(CODEOWNERS_FILE, read(CODEOWNERS_FILE))).toEqual([]);
  expect(CODEOWNERS_REQUIRED).toEqual(
    expect.arrayContaining(['*', '/permissions/', '/config/', '/package.json', '/package-lock.json', '/stacks/', '/.github/']),
  );
});

test('the code-owner rule holds whatever the team is called, and fails on a broken file', () => {
  const messages = (text: string): string[] => checkCodeOwners(CODEOWNERS_FILE, text).map((v) => v.message);
  expect(messages(read(CODEOWNERS_FILE).replace(/@example-org\/platform/g, '@acme-corp/delivery-team'))).toEqual([]);
  expect(messages(read(CODEOWNERS_FILE).replace(/@example-org\/platform/g, '@alice @bob'))).toEqual([]);
  const broken = messages(read(join('workflow-checks', 'fixtures', 'CODEOWNERS-uncovered')));
  expect(broken).toEqual([
    '* has no rule: add "* <the platform team>"',
    '/package-lock.json has no rule: add "/package-lock.json <the platform team>"',
    "/stacks/billing/: no owner, so nobody's review is required for it",
  ]);
  expect(messages(CODEOWNERS_REQUIRED.map((p) => `${p} acme/platform`).join('\n'))).toContain(
    '/.github/: "acme/platform" is not @user, @org/team or an e-mail address',
  );
  expect(messages(`${CODEOWNERS_REQUIRED.map((p) => `${p} @acme/platform`).join('\n')}\n/config/ @someone-else\n`)).toEqual([
    "the rules have different owners (@acme/platform | @someone-else): a later rule takes its paths away from the others' owners",
  ]);
});

test('the licence is the MIT licence package.json names, and there is a security policy', () => {
  expect((JSON.parse(read('package.json')) as { license: string }).license).toBe('MIT');
  expect(read('LICENSE').split('\n')[0]).toBe('MIT License');
  expect(existsSync(join(ROOT, 'SECURITY.md'))).toBe(true);
  expect(read('SECURITY.md')).toContain('Report a vulnerability');
});
