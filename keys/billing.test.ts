import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBilling } from './billing';
import { main } from './cli';
import { createKey } from './commands';
import { linkMarketplace } from './marketplace';
import { readRegistry, validateBillingChannels, withCustomer, writeRegistry, type RegistryStore } from './registry';
import { testContext } from './testing/memory-context';

const LICENSE = 'arn:aws:license-manager::111111111111:license:l-0123456789abcdef';
const marketplaceAnswer = { resolveCustomer: async () => ({ customerAwsAccountId: '222233334444', licenseArn: LICENSE }) };

describe('keys set-billing', () => {
  it('sets, keeps (no write when unchanged), replaces and clears a Stripe id', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    const revision = async () => (await readRegistry(ctx.registry, ctx.env.name)).doc.revision;
    const set = await setBilling(ctx, 'acme', { stripeCustomerId: 'cus_Abc123' });
    expect(set).toMatchObject({ changed: true, customer: { billing: { stripeCustomerId: 'cus_Abc123' } } });
    expect(set.previous).toBeUndefined();
    const after = await revision();
    expect(await setBilling(ctx, 'acme', { stripeCustomerId: 'cus_Abc123' })).toMatchObject({ changed: false });
    expect(await revision()).toBe(after);
    expect(await setBilling(ctx, 'acme', { stripeCustomerId: 'cus_Def456' })).toMatchObject({ changed: true, previous: 'cus_Abc123' });
    const cleared = await setBilling(ctx, 'acme', { stripeCustomerId: null });
    expect(cleared).toMatchObject({ changed: true, previous: 'cus_Def456', customer: { billing: {} } });
    expect(await setBilling(ctx, 'acme', { stripeCustomerId: null })).toMatchObject({ changed: false });
    expect((await readRegistry(ctx.registry, ctx.env.name)).doc.customers.acme?.billing).toEqual({});
  });

  it('refuses a malformed id, an id another customer holds, an unknown customer, and a second channel', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic', billing: { stripeCustomerId: 'cus_A1' } });
    await createKey(ctx, { customer: 'Globex', plan: 'basic' });
    await expect(setBilling(ctx, 'globex', { stripeCustomerId: 'acct_A1' })).rejects.toThrow('Stripe customer id "acct_A1" must look like cus_');
    await expect(setBilling(ctx, 'globex', { stripeCustomerId: 'cus_' })).rejects.toThrow('must look like cus_');
    await expect(setBilling(ctx, 'globex', { stripeCustomerId: 'cus_A1' })).rejects.toThrow(
      'Stripe customer cus_A1 is already the billing id of customer "acme"',
    );
    await expect(setBilling(ctx, 'nobody', { stripeCustomerId: 'cus_B2' })).rejects.toThrow('no customer "nobody" in environment dev');
    await linkMarketplace(ctx, 'globex', 'tok', marketplaceAnswer);
    await expect(setBilling(ctx, 'globex', { stripeCustomerId: 'cus_B2' })).rejects.toThrow(
      'customer "globex" would be billed through both Stripe and AWS Marketplace; a customer has one billing channel',
    );
    // link-marketplace refuses a Stripe customer before it redeems the token.
    const calls: string[] = [];
    await expect(linkMarketplace(ctx, 'acme', 'tok', { resolveCustomer: async (t) => (calls.push(t), { customerIdentifier: 'X' }) })).rejects.toThrow(
      'customer "acme" is billed through Stripe (cus_A1); a customer has one billing channel',
    );
    expect(calls).toEqual([]);
    const doc = (await readRegistry(ctx.registry, ctx.env.name)).doc;
    expect(doc.customers.acme?.billing).toEqual({ stripeCustomerId: 'cus_A1' });
    expect(doc.customers.globex?.billing.stripeCustomerId).toBeUndefined();
  });

  it('create refuses both channels at once, and a Stripe id already in use, writing nothing', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic', billing: { stripeCustomerId: 'cus_A1' } });
    await expect(
      createKey(ctx, {
        customer: 'Globex',
        plan: 'basic',
        billing: { stripeCustomerId: 'cus_G1', marketplaceCustomerAwsAccountId: '222233334444', marketplaceLicenseArn: LICENSE },
      }),
    ).rejects.toThrow('one billing channel');
    await expect(createKey(ctx, { customer: 'Globex', plan: 'basic', billing: { stripeCustomerId: 'cus_A1' } })).rejects.toThrow(
      'already the billing id of customer "acme"',
    );
    expect(Object.keys((await readRegistry(ctx.registry, ctx.env.name)).doc.customers)).toEqual(['acme']);
    expect(await ctx.gateway.listKeys(`${ctx.env.prefix}-`, false)).toHaveLength(1);
  });

  it('applies its change again when another command wrote first (compare-and-swap)', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    await createKey(ctx, { customer: 'Globex', plan: 'basic' });
    let raced = false;
    const racing: RegistryStore = {
      location: ctx.registry.location,
      read: () => ctx.registry.read(),
      write: async (text, etag) => {
        if (!raced) {
          raced = true;
          // Another operator gives globex the same Stripe id between our read and our write.
          const snap = await readRegistry(ctx.registry, ctx.env.name);
          const g = snap.doc.customers.globex!;
          await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, 'globex', { ...g, billing: { stripeCustomerId: 'cus_Same1' } }));
        }
        return ctx.registry.write(text, etag);
      },
    };
    await expect(setBilling({ ...ctx, registry: racing }, 'acme', { stripeCustomerId: 'cus_Same1' })).rejects.toThrow(
      'Stripe customer cus_Same1 is already the billing id of customer "globex"',
    );
    expect((await readRegistry(ctx.registry, ctx.env.name)).doc.customers.acme?.billing).toEqual({});
  });

  it('the registry refuses on write what the commands refuse, and still reads an older registry that breaks the rule', () => {
    const doc = {
      format: 1 as const,
      environment: 'dev',
      revision: 1,
      updatedAt: '2026-03-10T12:00:00Z',
      customers: {
        a: {
          id: 'a',
          customer: 'A',
          plan: 'basic',
          createdAt: '',
          origin: 'cli' as const,
          keys: [],
          billing: { stripeCustomerId: 'cus_X', marketplaceCustomerIdentifier: 'C1' },
        },
      },
    };
    expect(() => validateBillingChannels(doc, 'r.json')).toThrow('registry r.json: customer "a" has both a Stripe and an AWS Marketplace billing id');
    const twice = {
      ...doc,
      customers: {
        a: { ...doc.customers.a, billing: { stripeCustomerId: 'cus_X' } },
        b: { ...doc.customers.a, id: 'b', billing: { stripeCustomerId: 'cus_X' } },
      },
    };
    expect(() => validateBillingChannels(twice, 'r.json')).toThrow('Stripe customer cus_X belongs to both "a" and "b"');
  });

  it('is a keys CLI command with exactly one of --stripe-customer and --clear-stripe-customer', async () => {
    const state = mkdtempSync(join(tmpdir(), 'keys-billing-'));
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await main(
        [...args, '--env', 'local', '--format', 'json'],
        (s) => (out += s),
        (s) => (err += s),
        { LOCAL_STATE_DIR: state },
      );
      return { code, out, err };
    };
    await run(['create', '--customer', 'Acme', '--plan', 'basic']);
    expect(await run(['set-billing', 'acme'])).toEqual({
      code: 2,
      out: '',
      err: 'keys: set-billing needs exactly one of --stripe-customer cus_... and --clear-stripe-customer\n',
    });
    const set = await run(['set-billing', 'acme', '--stripe-customer', 'cus_Q1']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ id: 'acme', changed: true, billing: { stripeCustomerId: 'cus_Q1' } });
    expect(await run(['set-billing', 'acme', '--stripe-customer', 'bogus'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^keys: Stripe customer id "bogus" must look like cus_/),
    });
    const cleared = await run(['set-billing', 'acme', '--clear-stripe-customer']);
    expect(JSON.parse(cleared.out)).toMatchObject({ changed: true, previous: 'cus_Q1', billing: {} });
  });
});
