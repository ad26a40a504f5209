import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromEnv, environment, main } from './cli';
import { createKey } from './commands';
import { applyMarketplaceNotification, linkMarketplace, parseMarketplaceNotification, type MarketplaceResolver, type ResolvedCustomer } from './marketplace';
import { readRegistry } from './registry';
import { testContext } from './testing/memory-context';

const LICENSE = 'arn:aws:license-manager::111111111111:license:l-0123456789abcdef';

function resolver(answers: Record<string, ResolvedCustomer>): MarketplaceResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolveCustomer: async (token) => {
      calls.push(token);
      const a = answers[token];
      if (a === undefined) throw Object.assign(new Error('Registration token is invalid.'), { name: 'InvalidTokenException' });
      return a;
    },
  };
}

describe('keys link-marketplace', () => {
  it('records the buyer account and license ResolveCustomer returns, once, behind the registry compare-and-swap', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    await createKey(ctx, { customer: 'Globex', plan: 'basic' });
    const r = resolver({ tok: { customerAwsAccountId: '222233334444', licenseArn: LICENSE, productCode: 'prod-1' } });
    const linked = await linkMarketplace(ctx, 'acme', 'tok', r, 'prod-1');
    expect(linked.billing).toEqual({ marketplaceCustomerAwsAccountId: '222233334444', marketplaceLicenseArn: LICENSE, marketplaceProductCode: 'prod-1' });
    const revision = (await readRegistry(ctx.registry, ctx.env.name)).doc.revision;
    // The same answer again changes nothing; the same buyer on another customer is refused.
    await linkMarketplace(ctx, 'acme', 'tok', r);
    expect((await readRegistry(ctx.registry, ctx.env.name)).doc.revision).toBe(revision);
    await expect(linkMarketplace(ctx, 'globex', 'tok', r)).rejects.toThrow(
      `that AWS Marketplace buyer (account 222233334444, license ${LICENSE}) is already linked to customer "acme"`,
    );
  });

  it('refuses a wrong product, an unknown customer before redeeming the token, and an answer with nothing to bill by', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    const r = resolver({ tok: { customerAwsAccountId: '222233334444', licenseArn: LICENSE, productCode: 'prod-1' }, empty: { productCode: 'prod-1' } });
    await expect(linkMarketplace(ctx, 'nobody', 'tok', r)).rejects.toThrow('no customer "nobody" in environment dev');
    expect(r.calls).toEqual([]);
    await expect(linkMarketplace(ctx, 'acme', 'tok', r, 'prod-2')).rejects.toThrow(
      'the registration token is for product prod-1, not prod-2; check --product-code',
    );
    await expect(linkMarketplace(ctx, 'acme', 'empty', r)).rejects.toThrow(/neither CustomerAWSAccountId with LicenseArn nor a CustomerIdentifier/);
    await expect(linkMarketplace(ctx, 'acme', 'bad', r)).rejects.toThrow('Registration token is invalid.');
    expect((await readRegistry(ctx.registry, ctx.env.name)).doc.customers.acme?.billing).toEqual({});
  });
});

