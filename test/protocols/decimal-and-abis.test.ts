import { describe, expect, it } from 'vitest';
import { decodeEventLog, toEventSelector } from 'viem';
import { scaleDown, midpoint, mulDecimal, mulScaled } from '../../src/protocols/shared/decimal.ts';
import { gmxEventEmitterAbi } from '../../abis/gmx-v2-event-emitter.ts';
import { chainlinkAggregatorAbi } from '../../abis/chainlink-aggregator.ts';
import { buildEventLogData, encodeGmxEventLog } from '../../src/protocols/gmx-v2/encode.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema } from '../../src/config/schema.ts';
import { planSources } from '../../src/indexer/plan-sources.ts';
import type { SourceInfo } from '../../src/pipeline/source-info.ts';
import { GMX_V2_MARKETS } from '../../src/protocols/gmx-v2/markets.ts';

describe('exact decimal helper', () => {
  it('scales by powers of ten without floats (hand-computed)', () => {
    // 3,460.22 USD for an 18-decimal token is 3,460.22 × 10^12 raw (×10^(30−18)).
    expect(scaleDown(3_460_220_000_000_000n, 12)).toBe('3460.22');
    expect(scaleDown(-15n, 1)).toBe('-1.5');
    expect(scaleDown(5n, 30)).toBe('0.000000000000000000000000000005');
    expect(scaleDown(10n ** 33n, 30)).toBe('1000');
    expect(scaleDown(0n, 8)).toBe('0');
    expect(scaleDown(7n, -2)).toBe('700');
    // 2^63 + 1 with 8 decimals: beyond float precision, still exact.
    expect(scaleDown(9_223_372_036_854_775_809n, 8)).toBe('92233720368.54775809');
    expect(midpoint(60_000n * 10n ** 22n, 60_001n * 10n ** 22n, 22)).toBe('60000.5');
    expect(mulScaled(15_000_000n, 999_900_000_000_000_000_000_000n, 30)).toBe('14.9985');
  });
});

describe('decimal-string multiply', () => {
  it('multiplies exactly (hand-computed)', () => {
    // 104,582.5 × 0.0123 = 1,045.825 + 240.53975
    expect(mulDecimal('104582.5', '0.0123')).toBe('1286.36475');
    expect(mulDecimal('3460.2', '12.5')).toBe('43252.5');
    expect(mulDecimal('-0.5', '0.5')).toBe('-0.25');
    expect(mulDecimal('-2', '-3')).toBe('6');
    expect(mulDecimal('0', '123.45')).toBe('0');
    expect(mulDecimal('-0.0', '7')).toBe('0');
    expect(mulDecimal('1.10', '2.00')).toBe('2.2');
    expect(mulDecimal('0.00001', '0.001')).toBe('0.00000001');
    // beyond float precision: 123456789012345678.9 × (10^9 + 10^-9) = 123456789012345678900000000 + 123456789.0123456789
    expect(mulDecimal('123456789012345678.9', '1000000000.000000001')).toBe('123456789012345679023456789.0123456789');
  });

  it('refuses what is not a plain decimal, naming it', () => {
    for (const bad of ['1e5', '', 'abc', '1.', '.5', '+1', ' 1', '1,5', 'NaN']) {
      expect(() => mulDecimal(bad, '1'), bad).toThrow(`not a decimal number: ${JSON.stringify(bad)}`);
    }
  });
});

describe('event-only ABIs', () => {
  it('hash to the topic0 values listed in shared/formats.md', () => {
    const byName = Object.fromEntries(gmxEventEmitterAbi.map((e) => [e.name, toEventSelector(e)]));
    expect(byName.EventLog).toBe('0x7e3bde2ba7aca4a8499608ca57f3b0c1c1c93ace63ffd3741a9fab204146fc9a');
    expect(byName.EventLog1).toBe('0x137a44067c8961cd7e1d876f4754a5a3a75989b4552f1843fc69c3b372def160');
    expect(byName.EventLog2).toBe('0x468a25a7ba624ceea6e540ad6f49171b52495b648417ae91bca21676d8a24dc5');
    // AnswerUpdated(int256,uint256,uint256): the well-known Chainlink topic0.
    expect(toEventSelector(chainlinkAggregatorAbi[0])).toBe('0x0559884fd3a460db3073b7fc896cc77986f16e378210ded43186175bf646fc5f');
  });

  it('encodes all seven item kinds, items and arrayItems, in EventLogData order', () => {
    const data = {
      address: { a: '0x1111111111111111111111111111111111111111', as: ['0x2222222222222222222222222222222222222222'] },
      uint: { u: 1n, us: [2n, 3n] },
      int: { i: -4n, is: [-5n] },
      bool: { b: true, bs: [false, true] },
      bytes32: { h: `0x${'cd'.repeat(32)}`, hs: [`0x${'ef'.repeat(32)}`] },
      bytes: { y: '0x0102', ys: ['0x03'] },
      string: { s: 'x', ss: ['y', 'z'] },
    } as const;
    const log = encodeGmxEventLog({ emitter: 'EventLog', msgSender: '0x0000000000000000000000000000000000000009', eventName: 'Test', eventData: data as never });
    const decoded = decodeEventLog({ abi: gmxEventEmitterAbi, topics: log.topics as never, data: log.data });
    expect(decoded.eventName).toBe('EventLog');
    expect(decoded.args.eventData).toEqual(buildEventLogData(data as never));
    expect(decoded.args.eventData.intItems).toEqual({ items: [{ key: 'i', value: -4n }], arrayItems: [{ key: 'is', value: [-5n] }] });
    expect(decoded.args.eventData.stringItems.arrayItems).toEqual([{ key: 'ss', value: ['y', 'z'] }]);
  });
});

