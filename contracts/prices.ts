/**
 * Prices per plan and what a month's usage costs at them (docs/prices.md). The model follows
 * Stripe's tiered prices and Lago's charge models:
 * - `graduated`: the quantity fills tier 1 up to its `upTo`, then tier 2, and so on; each tier's
 *   units at that tier's price, plus the tier's flat fee (Stripe `tiers_mode=graduated`,
 *   https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing; Lago graduated,
 *   https://getlago.com/docs/v2/guide/rate-cards/pricing-models/graduated).
 * - `volume`: the total quantity selects one tier whose unit price applies to every unit, plus
 *   that tier's flat fee once (Stripe `tiers_mode=volume`, same page; Lago volume,
 *   https://getlago.com/docs/v2/guide/rate-cards/pricing-models/volume).
 * - `upTo` is inclusive ("up to and including", Stripe's `up_to`); the last tier is open-ended
 *   (`null`, Stripe's `inf`, Lago's `to_value: null`).
 * - Included units are subtracted from the measured quantity before the tiers apply, as Lago does
 *   with `free_units` (https://getlago.com/docs/v2/guide/rate-cards/pricing-models/package), so tier
 *   bounds count the units beyond the included ones. Stripe has no such field (a zero-priced
 *   first tier plays that part).
 * - A unit price is per `unitSize` units (e.g. per 1,000 requests) with no rounding of the quantity
 *   to whole packages: Stripe's `transform_quantity` does not combine with tiers
 *   (https://docs.stripe.com/billing/subscriptions/usage-based/transform-quantities).
 * Our choice where the sources do not settle it: no billable unit, no charge (a tier's flat fee
 * is charged only when at least one billable unit falls in it).
 */

/** The metered items of every plan: billable requests and GB sent to viewers (GB = 10^9 bytes). */
export const METERED_ITEMS = ['requests', 'gbOut'] as const;
export type MeteredItem = (typeof METERED_ITEMS)[number];

export const BYTES_PER_GB = 1e9;

export type TiersMode = 'graduated' | 'volume';

export interface PriceTier {
  /** Last unit of the tier, inclusive, counted after the included units; `null` on the last tier only. */
  readonly upTo: number | null;
  /** Price per `unitSize` units in this tier. */
  readonly unitPrice: number;
  /** Charged once when at least one billable unit falls in the tier (graduated) or the tier is selected (volume). */
  readonly flatFee?: number;
}

export interface ItemPrice {
  readonly mode: TiersMode;
  /** How many units `unitPrice` is for, e.g. 1000 for a price per 1,000 requests; 1 for per GB. */
  readonly unitSize: number;
  /** Units each month that cost nothing, subtracted before the tiers apply. */
  readonly includedUnits?: number;
  readonly tiers: readonly PriceTier[];
}

/** One plan's prices: one per metered item. */
export interface PlanPrice {
  readonly requests: ItemPrice;
  readonly gbOut: ItemPrice;
}

/** An environment's prices: one currency, a price per usage plan. */
export interface PriceList {
  /** ISO 4217 code, e.g. USD. */
  readonly currency: string;
  readonly plans: Readonly<Record<string, PlanPrice>>;
}

export interface TierCharge {
  /** 1-based position of the tier in the price's `tiers`. */
  readonly tier: number;
  /** The tier's lower bound, exclusive (the previous tier's `upTo`, or 0). */
  readonly from: number;
  readonly upTo: number | null;
  /** Billable units charged at this tier. */
  readonly quantity: number;
  readonly unitPrice: number;
  readonly flatFee: number;
  /** quantity / unitSize × unitPrice + flatFee, rounded half up to cents. */
  readonly amount: number;
}

export interface ItemCharge {
  readonly item: MeteredItem;
  readonly mode: TiersMode;
  readonly unitSize: number;
  /** Measured units (requests; GB for gbOut). */
  readonly quantity: number;
  /** Units of `quantity` covered by the included units. */
  readonly includedQuantity: number;
  /** quantity − includedQuantity: what the tiers price. */
  readonly billableQuantity: number;
  /** Graduated: every tier holding billable units; volume: the selected tier; none without billable units. */
  readonly tiers: readonly TierCharge[];
  /** Sum of the tier amounts. */
  readonly amount: number;
}

export interface Charges {
  readonly requests: ItemCharge;
  readonly gbOut: ItemCharge;
  /** requests.amount + gbOut.amount. */
  readonly total: number;
}

/**
 * Rounds half up to cents. In binary floating point 1.005 * 100 is 100.49999999999999, which
 * Math.round alone takes down to 1.00; rounding the product to 12 significant digits first gives
 * 100.5 and so 1.01 (exact for amounts below 10^9 currency units).
 */
export const cents = (value: number): number => Math.round(Number((value * 100).toPrecision(12))) / 100;

