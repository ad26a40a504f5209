import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEdgeKeyStore } from './edge-store-file';

describe('file edge store', () => {
  it('applies puts and deletes idempotently into one sorted JSON map', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'edge-')), 'edge-keys.json');
    const store = new FileEdgeKeyStore(path);
    expect((await store.list()).size).toBe(0);
    await store.apply({
      put: [
        { fingerprint: 'bbbbbbbbbbbbbbbb', value: 'active' },
        { fingerprint: 'aaaaaaaaaaaaaaaa', value: 'until:1800000000' },
      ],
      delete: [],
    });
    await store.apply({ put: [{ fingerprint: 'bbbbbbbbbbbbbbbb', value: 'active' }], delete: ['cccccccccccccccc'] });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ aaaaaaaaaaaaaaaa: 'until:1800000000', bbbbbbbbbbbbbbbb: 'active' });
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')))).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    await store.apply({ put: [], delete: ['aaaaaaaaaaaaaaaa'] });
    expect([...(await store.list()).entries()]).toEqual([['bbbbbbbbbbbbbbbb', 'active']]);
    expect(statSync(path).isFile()).toBe(true);
  });
});