describe('keys marketplace-notification', () => {
  const envelope = (message: object, id = 'm-1') => JSON.stringify({ Type: 'Notification', MessageId: id, Message: JSON.stringify(message) });

  it('reads the SNS envelope or the bare message, in either key spelling of the Seller Guide', () => {
    expect(
      parseMarketplaceNotification(envelope({ action: 'unsubscribe-pending', 'customer-identifier': ' X01EXAMPLEX', 'product-code': 'prod-1' }), 'm.json'),
    ).toEqual({
      action: 'unsubscribe-pending',
      customerIdentifier: 'X01EXAMPLEX',
      productCode: 'prod-1',
      messageId: 'm-1',
    });
    expect(parseMarketplaceNotification(JSON.stringify({ action: 'entitlement-updated', CustomerIdentifier: 'X', ProductCode: 'p' }), 'm.json')).toEqual({
      action: 'entitlement-updated',
      customerIdentifier: 'X',
      productCode: 'p',
    });
    expect(() => parseMarketplaceNotification(envelope({ action: 'subscribe-maybe', 'customer-identifier': 'X' }), 'm.json')).toThrow(
      /^m.json: action must be one of subscribe-success/,
    );
    expect(() => parseMarketplaceNotification('{', 'm.json')).toThrow(/^m.json: not JSON/);
  });

  it('records the change on the linked customer; a redelivered message changes nothing; an unknown buyer is refused', async () => {
    const ctx = testContext();
    await createKey(ctx, { customer: 'Acme', plan: 'basic' });
    await linkMarketplace(
      ctx,
      'acme',
      'tok',
      resolver({ tok: { customerIdentifier: 'X01EXAMPLEX', productCode: 'prod-1', customerAwsAccountId: '222233334444' } }),
    );
    const first = await applyMarketplaceNotification(
      ctx,
      parseMarketplaceNotification(envelope({ action: 'unsubscribe-pending', 'customer-identifier': 'X01EXAMPLEX', 'product-code': 'prod-1' }), 'm'),
    );
    expect(first).toMatchObject({
      changed: true,
      customer: { id: 'acme', billing: { marketplaceSubscription: { action: 'unsubscribe-pending', messageId: 'm-1' } } },
    });
    const again = await applyMarketplaceNotification(
      ctx,
      parseMarketplaceNotification(envelope({ action: 'unsubscribe-pending', 'customer-identifier': 'X01EXAMPLEX' }), 'm'),
    );
    expect(again.changed).toBe(false);
    await expect(applyMarketplaceNotification(ctx, { action: 'subscribe-success', customerIdentifier: 'OTHER' })).rejects.toThrow(
      'no customer is linked to AWS Marketplace CustomerIdentifier OTHER; keys link-marketplace records it',
    );
    await expect(applyMarketplaceNotification(ctx, { action: 'subscribe-success', customerIdentifier: 'X01EXAMPLEX', productCode: 'prod-9' })).rejects.toThrow(
      'the notification is for product prod-9, but customer "acme" is linked to product prod-1',
    );
  });

  it('is a keys CLI command that takes one message file', async () => {
    const state = mkdtempSync(join(tmpdir(), 'keys-mp-'));
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await main(
        [...args, '--env', 'local'],
        (s) => (out += s),
        (s) => (err += s),
        { LOCAL_STATE_DIR: state },
      );
      return { code, out, err };
    };
    await run(['create', '--customer', 'Acme', '--plan', 'basic']);
    const file = join(state, 'message.json');
    writeFileSync(file, envelope({ action: 'subscribe-success', 'customer-identifier': 'X01EXAMPLEX' }));
    expect(await run(['marketplace-notification', '--message', file])).toEqual({
      code: 2,
      out: '',
      err: 'keys: no customer is linked to AWS Marketplace CustomerIdentifier X01EXAMPLEX; keys link-marketplace records it\n',
    });
    await linkMarketplace(
      contextFromEnv(environment('local'), { LOCAL_STATE_DIR: state }),
      'acme',
      'tok',
      resolver({ tok: { customerIdentifier: 'X01EXAMPLEX' } }),
    );
    const applied = await run(['marketplace-notification', '--message', file, '--format', 'json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.out)).toMatchObject({
      id: 'acme',
      changed: true,
      billing: { marketplaceCustomerIdentifier: 'X01EXAMPLEX', marketplaceSubscription: { action: 'subscribe-success' } },
    });
    expect((await run(['marketplace-notification'])).err).toBe('keys: marketplace-notification needs --message FILE (one SNS message)\n');
    expect((await run(['link-marketplace', 'acme'])).err).toMatch(/^keys: link-marketplace needs --registration-token TOKEN/);
  });
});
