import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromEnv, environment, main } from './cli';
import { createKey } from './commands';

async function run(args: string[], state: string) {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => (out += s),
    (s) => (err += s),
    { LOCAL_STATE_DIR: state },
  );
  return { code, out, err };
}

describe('keys CLI, local environment', () => {
  it('prints the new key once as JSON and refuses bad input with one line', async () => {
    const state = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const created = await run(['create', '--customer', 'Acme Corp', '--plan', 'basic', '--env', 'local', '--format', 'json'], state);
    expect(created.code).toBe(0);
    const json = JSON.parse(created.out) as Record<string, string>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['id', 'customer', 'plan', 'status', 'fingerprint', 'value']));
    const shown = await run(['show', 'acme-corp', '--env', 'local', '--format', 'json'], state);
    expect(shown.out).not.toContain(json.value);
    for (const [args, message] of [
      [
        ['create', '--customer', 'X', '--plan', 'gold', '--env', 'local'],
        'keys: unknown plan "gold" in environment local; plans: basic, pro (config/environments.ts)\n',
      ],
      [['list', '--env', 'staging'], 'keys: --env must be one of dev, prod, local\n'],
      [['list', '--env', 'local', '--format', 'xml'], 'keys: --format must be json or table\n'],
      [['rotate', 'acme-corp', '--grace', 'soon', '--env', 'local'], 'keys: --grace "soon" must be a whole number with s, m, h or d, e.g. 24h\n'],
      [['frobnicate', '--env', 'local'], 'keys: unknown command "frobnicate"; see --help\n'],
      [['list', '--env', 'local', '--verbose'], 'keys: unknown option --verbose; see --help\n'],
    ] as const) {
      const r = await run([...args], state);
      expect([r.code, r.err, r.out]).toEqual([2, message, '']);
    }
  });

  it('sync leaves an in-flight create alone and says so; --pending-age 0s undoes it', async () => {
    const state = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const ctx = contextFromEnv(environment('local'), { LOCAL_STATE_DIR: state });
    // A create stopped after putting its key in API Gateway: to sync it looks like one still running.
    let steps = 0;
    const stopped = createKey(
      {
        ...ctx,
        step: async () => {
          if (++steps === 2) throw new Error('stopped');
        },
      },
      { customer: 'Busy', plan: 'basic' },
    );
    await expect(stopped).rejects.toThrow('stopped');
    const young = await run(['sync', '--fix', '--env', 'local'], state);
    expect(young.code).toBe(0);
    expect(young.out).toMatch(
      /^in flight, left alone: create of busy since \S+; sync finishes or undoes it after \S+ \(--pending-age 0s if its command is known to have died\)$/m,
    );
    const bad = await run(['sync', '--env', 'local', '--pending-age', 'soon'], state);
    expect([bad.code, bad.err]).toEqual([2, 'keys: --pending-age "soon" must be a whole number with s, m, h or d, e.g. 24h\n']);
    const old = await run(['sync', '--fix', '--env', 'local', '--pending-age', '0s'], state);
    expect(old.out).toContain('unfinished create since');
    expect((await run(['list', '--env', 'local', '--format', 'json'], state)).out).toBe('[]\n');
  });

  it('revoke says how soon the edge refuses the key', async () => {
    const state = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    await run(['create', '--customer', 'Gone', '--plan', 'basic', '--env', 'local'], state);
    const revoked = await run(['revoke', 'gone', '--env', 'local'], state);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`\nedge: the local edge reads ${join(state, 'edge-keys.json')} on every request, so the next request sees this change\n`);
    const json = await run(['show', 'gone', '--env', 'local', '--format', 'json'], state);
    expect(JSON.parse(json.out)).toMatchObject({ status: 'revoked' });
  });
});
