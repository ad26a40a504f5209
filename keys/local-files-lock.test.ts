/**
 * Two local keys CLIs share the local registry, edge file and API Gateway file: each change to one
 * of them is made under that file's lock, so neither loses the other's change (review item 5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEdgeKeyStore } from './edge-store-file';
import { withFileLock } from './file-lock';
import { MemoryKeyGateway } from './memory-gateway';
import { FileRegistryStore } from './registry-file';

const dir = () => mkdtempSync(join(tmpdir(), 'keys-lock-'));
/** A pid no process has any more: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid as number;
const old = new Date(Date.now() - 3600_000);

describe('local files under a lock', () => {
  it('two gateways on one file (two CLIs) keep both keys', async () => {
    const file = join(dir(), 'api-gateway-keys.json');
    const first = new MemoryKeyGateway('ubb-local', ['basic'], file);
    const second = new MemoryKeyGateway('ubb-local', ['basic'], file);
    const a = await second.createKey('ubb-local-a-0000000000000000', 'value-a-01234567890123456789', 'A');
    const b = await first.createKey('ubb-local-b-1111111111111111', 'value-b-01234567890123456789', 'B');
    expect(a).not.toBe(b);
    const reader = new MemoryKeyGateway('ubb-local', ['basic'], file);
    expect((await reader.listKeys('ubb-local-', false)).map((k) => k.name).sort()).toEqual(['ubb-local-a-0000000000000000', 'ubb-local-b-1111111111111111']);
  });

  it('a change waits for the lock another live command holds, however old, and then applies', async () => {
    const path = join(dir(), 'edge-keys.json');
    writeFileSync(`${path}.lock`, `${process.pid}\n`);
    utimesSync(`${path}.lock`, old, old);
    const store = new FileEdgeKeyStore(path);
    let done = false;
    const applying = store.apply({ put: [{ fingerprint: 'aaaaaaaaaaaaaaaa', value: 'active' }], delete: [] }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect([done, existsSync(path)]).toEqual([false, false]);
    // The holder finishes.
    rmSync(`${path}.lock`);
    await applying;
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ aaaaaaaaaaaaaaaa: 'active' });
  });

  it('the registry write refuses in one line while a live command holds the lock past the wait', async () => {
    const location = join(dir(), 'registry.json');
    writeFileSync(`${location}.lock`, `${process.pid}\n`);
    utimesSync(`${location}.lock`, old, old);
    await expect(new FileRegistryStore(location, 50).write('{}', undefined)).rejects.toThrow(
      `lock ${location}.lock is held by another keys command (pid ${process.pid}); wait for it to finish, or delete the file if that process is not a keys command`,
    );
    expect(existsSync(location)).toBe(false);
  });

  it('takes over a lock whose holder has died', async () => {
    const lock = join(dir(), 'x.lock');
    writeFileSync(lock, `${deadPid()}\n`);
    expect(await withFileLock(lock, () => readFileSync(lock, 'utf8'))).toBe(`${process.pid}\n`);
    expect(existsSync(lock)).toBe(false);
  });
});
