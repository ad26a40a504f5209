import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { billableKeys, readRegistry, registryCustomers, RegistryConflictError, withCustomer, writeRegistry, type CustomerRecord } from './registry';
import { FileRegistryStore } from './registry-file';

const customer = (id: string, fingerprint: string): CustomerRecord => ({
  id,
  customer: id.toUpperCase(),
  plan: 'basic',
  createdAt: '2026-03-01T00:00:00Z',
  billing: {},
  origin: 'cli',
  keys: [{ fingerprint, apiKeyName: `p-${id}`, state: 'active', createdAt: '2026-03-01T00:00:00Z' }],
});

const store = () => new FileRegistryStore(join(mkdtempSync(join(tmpdir(), 'reg-')), 'registry.json'));

describe('registry, local backend', () => {
  it('writes revisions and keeps the previous ones as history', async () => {
    const s = store();
    let snap = await readRegistry(s, 'dev');
    snap = await writeRegistry(s, snap, withCustomer(snap.doc, 'acme', customer('acme', '0123456789abcdef')));
    await writeRegistry(s, snap, withCustomer(snap.doc, 'globex', customer('globex', 'fedcba9876543210')));
    const again = await readRegistry(s, 'dev');
    expect(again.doc.revision).toBe(2);
    expect(Object.keys(again.doc.customers)).toEqual(['acme', 'globex']);
    expect(
      readdirSync(join(s.location, '..'))
        .filter((f) => f.includes('.v'))
        .sort(),
    ).toEqual(['registry.json.v1']);
    expect(billableKeys(again.doc, { basic: { monthlyQuota: 7 } }).map((k) => [k.customerId, k.monthlyQuota])).toEqual([
      ['acme', 7],
      ['globex', 7],
    ]);
    const revoked = { ...customer('initech', '2222222222222222'), revokedAt: '2026-03-02T00:00:00Z' };
    const doc = withCustomer(again.doc, 'initech', { ...revoked, keys: revoked.keys.map((k) => ({ ...k, state: 'revoked' as const })) });
    expect(registryCustomers(doc, { basic: { monthlyQuota: 7 } }).map((c) => [c.id, c.status, c.monthlyQuota, c.fingerprints, c.revokedFingerprints])).toEqual([
      ['acme', 'active', 7, ['0123456789abcdef'], []],
      ['globex', 'active', 7, ['fedcba9876543210'], []],
      ['initech', 'revoked', 7, [], ['2222222222222222']],
    ]);
  });

  it('refuses a write from a stale read with one line and leaves the file as it was', async () => {
    const s = store();
    const first = await readRegistry(s, 'dev');
    const stale = await writeRegistry(s, first, withCustomer(first.doc, 'acme', customer('acme', '0123456789abcdef')));
    await writeRegistry(s, stale, withCustomer(stale.doc, 'globex', customer('globex', 'fedcba9876543210')));
    const before = readFileSync(s.location, 'utf8');
    const attempt = writeRegistry(s, stale, withCustomer(stale.doc, 'initech', customer('initech', '1111111111111111')));
    await expect(attempt).rejects.toBeInstanceOf(RegistryConflictError);
    await expect(attempt).rejects.toThrow(/changed underneath this command \(ETag conflict\); nothing was written/);
    expect(readFileSync(s.location, 'utf8')).toBe(before);
    expect(existsSync(`${s.location}.lock`)).toBe(false);
  });

  it('refuses to create a registry that someone else created first', async () => {
    const s = store();
    const a = await readRegistry(s, 'dev');
    const b = await readRegistry(s, 'dev');
    await writeRegistry(s, a, withCustomer(a.doc, 'acme', customer('acme', '0123456789abcdef')));
    await expect(writeRegistry(s, b, withCustomer(b.doc, 'globex', customer('globex', 'fedcba9876543210')))).rejects.toBeInstanceOf(RegistryConflictError);
  });

  it('never stores a key value and never gives one fingerprint to two customers', async () => {
    const s = store();
    const snap = await readRegistry(s, 'dev');
    const withValue = {
      ...customer('acme', '0123456789abcdef'),
      keys: [{ ...customer('acme', '0123456789abcdef').keys[0], value: 'secret' }],
    } as unknown as CustomerRecord;
    await expect(writeRegistry(s, snap, withCustomer(snap.doc, 'acme', withValue))).rejects.toThrow(/holds a key value/);
    const twice = withCustomer(withCustomer(snap.doc, 'acme', customer('acme', '0123456789abcdef')), 'globex', customer('globex', '0123456789abcdef'));
    await expect(writeRegistry(s, snap, twice)).rejects.toThrow(/belongs to both "acme" and "globex"/);
    expect(existsSync(s.location)).toBe(false);
  });

  it('refuses a registry of another environment', async () => {
    const s = store();
    const snap = await readRegistry(s, 'dev');
    await writeRegistry(s, snap, snap.doc);
    await expect(readRegistry(s, 'prod')).rejects.toThrow(/belongs to environment "dev", not "prod"; check --env/);
    writeFileSync(s.location, '{');
    await expect(readRegistry(s, 'dev')).rejects.toThrow(/is not valid JSON/);
  });
});
