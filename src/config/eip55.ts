import { keccak_256 } from '@noble/hashes/sha3';

/**
 * The EIP-55 checksummed form of a 0x-prefixed 40-hex-digit address: each letter upper case where the
 * matching nibble of keccak-256(lower-case hex digits) is 8 or more.
 *
 * Config validation needs this one function, and every CLI command validates its config: taking it
 * from viem loaded viem's whole barrel into `liqscope sql`, `migrate` and `db`, 0.7 s of the 3.9 s a
 * `liqscope sql` run took (1.3 s of its CPU) through tsx's loader. @noble/hashes is the hash viem
 * itself uses.
 */
export function checksumAddress(address: string): string {
  const digits = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(digits));
  let out = '0x';
  for (let i = 0; i < digits.length; i++) {
    const nibble = i % 2 === 0 ? hash[i >> 1]! >> 4 : hash[i >> 1]! & 0x0f;
    out += nibble >= 8 ? digits[i]!.toUpperCase() : digits[i]!;
  }
  return out;
}
