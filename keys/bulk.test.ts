import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFromCsv, parseCustomersCsv } from './bulk';
import { sync } from './commands';
import { readRegistry } from './registry';
import { testContext } from './testing/memory-context';
import { violations } from './testing/moto-keys';

const rows = parseCustomersCsv('plan,id,customer\nbasic,a,"A, Inc"\npro,b,B\nbasic,c,C\n', 'customers.csv');

describe('bulk create from CSV', () => {
  it('reads the columns in any order with quoting', () => {
    expect(rows).toEqual([
      { id: 'a', customer: 'A, Inc', plan: 'basic' },
      { id: 'b', customer: 'B', plan: 'pro' },
      { id: 'c', customer: 'C', plan: 'basic' },
    ]);
    expect(() => parseCustomersCsv('name,plan\nx,basic\n', 'f.csv')).toThrow(/f.csv: header must name the columns id, customer and plan/);
  });

  it('refuses a bad row before writing anything', async () => {
    const ctx = testContext();
    const bad = [...rows, { id: 'd', customer: 'D', plan: 'gold' }];
    await expect(createFromCsv(ctx, bad, join(ctx.dir, 'values.csv'), 'import')).rejects.toThrow(
      /^row 5 \(d\): unknown plan "gold"; plans: basic, pro; nothing was created$/,
    );
    expect((await readRegistry(ctx.registry, ctx.env.name)).etag).toBeUndefined();
    await expect(createFromCsv(ctx, [...rows, rows[0] as (typeof rows)[0]], join(ctx.dir, 'v.csv'), 'import')).rejects.toThrow(/row 5 \(a\): duplicate id/);
  });

  it('falls back to one at a time, and a restart after a crash reuses the values it wrote', async () => {
    const ctx = testContext();
    const values = join(ctx.dir, 'values.csv');
    ctx.crashAfter(2);
    await expect(createFromCsv(ctx, rows, values, 'import')).rejects.toThrow(/crash/);
    const written = readFileSync(values, 'utf8');
    ctx.crashAfter(undefined);
    const out = await createFromCsv(ctx, rows, values, 'import');
    expect(out.mode).toBe('one-at-a-time');
    expect(readFileSync(values, 'utf8')).toBe(written);
    expect(out.issued.map((k) => written.includes(k.value))).toEqual([true, true, true]);
    expect(ctx.gateway.stats.byOperation.CreateApiKey).toBe(3);
    const { doc } = await readRegistry(ctx.registry, ctx.env.name);
    expect(await violations(doc, { usable: new Set(ctx.gateway.usableFingerprints().keys()), keyCount: 0 }, ctx.edge, ctx.now())).toEqual({
      usableButUnbilled: [],
      billedButUnusable: [],
      pending: [],
    });
    expect((await sync(ctx, false)).drift).toEqual([]);
  });

  it("never overwrites an existing values file: refuses one that is not this run's, and names the file", async () => {
    const ctx = testContext();
    const earlier = join(ctx.dir, 'earlier.csv');
    await createFromCsv(ctx, [{ id: 'old', customer: 'Old', plan: 'basic' }], earlier, 'import');
    const before = readFileSync(earlier, 'utf8');
    await expect(createFromCsv(ctx, rows, earlier, 'import')).rejects.toThrow(
      `values file ${earlier} already holds values of customers not in this CSV (old); an existing values file is never overwritten: pass a new --values-out path; nothing was created`,
    );
    const notValues = join(ctx.dir, 'notes.txt');
    writeFileSync(notValues, 'my notes\n', { mode: 0o600 });
    await expect(createFromCsv(ctx, rows, notValues, 'import')).rejects.toThrow(
      `${notValues} exists and is not a keys values file; an existing file is never overwritten: pass a new --values-out path; nothing was created`,
    );
    expect(readFileSync(earlier, 'utf8')).toBe(before);
    expect(readFileSync(notValues, 'utf8')).toBe('my notes\n');
    expect(Object.keys((await readRegistry(ctx.registry, ctx.env.name)).doc.customers)).toEqual(['old']);
  });

  it('a resumed run appends only the values it issues now and names those issued before', async () => {
    const ctx = testContext();
    const values = join(ctx.dir, 'values.csv');
    ctx.crashAfter(2);
    await expect(createFromCsv(ctx, rows, values, 'import')).rejects.toThrow(/crash/);
    ctx.crashAfter(undefined);
    const written = readFileSync(values, 'utf8');
    // The operator adds a customer to the file and runs it again.
    const more = [{ id: 'd', customer: 'D', plan: 'basic' }, ...rows];
    const out = await createFromCsv(ctx, more, values, 'import');
    const now = readFileSync(values, 'utf8');
    expect(now.startsWith(written)).toBe(true);
    const appended = now.slice(written.length).trim().split('\n');
    expect(appended).toEqual([expect.stringMatching(/^d,D,basic,[0-9a-f]{16},\S{20,}$/)]);
    expect(out.alreadyInFile).toEqual(['a', 'b', 'c']);
    expect(out.issued.map((k) => k.id)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('refuses a values file others can read', async () => {
    const ctx = testContext();
    const values = join(ctx.dir, 'values.csv');
    writeFileSync(values, 'id,customer,plan,fingerprint,value\n');
    chmodSync(values, 0o644);
    await expect(createFromCsv(ctx, rows, values, 'import')).rejects.toThrow(
      `values file ${values} can be read by others (mode 644); chmod 600 it or pass a new --values-out path; nothing was created`,
    );
  });
});