/** A configuration with one EVM source of `protocol` and these options. */
const oneSource = (protocol: string, options: Record<string, unknown> = {}) =>
  configSchema.parse({
    chains: { local: { chainId: 1, rpc: ['http://127.0.0.1:9'] } },
    sources: [{ name: 's', protocol, chain: 'local', addresses: ['0x0000000000000000000000000000000000000001'], startBlock: 0, options }],
  });

describe('protocols (the composition root)', () => {
  it('resolves every protocol id, and names the field and the known ids for an unknown one', () => {
    for (const id of ['gmx-v2', 'gmx-v1', 'synthetix-perps-v2', 'synthetix-perps-v3', 'chainlink', 'pyth', 'raw']) {
      expect(planSources(oneSource(id), PROTOCOLS)[0]!.protocol.id).toBe(id);
    }
    expect(new Set(PROTOCOLS.map((p) => p.id)).size).toBe(PROTOCOLS.length);
    expect(() => planSources(oneSource('gmx-v3'), PROTOCOLS)).toThrow(/^configuration: sources\[0\]\.protocol: unknown protocol "gmx-v3" \(known protocols: gmx-v2, gmx-v1, synthetix-perps-v2, synthetix-perps-v3, chainlink, pyth/);
  });

  it('rejects unknown and malformed options before anything runs, naming the option', () => {
    expect(() => planSources(oneSource('gmx-v2', { decimal: 8 }), PROTOCOLS)).toThrow(/^configuration: sources\[0\]\.options\.decimal: unknown option for protocol "gmx-v2"/);
    expect(() => planSources(oneSource('chainlink', { events: ['Nope'] }), PROTOCOLS)).toThrow(/^configuration: sources\[0\]\.options\.events\[0\]: /);
    expect(() => planSources(oneSource('pyth', { priceIds: ['0x12'] }), PROTOCOLS)).toThrow(/^configuration: sources\[0\]\.options\.priceIds\[0\]: must be a 32-byte hex price id/);
    expect(() => planSources(oneSource('raw', { topic0: 'nope' }), PROTOCOLS)).toThrow(/^configuration: sources\[0\]\.options\.topic0/);
  });

  it('knows the real ETH/USD market of Arbitrum with an 18-decimal WETH index token', () => {
    const eth = GMX_V2_MARKETS.find((m) => m.market === '0x70d95587d40a2caf56bd97485ab3eec10bee6336');
    expect(eth).toMatchObject({ chainId: 42161, symbol: 'ETH/USD', indexToken: '0x82af49447d8a07e3bd95bd0d56f35241523fbab1', indexDecimals: 18 });
    const btc = GMX_V2_MARKETS.find((m) => m.market === '0x47c031236e19d024b42f8ae6780e44a573170703');
    expect(btc).toMatchObject({ symbol: 'BTC/USD', indexDecimals: 8 });
  });
});

describe('log filters', () => {
  const info = (protocol: string, options: Record<string, unknown> = {}): SourceInfo => ({ id: 's', kind: 'evm', protocol, venue: protocol, chain: 'ethereum', chainId: 1, addresses: [], options });
  const evm = (id: string) => PROTOCOLS.find((p) => p.id === id)!.evm!;

  it('GMX v2 asks only for the three EventEmitter events carrying the eight handled eventNames', async () => {
    const { keccak256, toHex } = await import('viem');
    const filter = evm('gmx-v2').logFilter(info('gmx-v2'));
    expect(filter.topic0).toEqual([
      '0x7e3bde2ba7aca4a8499608ca57f3b0c1c1c93ace63ffd3741a9fab204146fc9a',
      '0x137a44067c8961cd7e1d876f4754a5a3a75989b4552f1843fc69c3b372def160',
      '0x468a25a7ba624ceea6e540ad6f49171b52495b648417ae91bca21676d8a24dc5',
    ]);
    const names = ['PositionDecrease', 'PositionIncrease', 'PositionFeesCollected', 'PositionFeesInfo', 'OrderExecuted', 'InsolventClose', 'OraclePriceUpdate', 'AdlStateUpdated'];
    expect(filter.topic1).toEqual(names.map((n) => keccak256(toHex(n))));
  });

  it('Chainlink fetches AnswerUpdated only unless told otherwise; Pyth filters by price id when given', () => {
    expect(evm('chainlink').logFilter(info('chainlink')).topic0).toEqual(['0x0559884fd3a460db3073b7fc896cc77986f16e378210ded43186175bf646fc5f']);
    expect(evm('chainlink').logFilter(info('chainlink', { events: ['AnswerUpdated', 'NewTransmission'] })).topic0).toHaveLength(2);
    const id = `0x${'ab'.repeat(32)}`;
    expect(evm('pyth').logFilter(info('pyth', { priceIds: [id] })).topic1).toEqual([id]);
    // GMX v1: both UpdatePosition variants (7 and 8 arguments) have their own topic0.
    expect(evm('gmx-v1').logFilter(info('gmx-v1')).topic0).toHaveLength(6);
  });
});
