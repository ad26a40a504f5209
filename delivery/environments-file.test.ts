/** .github/environments.json, the list the workflows read, is exactly what config/environments.ts deploys. */
import { spawnSync } from 'node:child_process';
import { configuredEnvironmentNames, ENVIRONMENTS_FILE, environmentsFileProblem, environmentsFileText, readEnvironmentsFile } from './environments-file';

describe('.github/environments.json', () => {
  test('is up to date with config/environments.ts (otherwise run npm run delivery:environments)', () => {
    const problem = environmentsFileProblem(readEnvironmentsFile(), configuredEnvironmentNames());
    if (problem !== undefined) throw new Error(problem);
  });

  test('is what `jq -c .` prints, so a workflow job outputs the file byte for byte', () => {
    const result = spawnSync('jq', ['-c', '.', ENVIRONMENTS_FILE], { encoding: 'utf8' });
    if (result.error) throw new Error('jq is not installed: run bash .ci/run (apt-get install jq)');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(readEnvironmentsFile());
  });

  test('lists names the workflows can use as matrix values, GitHub environment names and concurrency groups', () => {
    const names = JSON.parse(readEnvironmentsFile() ?? '[]') as unknown[];
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('environmentsFileProblem', () => {
  test('is silent when the file is the configuration, in its order', () => {
    expect(environmentsFileProblem('["dev","prod"]\n', ['dev', 'prod'])).toBeUndefined();
    expect(environmentsFileText(['dev', 'prod'])).toBe('["dev","prod"]\n');
  });

  test.each([
    ['an environment the file lacks', '["dev","prod"]\n', ['dev', 'staging', 'prod']],
    ['an environment the configuration dropped', '["dev","prod"]\n', ['prod']],
    ['another order', '["prod","dev"]\n', ['dev', 'prod']],
    ['hand formatting', '[ "dev", "prod" ]\n', ['dev', 'prod']],
  ])('names the command to run for %s', (_what, text, names) => {
    const problem = environmentsFileProblem(text, names);
    expect(problem).toContain('.github/environments.json is out of date with config/environments.ts');
    expect(problem).toContain('run npm run delivery:environments');
  });

  test('says so when the file is missing', () => {
    expect(environmentsFileProblem(undefined, ['dev'])).toBe('.github/environments.json is missing: run npm run delivery:environments');
  });
});
