import { randomBytes } from 'node:crypto';
import { getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { checksumAddress } from '../../src/config/eip55.ts';

describe('EIP-55 checksums', () => {
  it("gives the EIP's own examples (all caps, all lower, mixed) from their lower-case form", () => {
    // The test vectors listed in EIP-55 itself.
    const vectors = [
      '0x52908400098527886E0F7030069857D2E4169EE7',
      '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
      '0xde709f2102306220921060314715629080e2fb77',
      '0x27b1fdb04752bbc536007a920d24acb045561c26',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ];
    for (const vector of vectors) expect(checksumAddress(vector.toLowerCase())).toBe(vector);
  });

  it("agrees with viem's getAddress on 2,000 random addresses, whatever case they come in", () => {
    for (let i = 0; i < 2_000; i++) {
      const lower = `0x${randomBytes(20).toString('hex')}`;
      const given = i % 2 === 0 ? lower : `0x${lower.slice(2).toUpperCase()}`;
      expect(checksumAddress(given)).toBe(getAddress(lower));
    }
  });
});
