/**
 * `keys set-billing`: gives an existing customer its Stripe customer id, or clears it. One channel
 * per customer (keys/registry.ts billingRefusal): a customer linked to AWS Marketplace is refused.
 * Changing the id of a customer whose usage this month already went to Stripe makes the Stripe sink
 * stop sending for it and name it as a problem (docs/keys.md, Billing ids: what the operator does).
 */
import { KeysInputError, view, type CustomerView } from './commands';
import { updateCustomer, type Ctx } from './customer-update';
import { billingRefusal } from './registry';

/** `cus_...` to set, or null to clear. */
export type StripeChange = { readonly stripeCustomerId: string } | { readonly stripeCustomerId: null };

export interface SetBillingResult {
  readonly customer: CustomerView;
  readonly changed: boolean;
  /** The id it had before, when it was replaced or cleared. */
  readonly previous?: string;
}

export async function setBilling(ctx: Ctx, id: string, change: StripeChange): Promise<SetBillingResult> {
  let previous: string | undefined;
  let changed = false;
  const record = await updateCustomer(ctx, id, (c, doc) => {
    const { stripeCustomerId: current, ...others } = c.billing;
    previous = current;
    changed = false;
    if ((change.stripeCustomerId ?? undefined) === current) return undefined;
    const billing = change.stripeCustomerId === null ? others : { ...others, stripeCustomerId: change.stripeCustomerId };
    const refusal = billingRefusal(doc, id, billing);
    if (refusal !== undefined) throw new KeysInputError(refusal);
    changed = true;
    return { ...c, billing };
  });
  return { customer: view(record), changed, ...(changed && previous !== undefined ? { previous } : {}) };
}
