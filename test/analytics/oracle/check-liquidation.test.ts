import { describe, expect, it } from 'vitest';
import { checkLiquidation, type CheckInput } from '../../../src/analytics/oracle/check-liquidation.ts';
import type { NoReference, ReferenceQuote } from '../../../src/analytics/oracle/reference.ts';
import type { LiquidationFacts } from '../../../src/pipeline/margin-rules.ts';
import { gmxV2MarginParams, gmxV2MarginRules } from '../../../src/protocols/gmx-v2/margin.ts';
import { hyperliquidMarginRules } from '../../../src/protocols/hyperliquid/margin.ts';

/**
 * The verdict on hand-computed GMX v2 positions (gmx-synthetics `isPositionLiquidatable`: remaining
 * collateral = collateral + PnL + negative impact − closing fees; liquidatable below max(MIN_COLLATERAL_USD,
 * sizeInUsd × minCollateralFactor)). Every expected figure below is worked out by hand in the comments.
 */
const USD = 10n ** 30n;

/**
 * A 10 ETH long opened at 2,000 (sizeInUsd 20,000) with 1,000 USDC of collateral, liquidated at an index
 * min price of 1,910: PnL 10 × 1,910 − 20,000 = −900; position fee 20, liquidation fee 38.2.
 * Remaining collateral at 1,910: 1,000 − 900 − 20 = 80, below 1 % × 20,000 = 200: liquidatable.
 * At a price P: 1,000 − 900 + 10 (P − 1,910) − 20 = 10 P − 19,020, equal to 200 at P = 1,922.
 */
function longLiquidation(overrides: Partial<LiquidationFacts> = {}): LiquidationFacts {
  return {
    id: '1',
    venue: 'gmx-v2',
    market: '0x70d95587d40a2caf56bd97485ab3eec10bee6336',
    asset: 'ETH',
    quote: 'USD',
    side: 'long',
    time: new Date('2025-10-10T21:40:00Z'),
    size: '10',
    sizeUsd: '20000',
    price: '1910',
    markPrice: null,
    oraclePrice: '1910',
    collateralToken: '0xaf88d065e77c8cc2239327c5edb3a432268e5831',
    collateralAsset: 'USDC',
    collateralAmount: '1000',
    collateralUsd: '1000',
    pnlUsd: '-900',
    feeUsd: '38.2',
    badDebtUsd: null,
    flags: [],
    extra: { sizeInUsd: '0', sizeInTokens: '0', priceImpactUsd: '0', positionFeeUsd: '20', basePnlUsd: (-900n * USD).toString() },
    ...overrides,
  };
}

/** Its mirror: a 10 ETH short opened at 2,000, liquidated at an index max price of 2,090 (PnL −900); threshold price 2,078. */
function shortLiquidation(): LiquidationFacts {
  return longLiquidation({ side: 'short', price: '2090', oraclePrice: '2090' });
}

const quote = (price: number, dispersionPct = 0): ReferenceQuote => ({
  method: 'median',
  price,
  sources: [{ kind: 'oracle', venue: 'chainlink', market: '0xfeed', interval: null, price, ageS: 1 }],
  ageS: 1,
  dispersionPct,
});

const gmxParams = gmxV2MarginParams.parse({});

function run(facts: LiquidationFacts, reference: ReferenceQuote | NoReference, extra: Partial<CheckInput> = {}) {
  return checkLiquidation({
    facts,
    rules: gmxV2MarginRules as CheckInput['rules'],
    ruleParams: gmxParams,
    reference,
    venuePriceTime: new Date('2025-10-10T21:39:59Z'),
    venueHeartbeatS: 3,
    tolerancePct: 0.5,
    heartbeatGrace: 0.02,
    ...extra,
  });
}

