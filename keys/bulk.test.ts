import { readFileSync } from 'node:fs';
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
});
