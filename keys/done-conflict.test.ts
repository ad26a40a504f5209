/**
 * A 412 (ETag conflict) at a command's final "done" write (review item 3): the command re-reads the
 * registry and either finishes on top of the other write or reports exactly where the key stands.
 */
import { join } from 'node:path';
import { createFromCsv } from './bulk';
import { createKey, rotateKey, sync } from './commands';
import { readRegistry, RegistryConflictError, withCustomer, writeRegistry, type RegistryStore } from './registry';
import { testContext, type TestContext } from './testing/memory-context';
import { violations } from './testing/moto-keys';

async function check(ctx: TestContext) {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name);
  return violations(doc, { usable: new Set(ctx.gateway.usableFingerprints().keys()), keyCount: 0 }, ctx.edge, ctx.now());
}
const clean = { usableButUnbilled: [], billedButUnusable: [], pending: [] };

/** `ctx`, except that `meanwhile` runs (as another operator) when the command reaches step `at`. */
function interrupted(ctx: TestContext, at: string, meanwhile: () => Promise<unknown>): TestContext {
  let fired = false;
  return {
    ...ctx,
    step: async (name) => {
      if (name !== at || fired) return;
      fired = true;
      await meanwhile();
    },
  };
}

describe('a registry conflict at the final write', () => {
  it('create finishes on top of a write to another customer and prints the value', async () => {
    const ctx = testContext();
    const other = interrupted(ctx, 'edge', () => createKey(ctx, { customer: 'Other', plan: 'basic', id: 'other' }));
    const issued = await createKey(other, { customer: 'Acme', plan: 'basic', id: 'acme' });
    expect(issued).toMatchObject({ id: 'acme', status: 'active' });
    expect(ctx.gateway.usableFingerprints().has(issued.fingerprint as string)).toBe(true);
    expect(await check(ctx)).toEqual(clean);
    expect(Object.keys((await readRegistry(ctx.registry, ctx.env.name)).doc.customers).sort()).toEqual(['acme', 'other']);
  });

  it('create whose intent another command undid says the key is gone and to run create again', async () => {
    const ctx = testContext();
    const undone = interrupted(ctx, 'edge', () => sync(ctx, true, { pendingAgeSeconds: 0 }));
    await expect(createKey(undone, { customer: 'Acme', plan: 'basic', id: 'acme' })).rejects.toThrow(
      /^create of "acme" did not finish: another command changed the customer in the registry while it ran \(now: no such customer\); its new key [0-9a-f]{16} was deleted from API Gateway and the edge, nothing is left of it: run keys create again$/,
    );
    expect(await check(ctx)).toEqual(clean);
  });

  it('create whose record was replaced while its key still works says so, hides the value, and names sync --fix', async () => {
    const ctx = testContext();
    // Another operator's sync undid the intent but died before deleting the key (edge and API Gateway remain).
    const replaced = interrupted(ctx, 'edge', async () => {
      const snap = await readRegistry(ctx.registry, ctx.env.name);
      await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, 'acme', undefined));
    });
    const error = await createKey(replaced, { customer: 'Acme', plan: 'basic', id: 'acme' }).catch((e: Error) => e);
    expect(String(error)).toMatch(
      /did not finish: .* \(now: no such customer\); its new key [0-9a-f]{16} is still in API Gateway and at the edge, but no registry entry bills it, so its value is not shown: run keys sync --fix --env dev to delete it, then keys create again$/,
    );
    expect((await check(ctx)).usableButUnbilled).toHaveLength(1);
    await sync(ctx, true);
    expect(await check(ctx)).toEqual(clean);
  });

  it('rotate finishes on top of a write to another customer', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic', id: 'acme' });
    const other = interrupted(ctx, 'edge', () => createKey(ctx, { customer: 'Other', plan: 'basic', id: 'other' }));
    const rotated = await rotateKey(other, 'acme', 3600);
    expect(rotated.status).toBe('rotating');
    expect(await check(ctx)).toEqual(clean);
  });

  it('a registry that keeps conflicting leaves the create pending and says to re-run it', async () => {
    const ctx = testContext();
    let writes = 0;
    const store: RegistryStore = {
      location: ctx.registry.location,
      read: () => ctx.registry.read(),
      // The intent lands; every later write meets a conflict (someone keeps writing other customers).
      write: async (text, etag) => {
        if (++writes > 1) throw new RegistryConflictError(ctx.registry.location);
        return ctx.registry.write(text, etag);
      },
    };
    await expect(createKey({ ...ctx, registry: store }, { customer: 'Acme', plan: 'basic', id: 'acme' })).rejects.toThrow(
      /^create of "acme" did not finish: the registry changed underneath it 5 times \(ETag conflict\); the customer is left pending \(billed, value not shown\): run the same command again, or keys sync --fix --env dev$/,
    );
    expect((await check(ctx)).pending).toEqual(['acme:create']);
    expect((await check(ctx)).usableButUnbilled).toEqual([]);
  });

  it('bulk create finishes on top of a write to another customer', async () => {
    const ctx = testContext();
    const rows = [1, 2, 3].map((i) => ({ id: `bulk-${i}`, customer: `Bulk ${i}`, plan: 'basic' }));
    const other = interrupted(ctx, 'edge', () => createKey(ctx, { customer: 'Other', plan: 'basic', id: 'other' }));
    const out = await createFromCsv(other, rows, join(ctx.dir, 'values.csv'), 'one-at-a-time');
    expect(out.issued.map((k) => k.status)).toEqual(['active', 'active', 'active']);
    expect(await check(ctx)).toEqual(clean);
  });

  it('bulk create commits the rows left intact and names those another command changed', async () => {
    const ctx = testContext();
    const rows = [1, 2, 3].map((i) => ({ id: `bulk-${i}`, customer: `Bulk ${i}`, plan: 'basic' }));
    const values = join(ctx.dir, 'values.csv');
    const undone = interrupted(ctx, 'edge', async () => {
      const snap = await readRegistry(ctx.registry, ctx.env.name);
      await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, 'bulk-2', undefined));
    });
    await expect(createFromCsv(undone, rows, values, 'one-at-a-time')).rejects.toThrow(
      `create --from-csv: another command changed 1 of these customers in the registry while this ran (bulk-2); the other 2 are created, their values in ${values}. The lines for the changed ones are not billed keys: run keys sync --fix --env dev to delete what is left of them, then create them again (a CSV of just those rows, a new --values-out file)`,
    );
    const { doc } = await readRegistry(ctx.registry, ctx.env.name);
    expect(Object.keys(doc.customers).sort()).toEqual(['bulk-1', 'bulk-3']);
    expect(Object.values(doc.customers).every((c) => c.pending === undefined)).toBe(true);
    await sync(ctx, true);
    expect(await check(ctx)).toEqual(clean);
  });
});
