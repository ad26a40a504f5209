import { cents, chargesFor, itemCharge, planPriceProblems, type ItemPrice, type PlanPrice } from './prices';

// Stripe's example tiers (https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing):
// 1-5 at 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD.
const fonts = (mode: ItemPrice['mode']): ItemPrice => ({
  mode,
  unitSize: 1,
  tiers: [
    { upTo: 5, unitPrice: 7 },
    { upTo: 10, unitPrice: 6.5 },
    { upTo: null, unitPrice: 6 },
  ],
});

const perGb: ItemPrice = { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] };

describe('chargesFor', () => {
  it('prices every unit at the tier the total reaches in volume mode (Stripe: 6 fonts 39 USD, 20 fonts 120 USD)', () => {
    expect(itemCharge('requests', fonts('volume'), 5).amount).toBe(35);
    expect(itemCharge('requests', fonts('volume'), 6).amount).toBe(39);
    expect(itemCharge('requests', fonts('volume'), 20).amount).toBe(120);
    expect(itemCharge('requests', fonts('volume'), 6).tiers).toEqual([{ tier: 2, from: 5, upTo: 10, quantity: 6, unitPrice: 6.5, flatFee: 0, amount: 39 }]);
  });

  it('fills the tiers in order in graduated mode', () => {
    const charge = itemCharge('requests', fonts('graduated'), 12);
    expect(charge.tiers.map((t) => [t.tier, t.quantity, t.amount])).toEqual([
      [1, 5, 35],
      [2, 5, 32.5],
      [3, 2, 12],
    ]);
    expect(charge.amount).toBe(79.5);
  });

  it('adds the selected tier flat fee once in volume mode (Lago: 65,000 calls cost 49 USD)', () => {
    const lago: ItemPrice = {
      mode: 'volume',
      unitSize: 1,
      tiers: [
        { upTo: 10_000, unitPrice: 0.001, flatFee: 10 },
        { upTo: 50_000, unitPrice: 0.0008, flatFee: 10 },
        { upTo: 100_000, unitPrice: 0.0006, flatFee: 10 },
        { upTo: null, unitPrice: 0.0004, flatFee: 10 },
      ],
    };
    expect(itemCharge('requests', lago, 65_000).amount).toBe(49);
  });

  it('subtracts included units first, prices per unit size, and charges nothing without billable units', () => {
    const requests: ItemPrice = {
      mode: 'graduated',
      unitSize: 1000,
      includedUnits: 100_000,
      tiers: [
        { upTo: 1_000_000, unitPrice: 0.5, flatFee: 2 },
        { upTo: null, unitPrice: 0.4 },
      ],
    };
    const plan: PlanPrice = { requests, gbOut: perGb };
    const charges = chargesFor(plan, { requests: 1_600_000, bytesOut: 2_500_000_000 });
    expect(charges.requests).toMatchObject({ quantity: 1_600_000, includedQuantity: 100_000, billableQuantity: 1_500_000 });
    expect(charges.requests.tiers.map((t) => [t.quantity, t.amount])).toEqual([
      [1_000_000, 502],
      [500_000, 200],
    ]);
    expect(charges.gbOut).toMatchObject({ quantity: 2.5, amount: 0.23 });
    expect(charges.total).toBe(702.23);
    const idle = chargesFor(plan, { requests: 99_999, bytesOut: 0 });
    expect([idle.requests.tiers, idle.requests.amount, idle.total]).toEqual([[], 0, 0]);
  });

  it('rounds half a cent up, also where binary floating point lands just below it', () => {
    expect(cents(1.005)).toBe(1.01);
    const plan: PlanPrice = { requests: { mode: 'volume', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] }, gbOut: perGb };
    expect(chargesFor(plan, { requests: 2010, bytesOut: 500_000_000 })).toMatchObject({ requests: { amount: 1.01 }, gbOut: { amount: 0.05 }, total: 1.06 });
  });
});

describe('planPriceProblems', () => {
  it('accepts a valid price', () => {
    expect(planPriceProblems({ requests: fonts('volume'), gbOut: perGb }, 'p')).toEqual([]);
  });

  it('names each broken field', () => {
    const broken = {
      requests: {
        mode: 'tiered',
        unitSize: 0,
        includedUnits: -1,
        tiers: [
          { upTo: 10, unitPrice: 1 },
          { upTo: 5, unitPrice: -1, flatFee: 'x' },
          { upTo: 20, unitPrice: 1 },
        ],
      },
      gbOut: { mode: 'volume', unitSize: 1, tiers: [] },
      bytesIn: perGb,
    };
    expect(planPriceProblems(broken, 'plans.pro')).toEqual([
      'plans.pro.bytesIn is not a metered item (requests, gbOut)',
      'plans.pro.requests.mode must be "graduated" or "volume", got "tiered"',
      'plans.pro.requests.unitSize must be a positive number, got 0',
      'plans.pro.requests.includedUnits must be a non-negative number, got -1',
      'plans.pro.requests.tiers[1].unitPrice must be a non-negative number, got -1',
      'plans.pro.requests.tiers[1].flatFee must be a non-negative number, got "x"',
      'plans.pro.requests.tiers[1].upTo must be a number above 10 (tiers ascend; only the last is open-ended), got 5',
      'plans.pro.requests.tiers[2].upTo must be null: the last tier is open-ended, got 20',
      'plans.pro.gbOut.tiers must be a non-empty list',
    ]);
    expect(planPriceProblems(undefined, 'plans.free')).toEqual(['plans.free must be an object with requests and gbOut prices']);
  });
});