describe('GMX v2 liquidation verdicts, by hand', () => {
  it('erroneous: above maintenance at the reference, below it at the oracle price; dollars lost by hand', () => {
    const r = run(longLiquidation(), quote(1950), { referenceAfter: quote(1950), referenceAfterDelayS: 2 });
    // at 1,950: 1,000 − 900 + 10 × 40 − 20 = 480 ≥ 200; at 1,910: 80 < 200
    expect(r.equityAtReferenceUsd).toBeCloseTo(480, 9);
    expect(r.maintenanceAtReferenceUsd).toBeCloseTo(200, 9);
    expect(r.equityAtVenuePriceUsd).toBeCloseTo(80, 9);
    expect(r.maintenanceAtVenuePriceUsd).toBeCloseTo(200, 9);
    expect(r.thresholdPrice).toBeCloseTo(1922, 9);
    // (1,950 − 1,922) / 1,950 = 1.4359 %
    expect(r.distanceToThresholdPct).toBeCloseTo((100 * 28) / 1950, 9);
    expect(r.verdict).toBe('erroneous');
    // kept 80 − 38.2 = 41.8; at the reference it would have had 480: lost 438.2
    expect(r.keptUsd).toBeCloseTo(41.8, 9);
    expect(r.dollarsLostUsd).toBeCloseTo(438.2, 9);
    // (1,910 − 1,950) / 1,950 × 10,000 = −205.13 bps
    expect(r.deviationBps).toBeCloseTo((-40 / 1950) * 10_000, 9);
    expect(r.venuePriceKind).toBe('oracle');
    expect(r.venuePriceStalenessS).toBe(1);
    expect(r.venuePriceStale).toBe(false);
  });

  it('justified: its mirror image, below maintenance at the reference too', () => {
    // at 1,900: 1,000 − 900 − 100 − 20 = −20 < 200; distance (1,900 − 1,922) / 1,900 = −1.158 %
    const r = run(longLiquidation(), quote(1900), { referenceAfter: quote(1900) });
    expect(r.equityAtReferenceUsd).toBeCloseTo(-20, 9);
    expect(r.distanceToThresholdPct).toBeCloseTo((-100 * 22) / 1900, 9);
    expect(r.verdict).toBe('justified');
    expect(r.dollarsLostUsd).toBeNull();
  });

  it('a short: erroneous above the reference, justified below it', () => {
    // short at 2,090: 1,000 − 900 − 20 = 80; at P: 1,000 + 20,000 − 10 P − 20 = 20,980 − 10 P ≥ 200 ⇔ P ≤ 2,078
    const wrong = run(shortLiquidation(), quote(2050), { referenceAfter: quote(2050) });
    expect(wrong.thresholdPrice).toBeCloseTo(2078, 9);
    expect(wrong.distanceToThresholdPct).toBeCloseTo((100 * 28) / 2050, 9);
    expect(wrong.verdict).toBe('erroneous');
    expect(wrong.equityAtReferenceUsd).toBeCloseTo(480, 9);
    expect(wrong.dollarsLostUsd).toBeCloseTo(438.2, 9);
    const right = run(shortLiquidation(), quote(2100), { referenceAfter: quote(2100) });
    expect(right.distanceToThresholdPct).toBeCloseTo((100 * -22) / 2100, 9);
    expect(right.verdict).toBe('justified');
  });

  it('borderline within the tolerance, and the tolerance widens to the sources’ disagreement', () => {
    // (1,925 − 1,922) / 1,925 = 0.156 % < 0.5 %
    expect(run(longLiquidation(), quote(1925)).verdict).toBe('borderline');
    // 1.436 % from the threshold, but the reference's sources disagree by 2 % (median absolute deviation)
    const disputed = run(longLiquidation(), quote(1950, 2));
    expect(disputed.tolerancePct).toBe(2);
    expect(disputed.verdict).toBe('borderline');
  });

  it('the verdict must hold just after the liquidation too: a reference that moved makes it borderline', () => {
    const r = run(longLiquidation(), quote(1950), { referenceAfter: quote(1900), referenceAfterDelayS: 5 });
    expect(r.distanceToThresholdPct).toBeCloseTo((100 * 28) / 1950, 9);
    expect(r.distanceAfterPct).toBeCloseTo((-100 * 22) / 1900, 9);
    expect(r.verdict).toBe('borderline');
    expect(r.reason).toBe('reference_moved');
    // erroneous at both: the dollars lost are taken at the lower reference (1,940: 1,000 − 900 + 300 − 20 = 380; 380 − 41.8)
    const both = run(longLiquidation(), quote(1950), { referenceAfter: quote(1940) });
    expect(both.verdict).toBe('erroneous');
    expect(both.dollarsLostUsd).toBeCloseTo(338.2, 9);
  });

  it('costs the row does not show: the model is calibrated to the venue having liquidated', () => {
    // without its position fee the row shows 1,000 − 900 − 0 = 100 at 1,910; with a 5 % factor the threshold is
    // 1,000: cushion −900, nothing unseen. With 0.25 % (threshold 50) the model finds +50 at the venue's own price:
    // at least 50 of unseen costs, taken off at the reference too.
    const facts = longLiquidation({ extra: { sizeInUsd: '0', priceImpactUsd: '0' } });
    const r = checkLiquidation({
      facts,
      rules: gmxV2MarginRules as CheckInput['rules'],
      ruleParams: gmxV2MarginParams.parse({ minCollateralFactor: 0.0025 }),
      reference: quote(1950),
      venuePriceTime: null,
      venueHeartbeatS: null,
      tolerancePct: 0.5,
      heartbeatGrace: 0.02,
    });
    expect(r.notes).toEqual(expect.arrayContaining(['position_fee_unknown', 'calibrated_to_venue']));
    expect(r.equityAtVenuePriceUsd).toBeCloseTo(50, 9);
    // at 1,950: 1,000 − 900 + 400 − 50 = 450; threshold: 10 P − 19,000 − 50 (unseen) = 50 ⇒ P = 1,910, the
    // venue's own price, as calibration means (the cushion there is exactly zero); distance 40 / 1,950
    expect(r.equityAtReferenceUsd).toBeCloseTo(450, 9);
    expect(r.thresholdPrice).toBeCloseTo(1910, 9);
    expect(r.distanceToThresholdPct).toBeCloseTo((100 * 40) / 1950, 9);
    expect(r.verdict).toBe('erroneous');
  });

  it('a collateral in the index asset moves with the price', () => {
    // 0.5 WETH worth 955 at 1,910 backs the long: at 1,950 it is worth 975
    const facts = longLiquidation({ collateralAsset: 'ETH', collateralUsd: '955', collateralAmount: '0.5' });
    const r = run(facts, quote(1950));
    // 975 − 900 + 400 − 20 = 455
    expect(r.equityAtReferenceUsd).toBeCloseTo(455, 9);
    expect(r.notes).toContain('collateral_in_index_asset');
  });

  it('a market factor from the parameters, by asset', () => {
    const r = checkLiquidation({
      facts: longLiquidation(),
      rules: gmxV2MarginRules as CheckInput['rules'],
      ruleParams: gmxV2MarginParams.parse({ markets: { ETH: { minCollateralFactor: 0.02 } } }),
      reference: quote(1950),
      venuePriceTime: null,
      venueHeartbeatS: null,
      tolerancePct: 0.5,
      heartbeatGrace: 0.02,
    });
    expect(r.maintenanceAtReferenceUsd).toBeCloseTo(400, 9);
  });
});

