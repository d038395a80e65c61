import { afterEach, describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../src/logger.ts';
import { clearSecrets, describeEndpoint, registerSecret, secretFragmentsOfUrl } from '../src/secrets.ts';

describe('secret redaction', () => {
  it.each([
    ['https://arb-mainnet.g.alchemy.com/v2/Xy7abcDEF0123456789ghijk', 'https://arb-mainnet.g.alchemy.com/v2/***'],
    ['https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef', 'https://mainnet.infura.io/v3/***'],
    ['https://rpc.ankr.com/arbitrum?apikey=secret', 'https://rpc.ankr.com/arbitrum?***'],
    ['postgres://user:hunter2@db.internal:5432/liq', 'postgres://***:***@db.internal:5432/liq'],
    ['http://127.0.0.1:8545', 'http://127.0.0.1:8545'],
    ['https://arb1.arbitrum.io/rpc', 'https://arb1.arbitrum.io/rpc'],
    // Shapes the old pattern (16+ characters with a digit) let through:
    ['https://x.example/v2/SECRETKEY123?apikey=SECRETKEY456', 'https://x.example/v2/***?***'],
    ['https://x.example/qwertyuiopasdfghjklzxcvbnmqwerty', 'https://x.example/***'],
    ['https://x.example/v3/key.wIth.d0t', 'https://x.example/v3/***'],
    ['https://x.example/rpc#fragmentsecret', 'https://x.example/rpc#***'],
    ['https://api.avax.network/ext/bc/C/rpc', 'https://api.avax.network/ext/bc/C/rpc'],
    ['https://optimism-mainnet.example.com/arbitrum-one/', 'https://optimism-mainnet.example.com/arbitrum-one/'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('redacts every URL inside an error message', () => {
    const text = 'HTTP request failed. URL: https://x.quiknode.pro/abcdef0123456789abcdef/ Details: 429';
    expect(redactText(text)).toBe('HTTP request failed. URL: https://x.quiknode.pro/***/ Details: 429');
  });
});

describe('registered secrets', () => {
  afterEach(() => clearSecrets());

  it('are replaced wherever they appear, with or without the URL around them, longest first', () => {
    registerSecret('https://arb.example.com/v2/SECRETKEY123?apikey=SECRETKEY456');
    expect(redactText('failed: arb.example.com/v2/SECRETKEY123?apikey=SECRETKEY456 (key SECRETKEY123, SECRETKEY456)')).toBe('failed: *** (key ***, ***)');
    expect(redactText('POST https://arb.example.com/v2/SECRETKEY123?apikey=SECRETKEY456 -> 500')).toBe('POST *** -> 500');
    // Inside a JSON log line.
    expect(redactText(JSON.stringify({ msg: 'at arb.example.com/v2/SECRETKEY123' }))).toBe('{"msg":"at ***"}');
  });

  it('cover userinfo, its Basic authorization form, every query value and the fragment', () => {
    const url = 'https://user0name:s3cr3tPass@h.example/rpc?a=ONEVALUE1&b=TWOVALUE2#fragmentsecret';
    registerSecret(url);
    const basic = Buffer.from('user0name:s3cr3tPass').toString('base64');
    const text = `user0name s3cr3tPass ${basic} ONEVALUE1 TWOVALUE2 fragmentsecret`;
    expect(redactText(text)).toBe('*** *** *** *** *** ***');
  });

  it('leave plain words, short segments and URLs without credentials alone', () => {
    expect(secretFragmentsOfUrl('http://127.0.0.1:8545')).toEqual([]);
    expect(secretFragmentsOfUrl('https://arb1.arbitrum.io/rpc')).toEqual([]);
    registerSecret('https://rpc.example/arbitrum/v2/K3Y-abcdef012345');
    registerSecret('arbitrum'); // an environment value that is a plain word
    expect(redactText('chain arbitrum via rpc.example (v2): K3Y-abcdef012345')).toBe('chain arbitrum via rpc.example (v2): ***');
  });

  it('endpoints are printed as a stable label and the host only', () => {
    expect(describeEndpoint('arbitrum#0', 'https://u:p@arb-mainnet.g.alchemy.com/v2/KEY?x=1#f')).toBe('arbitrum#0 (arb-mainnet.g.alchemy.com)');
    expect(describeEndpoint('local#1', 'http://127.0.0.1:8545')).toBe('local#1 (127.0.0.1:8545)');
  });
});
