import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../src/logger.ts';

describe('secret redaction', () => {
  it.each([
    ['https://arb-mainnet.g.alchemy.com/v2/Xy7abcDEF0123456789ghijk', 'https://arb-mainnet.g.alchemy.com/v2/***'],
    ['https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef', 'https://mainnet.infura.io/v3/***'],
    ['https://rpc.ankr.com/arbitrum?apikey=secret', 'https://rpc.ankr.com/arbitrum?***'],
    ['postgres://user:hunter2@db.internal:5432/liq', 'postgres://***:***@db.internal:5432/liq'],
    ['http://127.0.0.1:8545', 'http://127.0.0.1:8545'],
    ['https://arb1.arbitrum.io/rpc', 'https://arb1.arbitrum.io/rpc'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('redacts every URL inside an error message', () => {
    const text = 'HTTP request failed. URL: https://x.quiknode.pro/abcdef0123456789abcdef/ Details: 429';
    expect(redactText(text)).toBe('HTTP request failed. URL: https://x.quiknode.pro/***/ Details: 429');
  });
});
