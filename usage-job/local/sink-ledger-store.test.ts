import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeLedgerStoreContract } from '../sinks/testing/ledger-store-contract';
import { FileSinkLedgerStore } from './sink-ledger-store';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sink-ledger-'));
  dirs.push(dir);
  return dir;
};

describeLedgerStoreContract('file store', () => new FileSinkLedgerStore(freshDir()));

describe('file store on disk', () => {
  it('lays ledgers out as <dir>/<sink>/<month>.json and leaves no temporary or lock file', async () => {
    const dir = freshDir();
    const store = new FileSinkLedgerStore(dir);
    await store.write('alpha', '2026-11', { a: 1 }, undefined);
    expect(store.location('alpha', '2026-11')).toBe(join(dir, 'alpha', '2026-11.json'));
    expect(readdirSync(join(dir, 'alpha'))).toEqual(['2026-11.json']);
  });

  it('treats a ledger changed by hand as another revision, and names a file that is not JSON', async () => {
    const store = new FileSinkLedgerStore(freshDir());
    const revision = await store.write('alpha', '2026-11', { a: 1 }, undefined);
    const path = store.location('alpha', '2026-11');
    writeFileSync(path, '{"a":5}\n');
    await expect(store.write('alpha', '2026-11', { a: 2 }, revision)).rejects.toThrow(`sink ledger ${path} changed since it was read`);
    writeFileSync(path, '{"a":');
    await expect(store.read('alpha', '2026-11')).rejects.toThrow(`sink ledger ${path} is not JSON`);
    expect(readdirSync(dirname(path))).toEqual(['2026-11.json']);
  });
});

it('a ledger locked by another live process: the write times out naming a usage run, and writes nothing', async () => {
  const dir = freshDir();
  const store = new FileSinkLedgerStore(dir, 50);
  const path = store.location('alpha', '2026-11');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.lock`, `${process.ppid}\n`); // a live process that is not this one
  await expect(store.write('alpha', '2026-11', { a: 1 }, undefined)).rejects.toThrow(
    `lock ${path}.lock is held by another usage run (pid ${process.ppid}); wait for it to finish, or delete the file if that process is not a usage run`,
  );
  await expect(store.read('alpha', '2026-11')).resolves.toBeUndefined();
  rmSync(`${path}.lock`);
});
