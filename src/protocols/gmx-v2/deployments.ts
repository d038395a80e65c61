import type { Address } from 'viem';

/**
 * Where GMX v2's EventEmitter lives on each chain, and the block it was deployed at
 * (gmx-io/gmx-synthetics deployments/<network>/EventEmitter.json; shared/formats.md §1).
 * Presets, the simulator and the benchmark all take the address from here.
 */
export const GMX_V2_EVENT_EMITTER = {
  arbitrum: { chainId: 42161, address: '0xC8ee91A54287DB53897056e12D9819156D3822Fb' as Address, startBlock: 107_737_756 },
  avalanche: { chainId: 43114, address: '0xDb17B211c34240B014ab6d61d4A31FA0C0e20c26' as Address, startBlock: 32_162_455 },
} as const;
