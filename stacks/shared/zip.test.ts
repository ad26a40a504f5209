import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from './zip';

describe('zipSync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const entries = [
    { name: 'index.js', data: Buffer.from('exports.handler = async () => ({ statusCode: 200 });\n'.repeat(50)) },
    { name: 'lib/data.json', data: Buffer.from(JSON.stringify({ ok: true, text: 'ünïcödé' })) },
  ];

  it('writes an archive that unzip extracts byte for byte, with a clean integrity test', () => {
    const file = join(dir, 'a.zip');
    writeFileSync(file, zipSync(entries));
    const test = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(test.status).toBe(0);
    expect(test.stdout).toContain('No errors detected');
    const out = join(dir, 'out');
    expect(spawnSync('unzip', ['-q', file, '-d', out]).status).toBe(0);
    for (const e of entries) expect(readFileSync(join(out, e.name))).toEqual(e.data);
  });

  it('is deterministic and independent of entry order', () => {
    const a = zipSync(entries);
    expect(zipSync([...entries].reverse())).toEqual(a);
  });

  it('changes when a file changes', () => {
    const changed = [{ ...entries[0], data: Buffer.from('exports.handler = async () => ({ statusCode: 201 });\n') }, entries[1]];
    expect(zipSync(changed)).not.toEqual(zipSync(entries));
  });
});
