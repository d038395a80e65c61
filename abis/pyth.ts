/**
 * Pyth price feed events. Source: pyth-network/pyth-crosschain@6f0eb475:
 * target_chains/ethereum/sdk/solidity/IPythEvents.sol (shared/formats.md §5). The exponent is not in the event.
 */
export const pythAbi = [
  {
    type: 'event',
    name: 'PriceFeedUpdate',
    anonymous: false,
    inputs: [
      { name: 'id', type: 'bytes32', indexed: true },
      { name: 'publishTime', type: 'uint64', indexed: false },
      { name: 'price', type: 'int64', indexed: false },
      { name: 'conf', type: 'uint64', indexed: false },
    ],
  },
] as const;
