import { describe, expect, it } from 'vitest';
import { parseRangeRefusal } from '../../src/sources/evm/range-refusal.ts';
import { RangeSizer } from '../../src/sources/evm/range-sizer.ts';

/**
 * Real provider texts (as quoted in Ponder's provider tests, packages/utils/src/_test/*.test.ts, and the
 * providers' docs/forums), with the block count a human reads from each: a hex pair [a, b] names b − a + 1
 * blocks; "limited to a 10,000 range" names 10,000.
 */
const CASES: { provider: string; text: string; reason: string | null; suggested?: number }[] = [
  {
    provider: 'Alchemy (response size, suggests a range)',
    text: 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x112a880, 0x112a8c2]',
    reason: 'result-count',
    suggested: 0x112a8c2 - 0x112a880 + 1,
  },
  {
    provider: 'Alchemy (free tier)',
    text: 'Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. Based on your parameters, this block range should work: [0x1312d00, 0x1312d09]',
    reason: 'result-count',
    suggested: 10,
  },
  {
    provider: 'Infura',
    text: 'query returned more than 10000 results. Try with this block range [0x112A880, 0x112A908].',
    reason: 'result-count',
    suggested: 0x112a908 - 0x112a880 + 1,
  },
  { provider: 'QuickNode', text: 'eth_getLogs is limited to a 10,000 range', reason: 'block-range', suggested: 10_000 },
  { provider: 'Blast / 1RPC', text: 'eth_getLogs is limited to a 1000 blocks range', reason: 'block-range', suggested: 1000 },
  { provider: 'BlockPI', text: 'eth_getLogs is limited to 1024 block range. Please check the parameter requirements at  https://docs.blockpi.io/documentations/request-limitations', reason: 'block-range', suggested: 1024 },
  { provider: 'Ankr (range)', text: 'block range is too wide', reason: 'block-range' },
  { provider: 'Ankr/LlamaRPC (results)', text: 'query exceeds max results', reason: 'result-count' },
  { provider: 'Cloudflare', text: "Invalid eth_getLogs request. 'fromBlock'-'toBlock' range too large. Max range: 800", reason: 'block-range', suggested: 800 },
  { provider: 'geth / erigon (generic)', text: 'query returned more than 10000 results', reason: 'result-count' },
  { provider: 'generic -32005', text: 'limit exceeded', reason: 'result-count' },
  { provider: 'Avalanche', text: 'requested too many blocks from 0 to 4000, maximum is set to 2048', reason: 'block-range', suggested: 2048 },
  { provider: 'thirdweb', text: 'Maximum allowed number of requested blocks is 5000', reason: 'block-range', suggested: 5000 },
  { provider: 'Base (Coinbase node)', text: 'please limit the query to at most 1000 blocks', reason: 'block-range', suggested: 1000 },
  { provider: 'Base (public)', text: 'block range too large', reason: 'block-range' },
  { provider: 'Optimism', text: 'Block range is too large', reason: 'block-range' },
  { provider: 'Optimism (response)', text: 'backend response too large', reason: 'response-size' },
  { provider: 'Arbitrum (Nitro)', text: 'logs matched by query exceeds limit of 10000', reason: 'result-count' },
  { provider: 'PublicNode', text: 'maximum block range: 50000', reason: 'block-range', suggested: 50_000 },
  { provider: 'Chainstack', text: 'Block range limit exceeded.', reason: 'block-range' },
  { provider: 'Moonriver', text: 'block range is too wide (maximum 1024)', reason: 'block-range', suggested: 1024 },
  { provider: 'Hyperliquid EVM', text: 'query exceeds max block range 1000', reason: 'block-range', suggested: 1000 },
  { provider: 'Blast (paid plan)', text: 'eth_getLogs range exceeds the range allowed for your plan (5000 > 2000).', reason: 'block-range', suggested: 2000 },
  // Not refusals: rate limits and ordinary errors must not split ranges.
  { provider: 'Infura rate limit (-32005 too)', text: 'daily request count exceeded, request rate limited', reason: null },
  { provider: 'Alchemy 429', text: 'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.', reason: null },
  { provider: 'generic 429', text: 'Too Many Requests', reason: null },
  { provider: 'geth missing header', text: 'header not found', reason: null },
  { provider: 'execution revert', text: 'execution reverted', reason: null },
];

