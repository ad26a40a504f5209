import { createKey, idFromName, KeysInputError, listCustomers, parseGrace, revokeKey, rotateKey, setPlan, sync } from './commands';
import { readRegistry } from './registry';
import { testContext, type TestContext } from './testing/memory-context';
import { violations } from './testing/moto-keys';

async function check(ctx: TestContext) {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name);
  return violations(doc, { usable: new Set(ctx.gateway.usableFingerprints().keys()), keyCount: 0 }, ctx.edge, ctx.now());
}

const clean = { usableButUnbilled: [], billedButUnusable: [], pending: [] };

describe('keys commands', () => {
  it('create issues a usable, billed key and records no value', async () => {
    const ctx = testContext();
    const issued = await createKey(ctx, { customer: 'Acme Corp', plan: 'basic' });
    expect(issued).toMatchObject({ id: 'acme-corp', customer: 'Acme Corp', plan: 'basic', status: 'active' });
    expect(issued.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.edge.entries.get(issued.fingerprint as string)).toBe('active');
    expect(await check(ctx)).toEqual(clean);
    const { doc } = await readRegistry(ctx.registry, ctx.env.name);
    expect(JSON.stringify(doc)).not.toContain(issued.value);
  });

  it('refuses bad input with one line and writes nothing', async () => {
    const ctx = testContext();
    await expect(createKey(ctx, { customer: 'Acme', plan: 'gold' })).rejects.toThrow(/^unknown plan "gold" in environment dev; plans: basic, pro/);
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    await expect(createKey(ctx, { customer: 'Acme again', plan: 'basic', id: 'acme' })).rejects.toThrow(/customer "acme" already exists/);
    await expect(revokeKey(ctx, 'nobody')).rejects.toThrow(/no customer "nobody" in environment dev/);
    await revokeKey(ctx, 'acme');
    await expect(revokeKey(ctx, 'acme')).rejects.toThrow(/already revoked/);
    expect(() => parseGrace('tomorrow')).toThrow(KeysInputError);
    const { doc } = await readRegistry(ctx.registry, ctx.env.name);
    expect(Object.keys(doc.customers)).toEqual(['acme']);
  });

  it('create refuses when API Gateway is full, with the figure', async () => {
    const ctx = testContext(undefined, 2);
    await createKey(ctx, { customer: 'A', plan: 'basic', id: 'a' });
    await createKey(ctx, { customer: 'B', plan: 'basic', id: 'b' });
    await expect(createKey(ctx, { customer: 'C', plan: 'basic', id: 'c' })).rejects.toThrow(
      /at most 2 keys per account and Region and 0 are free \(2 active, 0 in grace, 0 revoked not yet deleted, 0 pending\)/,
    );
    await expect(rotateKey(ctx, 'a', 3600)).rejects.toThrow(/0 are free/);
  });

  it('rotate keeps the old key until its deadline, carries the quota over, and sync deletes it after', async () => {
    const ctx = testContext();
    const first = await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    const plan = (await ctx.gateway.usagePlanIds()).get('basic') as string;
    await ctx.gateway.setRemaining(plan, first.apiKeyIds[0] as string, 1234);
    const second = await rotateKey(ctx, 'acme', 3600);
    expect(second.status).toBe('rotating');
    expect(second.deadline).toBe('2026-03-10T13:00:00.000Z');
    expect(await ctx.gateway.remaining(plan, second.apiKeyIds[1] as string)).toBe(1234);
    expect(ctx.edge.entries.get(first.fingerprint as string)).toBe(`until:${Date.parse('2026-03-10T13:00:00Z') / 1000}`);
    expect(await check(ctx)).toEqual(clean);
    ctx.setNow(new Date('2026-03-10T13:00:01Z'));
    const report = await sync(ctx, true);
    expect(report.drift.map((d) => d.problem)).toEqual(['grace ended 2026-03-10T13:00:00.000Z']);
    expect(ctx.edge.entries.has(first.fingerprint as string)).toBe(false);
    expect((await listCustomers(ctx))[0]).toMatchObject({ status: 'active', fingerprint: second.fingerprint });
    expect(await check(ctx)).toEqual(clean);
    expect((await sync(ctx, false)).drift).toEqual([]);
  });

  it('set-plan moves the key and carries over what the customer used this month', async () => {
    const ctx = testContext();
    const k = await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    const plans = await ctx.gateway.usagePlanIds();
    await ctx.gateway.setRemaining(plans.get('basic') as string, k.apiKeyIds[0] as string, 10_000 - 600);
    const moved = await setPlan(ctx, 'acme', 'pro');
    expect(moved.plan).toBe('pro');
    expect(await ctx.gateway.remaining(plans.get('pro') as string, k.apiKeyIds[0] as string)).toBe(1_000_000 - 600);
    expect(ctx.gateway.usableFingerprints().get(k.fingerprint as string)).toBe('pro');
  });

  it('revoke removes the key from the edge and API Gateway but keeps its fingerprint', async () => {
    const ctx = testContext();
    const k = await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    const v = await revokeKey(ctx, 'acme');
    expect(v.status).toBe('revoked');
    expect(v.fingerprints).toEqual([`${k.fingerprint}:revoked`]);
    expect(ctx.edge.entries.size).toBe(0);
    expect(ctx.gateway.usableFingerprints().size).toBe(0);
    expect(await check(ctx)).toEqual(clean);
  });

  it.each([
    ['create', 5],
    ['rotate', 6],
    ['revoke', 4],
    ['set-plan', 4],
  ])('a crash at any step of %s leaves nothing usable-but-unbilled, and sync --fix completes it', async (command, steps) => {
    for (let n = 1; n <= steps; n++) {
      const ctx = testContext();
      await createKey(ctx, { customer: 'Base', plan: 'basic', id: 'base' });
      ctx.crashAfter(n);
      const run =
        command === 'create'
          ? createKey(ctx, { customer: 'Acme', plan: 'basic', id: 'acme' })
          : command === 'rotate'
            ? rotateKey(ctx, 'base', 3600)
            : command === 'revoke'
              ? revokeKey(ctx, 'base')
              : setPlan(ctx, 'base', 'pro');
      await run.catch(() => undefined);
      ctx.crashAfter(undefined);
      expect((await check(ctx)).usableButUnbilled).toEqual([]);
      // The operator knows the command died, so sync need not wait for the in-flight age.
      await sync(ctx, true, { pendingAgeSeconds: 0 });
      expect(await check(ctx)).toEqual(clean);
      expect((await sync(ctx, false)).drift).toEqual([]);
    }
  });

  it('re-running an interrupted create or rotate finishes it with a fresh value', async () => {
    for (let n = 1; n <= 4; n++) {
      const ctx = testContext();
      ctx.crashAfter(n);
      await createKey(ctx, { customer: 'Acme', plan: 'basic' }).catch(() => undefined);
      const issued = await createKey(ctx, { customer: 'Acme', plan: 'basic' });
      ctx.crashAfter(n);
      await rotateKey(ctx, 'acme', 60).catch(() => undefined);
      const rotated = await rotateKey(ctx, 'acme', 60);
      expect(rotated.fingerprints).toEqual([`${issued.fingerprint}:grace@2026-03-10T12:01:00.000Z`, `${rotated.fingerprint}:active`]);
      expect(await check(ctx)).toEqual(clean);
      expect((await sync(ctx, false)).drift).toEqual([]);
    }
  });
});

describe('idFromName', () => {
  it.each([
    ['Acme Corp', 'acme-corp'],
    ['Évian Eaux', 'evian-eaux'],
    ['Smörgåsbord & Co.', 'smorgasbord-co'],
    ['  --Globex--  ', 'globex'],
  ])('%s → %s', (name, id) => {
    expect(idFromName(name)).toBe(id);
  });
});