function tierCharge(price: ItemPrice, index: number, quantity: number): TierCharge {
  const tier = price.tiers[index];
  const flatFee = tier.flatFee ?? 0;
  return {
    tier: index + 1,
    from: index === 0 ? 0 : (price.tiers[index - 1].upTo ?? 0),
    upTo: tier.upTo,
    quantity,
    unitPrice: tier.unitPrice,
    flatFee,
    amount: cents((quantity / price.unitSize) * tier.unitPrice + flatFee),
  };
}

function graduatedTiers(price: ItemPrice, billable: number): TierCharge[] {
  const charges: TierCharge[] = [];
  price.tiers.forEach((tier, index) => {
    const from = index === 0 ? 0 : (price.tiers[index - 1].upTo ?? Infinity);
    const to = Math.min(billable, tier.upTo ?? Infinity);
    if (to > from) charges.push(tierCharge(price, index, to - from));
  });
  return charges;
}

function volumeTier(price: ItemPrice, billable: number): TierCharge[] {
  if (billable <= 0) return [];
  const index = price.tiers.findIndex((tier) => tier.upTo === null || billable <= tier.upTo);
  return [tierCharge(price, index, billable)];
}

/** What `quantity` units of one item cost at `price`, with the tier breakdown. */
export function itemCharge(item: MeteredItem, price: ItemPrice, quantity: number): ItemCharge {
  const includedQuantity = Math.min(quantity, price.includedUnits ?? 0);
  const billableQuantity = quantity - includedQuantity;
  const tiers = price.mode === 'graduated' ? graduatedTiers(price, billableQuantity) : volumeTier(price, billableQuantity);
  return {
    item,
    mode: price.mode,
    unitSize: price.unitSize,
    quantity,
    includedQuantity,
    billableQuantity,
    tiers,
    amount: cents(tiers.reduce((sum, t) => sum + t.amount, 0)),
  };
}

/** What a month's billable requests and bytes out cost at a plan's prices. */
export function chargesFor(price: PlanPrice, usage: { readonly requests: number; readonly bytesOut: number }): Charges {
  const requests = itemCharge('requests', price.requests, usage.requests);
  const gbOut = itemCharge('gbOut', price.gbOut, usage.bytesOut / BYTES_PER_GB);
  return { requests, gbOut, total: cents(requests.amount + gbOut.amount) };
}

const isNonNegative = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

function tierProblems(tiers: unknown, at: string): string[] {
  if (!Array.isArray(tiers) || tiers.length === 0) return [`${at}.tiers must be a non-empty list`];
  const problems: string[] = [];
  let previous = 0;
  tiers.forEach((tier: Partial<Record<keyof PriceTier, unknown>>, i) => {
    const here = `${at}.tiers[${i}]`;
    const last = i === tiers.length - 1;
    if (!isNonNegative(tier?.unitPrice)) problems.push(`${here}.unitPrice must be a non-negative number, got ${show(tier?.unitPrice)}`);
    if (tier?.flatFee !== undefined && !isNonNegative(tier.flatFee)) problems.push(`${here}.flatFee must be a non-negative number, got ${show(tier.flatFee)}`);
    const upTo = tier?.upTo;
    if (last && upTo !== null) problems.push(`${here}.upTo must be null: the last tier is open-ended, got ${show(upTo)}`);
    if (!last && (typeof upTo !== 'number' || !Number.isFinite(upTo) || upTo <= previous)) {
      problems.push(`${here}.upTo must be a number above ${previous} (tiers ascend; only the last is open-ended), got ${show(upTo)}`);
    }
    if (typeof upTo === 'number' && Number.isFinite(upTo)) previous = Math.max(previous, upTo);
  });
  return problems;
}

function itemPriceProblems(price: unknown, at: string): string[] {
  if (typeof price !== 'object' || price === null) return [`${at} must be an object with mode, unitSize and tiers`];
  const p = price as Partial<Record<keyof ItemPrice, unknown>>;
  const problems: string[] = [];
  if (p.mode !== 'graduated' && p.mode !== 'volume') problems.push(`${at}.mode must be "graduated" or "volume", got ${show(p.mode)}`);
  if (!(isNonNegative(p.unitSize) && (p.unitSize as number) > 0)) problems.push(`${at}.unitSize must be a positive number, got ${show(p.unitSize)}`);
  if (p.includedUnits !== undefined && !isNonNegative(p.includedUnits))
    problems.push(`${at}.includedUnits must be a non-negative number, got ${show(p.includedUnits)}`);
  return [...problems, ...tierProblems(p.tiers, at)];
}

/** Every problem of one plan's price, each naming its field under `at` (e.g. "prices.plans.pro"); empty when valid. */
export function planPriceProblems(price: unknown, at: string): string[] {
  if (typeof price !== 'object' || price === null || Array.isArray(price)) return [`${at} must be an object with requests and gbOut prices`];
  const extra = Object.keys(price).filter((k) => !(METERED_ITEMS as readonly string[]).includes(k));
  return [
    ...extra.map((k) => `${at}.${k} is not a metered item (${METERED_ITEMS.join(', ')})`),
    ...METERED_ITEMS.flatMap((item) => itemPriceProblems((price as Record<string, unknown>)[item], `${at}.${item}`)),
  ];
}