describe('parseRangeRefusal', () => {
  it.each(CASES)('$provider', ({ text, reason, suggested }) => {
    const refusal = parseRangeRefusal(text);
    if (reason === null) {
      expect(refusal).toBeNull();
      return;
    }
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.suggestedBlocks).toBe(suggested);
  });

  it('reads the suggestion inside a JSON-serialized error chain', () => {
    const wrapped = `RPC Request failed. | Details: ${JSON.stringify({ code: -32005, message: 'query returned more than 10000 results. Try with this block range [0x10, 0x1f].' })}`;
    expect(parseRangeRefusal(wrapped)?.suggestedBlocks).toBe(16);
  });
});

describe('RangeSizer', () => {
  it('adopts a suggested span and never goes above it again', () => {
    const sizer = new RangeSizer(10_000);
    expect(sizer.next()).toBe(10_000);
    sizer.onRefusal(10_000, 137);
    expect(sizer.next()).toBe(137);
    for (let i = 0; i < 10; i++) sizer.onSuccess(137);
    expect(sizer.next()).toBe(137);
    expect(sizer.ceiling).toBe(137);
  });

  it('without a suggestion, halves and then searches up to within 1/16 of a hidden limit', () => {
    const limit = 500;
    const sizer = new RangeSizer(10_000);
    let calls = 0;
    for (let i = 0; i < 40; i++) {
      const span = sizer.next();
      calls++;
      if (span > limit) sizer.onRefusal(span);
      else sizer.onSuccess(span);
    }
    expect(sizer.next()).toBeLessThanOrEqual(limit);
    expect(sizer.next()).toBeGreaterThanOrEqual(limit - limit / 16);
    expect(sizer.ceiling).toBeLessThan(10_000);
    expect(calls).toBe(40);
  });

  it('grows by doubling after successes, up to the configured maximum only', () => {
    const sizer = new RangeSizer(1000, 100);
    sizer.onSuccess(100);
    expect(sizer.next()).toBe(200);
    sizer.onSuccess(200);
    sizer.onSuccess(400);
    sizer.onSuccess(800);
    expect(sizer.next()).toBe(1000);
  });

  it('shrinks to about the budget after a response heavier than it, and grows only while responses stay under it', () => {
    const budget = { logs: 1000, bytes: 1_000_000 };
    const sizer = new RangeSizer(10_000, 10_000, budget);
    // 10,000 blocks brought 4,000 logs of 1 KB (4 MB): four times the byte budget → 2,500 blocks next.
    sizer.onSuccess(10_000, { logs: 4_000, bytes: 4_000_000 });
    expect(sizer.next()).toBe(2_500);
    expect(sizer.ceiling).toBe(10_000); // not a refusal: the ceiling stays
    // At the same density 2,500 blocks fill the budget exactly: no growth past it.
    sizer.onSuccess(2_500, { logs: 1_000, bytes: 1_000_000 });
    expect(sizer.next()).toBe(2_500);
    // A quieter stretch (a tenth of the density): doubling resumes.
    sizer.onSuccess(2_500, { logs: 100, bytes: 100_000 });
    expect(sizer.next()).toBe(5_000);
    // Growth stops where the budget would be reached: 5,000 blocks at 0.5 fill → at most 10,000.
    sizer.onSuccess(5_000, { logs: 500, bytes: 500_000 });
    expect(sizer.next()).toBe(10_000);
    // The log count counts too: 3,000 logs of 10 bytes is three times the log budget.
    sizer.onSuccess(10_000, { logs: 3_000, bytes: 30_000 });
    expect(sizer.next()).toBe(3_333);
  });
});
