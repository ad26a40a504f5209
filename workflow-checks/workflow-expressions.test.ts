import { fixedValue, mayRun, parseExpression } from './workflow-expressions';

const fork = { 'github.event.pull_request.head.repo.fork': true, 'github.actor': 'octocat' };
const dependabot = { 'github.event.pull_request.head.repo.fork': false, 'github.actor': 'dependabot[bot]' };
const writer = { 'github.event.pull_request.head.repo.fork': false, 'github.actor': 'octocat' };

describe('GitHub expressions, for step conditions', () => {
  test('a step without if runs (success())', () => {
    expect(mayRun(undefined, fork)).toBe(true);
  });

  test.each([
    ['${{ !github.event.pull_request.head.repo.fork }}', false, true, true],
    ["!github.event.pull_request.head.repo.fork && github.actor != 'dependabot[bot]'", false, false, true],
    ["github.actor != 'Dependabot[bot]'", true, false, true], // strings compare case-insensitively
    ["failure() && !github.event.pull_request.head.repo.fork && github.actor != 'dependabot[bot]'", false, false, true],
    ["always() && hashFiles('plan.md') != '' && !(github.event.pull_request.head.repo.fork || github.actor == 'dependabot[bot]')", false, false, true],
    ['github.event.pull_request.head.repo.fork', true, false, false],
  ])('%s: fork %s, Dependabot %s, writer %s', (condition, forRuns, dependabotRuns, writerRuns) => {
    expect([mayRun(condition, fork), mayRun(condition, dependabot), mayRun(condition, writer)]).toEqual([forRuns, dependabotRuns, writerRuns]);
  });

  test('terms not given may take any value: a condition on them may run', () => {
    expect(mayRun("steps.tf.outputs.changes == 'true'", {})).toBe(true);
    expect(mayRun("matrix.environment != 'prod' && matrix.environment == 'prod'", {})).toBe(false);
  });

  test('&& and || return an operand, as in GitHub', () => {
    const reason = "${{ github.event.pull_request.head.repo.fork && 'fork' || github.actor == 'dependabot[bot]' && 'dependabot' || '' }}";
    expect(fixedValue(reason, fork)).toBe('fork');
    expect(fixedValue(reason, dependabot)).toBe('dependabot');
    expect(fixedValue(reason, writer)).toBe('');
    expect(fixedValue(reason, {})).toBeUndefined(); // depends on the pull request
    expect(fixedValue('plain text', {})).toBe('plain text');
  });

  test('rejects what it cannot read', () => {
    expect(() => parseExpression("github.actor == 'x' )")).toThrow(/unexpected/);
    expect(() => parseExpression('github.actor ==')).toThrow(/expected/);
  });
});
