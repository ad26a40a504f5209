/**
 * What the repository promises about its own supply chain and ownership: hashed Python tools,
 * Dependabot with a cooldown, code owners for the pipeline and the roles it assumes, the licence
 * package.json names, and a security policy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

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

/** Paths whose changes need the delivery owners' review: the pipeline and the roles it assumes. */
const OWNED_PATHS = ['/.github/', '/stacks/bootstrap/', '/delivery/', '/.ci/'];

/**
 * What is wrong with a CODEOWNERS text for this repository: every owned path listed, each with the
 * same owners, each owner a user (@name), a team (@org/team-slug) or an e-mail address. The owners'
 * names are the team's choice (docs/delivery.md, one-time setup), so they are not checked here;
 * GitHub ignores owners without write access, which no file check can see.
 * https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
 */
function codeOwnersProblems(text: string): string[] {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
  const problems: string[] = [];
  for (const path of OWNED_PATHS) if (!rules.some(([p]) => p === path)) problems.push(`${path} has no code owners`);
  const owners = rules.filter(([p]) => OWNED_PATHS.includes(p)).map(([, ...who]) => who.join(' '));
  for (const [path, ...who] of rules) {
    if (who.length === 0) problems.push(`${path}: no owner`);
    for (const owner of who)
      if (!/^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9._-]+)?$/.test(owner) && !/^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(owner))
        problems.push(`${path}: "${owner}" is not @user, @org/team or an e-mail address`);
  }
  if (new Set(owners).size > 1) problems.push(`the owned paths have different owners: ${[...new Set(owners)].join(' | ')}`);
  return problems;
}

test('the pipeline and the roles it assumes have code owners', () => {
  expect(codeOwnersProblems(read('.github/CODEOWNERS'))).toEqual([]);
});

test('the code-owner rule holds whatever the team is called, and fails on a broken file', () => {
  const renamed = read('.github/CODEOWNERS').replace(/@example-org\/platform/g, '@acme-corp/delivery-team');
  expect(codeOwnersProblems(renamed)).toEqual([]);
  expect(codeOwnersProblems(read('.github/CODEOWNERS').replace(/@example-org\/platform/g, '@alice @bob'))).toEqual([]);
  expect(codeOwnersProblems('/.github/ @acme/platform\n/delivery/\n/.ci/ @acme/other\n')).toEqual([
    '/stacks/bootstrap/ has no code owners',
    '/delivery/: no owner',
    'the owned paths have different owners: @acme/platform |  | @acme/other',
  ]);
  expect(codeOwnersProblems(OWNED_PATHS.map((p) => `${p} acme/platform`).join('\n'))).toContain(
    '/.github/: "acme/platform" is not @user, @org/team or an e-mail address',
  );
});

test('the licence is the MIT licence package.json names, and there is a security policy', () => {
  expect((JSON.parse(read('package.json')) as { license: string }).license).toBe('MIT');
  expect(read('LICENSE').split('\n')[0]).toBe('MIT License');
  expect(existsSync(join(ROOT, 'SECURITY.md'))).toBe(true);
  expect(read('SECURITY.md')).toContain('Report a vulnerability');
});