describe('unknown, with the reason, never a guess', () => {
  it('no reference', () => {
    const r = run(longLiquidation(), { unavailable: 'no_reference_source', detail: 'no price of the asset from a venue other than gmx-v2' });
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toBe('no_reference_source');
    expect(r.venuePrice).toBe(1910);
  });

  it('no margin rules for the venue', () => {
    const r = checkLiquidation({ facts: longLiquidation({ venue: 'dydx-v4' }), rules: undefined, ruleParams: undefined, reference: quote(1950), venuePriceTime: null, venueHeartbeatS: null, tolerancePct: 0.5, heartbeatGrace: 0.02 });
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toBe('no_margin_rules');
    expect(r.referencePrice).toBe(1950);
  });

  it('a Hyperliquid fill: the mark that triggered it, but no account equity', () => {
    const facts = longLiquidation({ venue: 'hyperliquid', oraclePrice: null, markPrice: '1910', collateralUsd: null, pnlUsd: '-12', extra: {} });
    const r = checkLiquidation({ facts, rules: hyperliquidMarginRules as CheckInput['rules'], ruleParams: {}, reference: quote(1950), venuePriceTime: null, venueHeartbeatS: null, tolerancePct: 0.5, heartbeatGrace: 0.02 });
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toBe('account_equity_not_in_event');
    expect(r.venuePriceKind).toBe('mark');
    expect(r.venuePriceStalenessS).toBe(0);
    expect(r.deviationBps).toBeCloseTo((-40 / 1950) * 10_000, 9);
  });

  it('a GMX row of an unknown market (no decimals, no index price)', () => {
    const r = run(longLiquidation({ oraclePrice: null, size: null }), quote(1950));
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toBe('no_venue_price');
  });

  it('a partial decrease is not a whole-position liquidation', () => {
    const r = run(longLiquidation({ extra: { sizeInUsd: (5000n * USD).toString(), priceImpactUsd: '0' } }), quote(1950));
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toBe('partial_decrease');
  });
});
