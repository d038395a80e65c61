import { keccak256, stringToHex } from 'viem';

/** Deterministic pseudo-addresses of simulated accounts (no key behind them). */

/** A 0x address from the seed and a label (EVM venues, Hyperliquid). */
export function evmAddress(seed: number, label: string): string {
  return `0x${keccak256(stringToHex(`liqscope-sim:${seed}:${label}`)).slice(26)}`;
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** A `dydx1…` address from the seed and a label (bech32 alphabet, no valid checksum). */
export function dydxAddress(seed: number, label: string): string {
  const hex = keccak256(stringToHex(`liqscope-sim-dydx:${seed}:${label}`)).slice(2);
  let out = 'dydx1';
  for (let i = 0; i < 38; i++) out += BECH32[parseInt(hex.slice(i, i + 2), 16) % 32];
  return out;
}
