/**
 * AWS Marketplace ids in the registry (docs/marketplace.md): `keys link-marketplace` resolves the
 * buyer's registration token with ResolveCustomer and records the ids BatchMeterUsage bills by;
 * `keys marketplace-notification` records a subscription change from the listing's SNS topic.
 *
 * ResolveCustomer returns CustomerIdentifier, CustomerAWSAccountId, ProductCode and LicenseArn;
 * "For new SaaS product integrations, the CustomerIdentifier field is not populated ... New
 * integrations must use CustomerAWSAccountId and LicenseArn" (@aws-sdk/client-marketplace-metering
 * 3.1138.0, ResolveCustomerCommand; https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-metering_ResolveCustomer.html).
 * It "must be called from the account that was used to publish the SaaS application", and needs
 * the IAM action aws-marketplace:ResolveCustomer.
 */
import { MarketplaceMeteringClient, ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import { KeysInputError, view, type CustomerView } from './commands';
import { customerOf, updateCustomer, type Ctx } from './customer-update';
import { billingRefusal, readRegistry, RegistryConflictError, type BillingIds, type MarketplaceSubscription, type RegistryDocument } from './registry';

export interface ResolvedCustomer {
  readonly customerIdentifier?: string;
  readonly customerAwsAccountId?: string;
  readonly productCode?: string;
  readonly licenseArn?: string;
}

export interface MarketplaceResolver {
  resolveCustomer(registrationToken: string): Promise<ResolvedCustomer>;
}

export function sdkMarketplaceResolver(region: string, endpoint?: string): MarketplaceResolver {
  const client = new MarketplaceMeteringClient({ region, ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}) });
  return {
    resolveCustomer: async (token) => {
      const r = await client.send(new ResolveCustomerCommand({ RegistrationToken: token }));
      const present = (v: string | undefined) => (v !== undefined && v !== '' ? v : undefined);
      const out: { -readonly [K in keyof ResolvedCustomer]: ResolvedCustomer[K] } = {};
      if (present(r.CustomerIdentifier)) out.customerIdentifier = r.CustomerIdentifier;
      if (present(r.CustomerAWSAccountId)) out.customerAwsAccountId = r.CustomerAWSAccountId;
      if (present(r.ProductCode)) out.productCode = r.ProductCode;
      if (present(r.LicenseArn)) out.licenseArn = r.LicenseArn;
      return out;
    },
  };
}

const ACCOUNT = /^\d{12}$/;
const LICENSE_ARN = /^arn:aws[a-z-]*:license-manager:/;

function describe(b: BillingIds): string {
  return b.marketplaceCustomerAwsAccountId !== undefined
    ? `account ${b.marketplaceCustomerAwsAccountId}, license ${String(b.marketplaceLicenseArn)}`
    : `CustomerIdentifier ${String(b.marketplaceCustomerIdentifier)}`;
}

/** The Marketplace ids of a ResolveCustomer answer, checked; throws one line when they cannot bill. */
export function marketplaceIds(resolved: ResolvedCustomer, expectedProductCode?: string): BillingIds {
  const { customerAwsAccountId: account, licenseArn, customerIdentifier, productCode } = resolved;
  if (expectedProductCode !== undefined && productCode !== undefined && productCode !== expectedProductCode) {
    throw new KeysInputError(`the registration token is for product ${productCode}, not ${expectedProductCode}; check --product-code`);
  }
  if (account !== undefined && !ACCOUNT.test(account)) throw new Error(`ResolveCustomer returned CustomerAWSAccountId "${account}", not a 12-digit account id`);
  if (licenseArn !== undefined && !LICENSE_ARN.test(licenseArn))
    throw new Error(`ResolveCustomer returned LicenseArn "${licenseArn}", not a License Manager ARN`);
  const licensed = account !== undefined && licenseArn !== undefined;
  if (!licensed && customerIdentifier === undefined) {
    throw new Error('ResolveCustomer returned neither CustomerAWSAccountId with LicenseArn nor a CustomerIdentifier; nothing to bill by');
  }
  return {
    ...(account !== undefined ? { marketplaceCustomerAwsAccountId: account } : {}),
    ...(licenseArn !== undefined ? { marketplaceLicenseArn: licenseArn } : {}),
    ...(customerIdentifier !== undefined ? { marketplaceCustomerIdentifier: customerIdentifier } : {}),
    ...(productCode !== undefined ? { marketplaceProductCode: productCode } : {}),
  };
}

const MARKETPLACE_FIELDS = ['marketplaceCustomerAwsAccountId', 'marketplaceLicenseArn', 'marketplaceCustomerIdentifier', 'marketplaceProductCode'] as const;

/** Another customer billed by the same buyer ids (a buyer must be billed once). */
function sameBuyer(doc: RegistryDocument, id: string, ids: BillingIds): string | undefined {
  return Object.values(doc.customers).find(
    (c) =>
      c.id !== id &&
      ((ids.marketplaceLicenseArn !== undefined &&
        c.billing.marketplaceLicenseArn === ids.marketplaceLicenseArn &&
        c.billing.marketplaceCustomerAwsAccountId === ids.marketplaceCustomerAwsAccountId) ||
        (ids.marketplaceCustomerIdentifier !== undefined && c.billing.marketplaceCustomerIdentifier === ids.marketplaceCustomerIdentifier)),
  )?.id;
}

