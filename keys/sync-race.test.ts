/**
 * sync racing other keys commands (review items 1 and 2): sync must never delete a key whose
 * command announced it in the registry, nor undo a command that is still running.
 */
import type { KeyGateway } from './api-gateway';
import { BULK_SECONDS_PER_ROW, createFromCsv } from './bulk';
import { createKey, PENDING_IN_FLIGHT_SECONDS, sync } from './commands';
import { join } from 'node:path';
import { readRegistry } from './registry';
import { testContext, type TestContext } from './testing/memory-context';
import { violations } from './testing/moto-keys';

async function check(ctx: TestContext) {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name);
  return violations(doc, { usable: new Set(ctx.gateway.usableFingerprints().keys()), keyCount: 0 }, ctx.edge, ctx.now());
}
const clean = { usableButUnbilled: [], billedButUnusable: [], pending: [] };

/** The same context, but `during` runs once when sync first asks API Gateway for the usage plans (after its registry read). */
function withGatewayHook(ctx: TestContext, during: () => Promise<void>): TestContext {
  let fired = false;
  const gateway = Object.create(ctx.gateway) as KeyGateway;
  gateway.usagePlanIds = async (prefix: string) => {
    if (!fired) {
      fired = true;
      await during();
    }
    return (ctx.gateway as KeyGateway).usagePlanIds(prefix);
  };
  return { ...ctx, gateway } as TestContext;
}

describe('sync --fix racing other commands', () => {
  it('leaves a key alone that a create made after sync read the registry', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Base', plan: 'basic', id: 'base' });
    let issued: { fingerprint?: string } = {};
    const racing = withGatewayHook(ctx, async () => {
      issued = await createKey(ctx, { customer: 'Acme', plan: 'basic', id: 'acme' });
    });
    const report = await sync(racing, true).catch((e: Error) => e);
    expect(ctx.edge.entries.get(issued.fingerprint as string)).toBe('active');
    expect(ctx.gateway.usableFingerprints().has(issued.fingerprint as string)).toBe(true);
    expect(await check(ctx)).toEqual(clean);
    expect(report).toMatchObject({ drift: [] });
  });

  it('leaves an in-flight create alone and reports it; the create then finishes', async () => {
    const ctx = testContext();
    let report: Awaited<ReturnType<typeof sync>> | undefined;
    // The create runs sync (from "another operator") right after it put the key on the edge.
    const creating: TestContext = {
      ...ctx,
      step: async (name) => {
        if (name === 'edge') report = await sync(ctx, true);
      },
    };
    const issued = await createKey(creating, { customer: 'Acme', plan: 'basic', id: 'acme' });
    expect(report?.drift).toEqual([]);
    expect(report?.inFlight).toEqual([expect.objectContaining({ customer: 'acme', operation: 'create' })]);
    expect(issued.status).toBe('active');
    expect(ctx.edge.entries.get(issued.fingerprint as string)).toBe('active');
    expect(await check(ctx)).toEqual(clean);
  });

  it('an in-flight pending older than the stated age is undone; --pending-age 0s undoes at once', async () => {
    const ctx = testContext();
    ctx.crashAfter(3);
    await createKey(ctx, { customer: 'Acme', plan: 'basic', id: 'acme' }).catch(() => undefined);
    ctx.crashAfter(undefined);
    const young = await sync(ctx, true);
    expect(young.drift).toEqual([]);
    expect(young.inFlight.map((p) => p.customer)).toEqual(['acme']);
    expect((await check(ctx)).pending).toEqual(['acme:create']);
    ctx.setNow(new Date(ctx.now().getTime() + 16 * 60 * 1000));
    const old = await sync(ctx, true);
    expect(old.drift.map((d) => d.problem)).toEqual([expect.stringMatching(/^unfinished create since/)]);
    expect(await check(ctx)).toEqual(clean);
  });

  it('leaves a bulk run alone for as long as it announced, past the usual age', async () => {
    const ctx = testContext();
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `bulk-${i}`, customer: `Bulk ${i}`, plan: 'basic' }));
    const start = ctx.now().getTime();
    let report: Awaited<ReturnType<typeof sync>> | undefined;
    const running: TestContext = {
      ...ctx,
      step: async (name) => {
        if (name !== 'registry-intent') return;
        // Sync runs late in the bulk run: past the usual age, before the run's own estimate.
        ctx.setNow(new Date(start + (PENDING_IN_FLIGHT_SECONDS + rows.length * BULK_SECONDS_PER_ROW - 1) * 1000));
        report = await sync(ctx, true);
      },
    };
    const out = await createFromCsv(running, rows, join(ctx.dir, 'values.csv'), 'one-at-a-time');
    expect(report?.drift).toEqual([]);
    expect(report?.inFlight).toHaveLength(30);
    expect(out.issued).toHaveLength(30);
    expect(await check(ctx)).toEqual(clean);
  });
});