/** Resolves the buyer's registration token and records its Marketplace ids on customer `id`. */
export async function linkMarketplace(ctx: Ctx, id: string, token: string, resolver: MarketplaceResolver, expectedProductCode?: string): Promise<CustomerView> {
  if (token.trim() === '') throw new KeysInputError('--registration-token is empty');
  // Check the customer before the token is redeemed: a token expires, and resubmitting it is one way it does.
  const before = customerOf((await readRegistry(ctx.registry, ctx.env.name, ctx.now())).doc, ctx, id);
  if (before.revokedAt !== undefined) throw new KeysInputError(`customer "${id}" is revoked; it cannot be linked to AWS Marketplace`);
  if (before.billing.stripeCustomerId !== undefined)
    throw new KeysInputError(`customer "${id}" is billed through Stripe (${before.billing.stripeCustomerId}); a customer has one billing channel`);
  const ids = marketplaceIds(await resolver.resolveCustomer(token), expectedProductCode);
  const linked = await updateCustomer(ctx, id, (c, doc) => {
    const other = sameBuyer(doc, id, ids);
    if (other !== undefined) throw new KeysInputError(`that AWS Marketplace buyer (${describe(ids)}) is already linked to customer "${other}"`);
    const has = MARKETPLACE_FIELDS.some((f) => c.billing[f] !== undefined);
    if (has && MARKETPLACE_FIELDS.every((f) => ids[f] === undefined || ids[f] === c.billing[f])) return undefined;
    if (has)
      throw new KeysInputError(
        `customer "${id}" is already linked to AWS Marketplace (${describe(c.billing)}); a different buyer or license needs its own customer`,
      );
    const billing = { ...c.billing, ...ids };
    const refusal = billingRefusal(doc, id, billing);
    if (refusal !== undefined) throw new KeysInputError(refusal);
    return { ...c, billing };
  });
  return view(linked);
}

export const MARKETPLACE_ACTIONS = ['subscribe-success', 'subscribe-fail', 'unsubscribe-pending', 'unsubscribe-success', 'entitlement-updated'] as const;

export interface MarketplaceNotification {
  readonly action: MarketplaceSubscription['action'];
  readonly customerIdentifier: string;
  readonly productCode?: string;
  readonly messageId?: string;
}

/**
 * One message of the listing's SNS topics, as SNS delivers it (the envelope with `Message`) or the
 * message alone. The Seller Guide shows the keys both as `customer-identifier`/`product-code` and
 * as `CustomerIdentifier`/`ProductCode` (https://docs.aws.amazon.com/marketplace/latest/userguide/saas-notification.html),
 * so both are read.
 */
export function parseMarketplaceNotification(text: string, source: string): MarketplaceNotification {
  const fail = (what: string): never => {
    throw new KeysInputError(`${source}: ${what}`);
  };
  let outer: Record<string, unknown> = {};
  try {
    outer = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    fail(`not JSON (${(error as Error).message})`);
  }
  let message = outer;
  if (typeof outer.Message === 'string') {
    if (outer.Type !== undefined && outer.Type !== 'Notification') fail(`an SNS ${String(outer.Type)}, not a Notification`);
    try {
      message = JSON.parse(outer.Message) as Record<string, unknown>;
    } catch (error) {
      fail(`its Message is not JSON (${(error as Error).message})`);
    }
  }
  const action = message.action;
  if (typeof action !== 'string' || !(MARKETPLACE_ACTIONS as readonly string[]).includes(action)) {
    fail(`action must be one of ${MARKETPLACE_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`);
  }
  const customer = message['customer-identifier'] ?? message.CustomerIdentifier;
  if (typeof customer !== 'string' || customer.trim() === '') fail('no customer-identifier');
  const product = message['product-code'] ?? message.ProductCode;
  return {
    action: action as MarketplaceSubscription['action'],
    customerIdentifier: (customer as string).trim(),
    ...(typeof product === 'string' ? { productCode: product.trim() } : {}),
    ...(typeof outer.MessageId === 'string' ? { messageId: outer.MessageId } : {}),
  };
}

/** Records a subscription notification on the customer linked to its CustomerIdentifier; a redelivered message changes nothing. */
export async function applyMarketplaceNotification(
  ctx: Ctx,
  notification: MarketplaceNotification,
): Promise<{ readonly customer: CustomerView; readonly changed: boolean }> {
  const { doc } = await readRegistry(ctx.registry, ctx.env.name, ctx.now());
  const owner = Object.values(doc.customers).find((c) => c.billing.marketplaceCustomerIdentifier === notification.customerIdentifier);
  if (owner === undefined) {
    throw new KeysInputError(
      `no customer is linked to AWS Marketplace CustomerIdentifier ${notification.customerIdentifier}; keys link-marketplace records it`,
    );
  }
  let changed = false;
  const updated = await updateCustomer(ctx, owner.id, (c) => {
    if (c.billing.marketplaceCustomerIdentifier !== notification.customerIdentifier) throw new RegistryConflictError(ctx.registry.location);
    const known = c.billing.marketplaceProductCode;
    if (known !== undefined && notification.productCode !== undefined && known !== notification.productCode) {
      throw new KeysInputError(`the notification is for product ${notification.productCode}, but customer "${c.id}" is linked to product ${known}`);
    }
    const last = c.billing.marketplaceSubscription;
    if (notification.messageId !== undefined && last?.messageId === notification.messageId) return undefined;
    changed = true;
    const subscription: MarketplaceSubscription = {
      action: notification.action,
      at: ctx.now().toISOString(),
      ...(notification.messageId !== undefined ? { messageId: notification.messageId } : {}),
    };
    return { ...c, billing: { ...c.billing, marketplaceSubscription: subscription } };
  });
  return { customer: view(updated), changed };
}
