/**
 * Chainlink aggregator events (emitted by the aggregator behind a proxy).
 * Source: smartcontractkit/libocr@0a5e2f90:contract2/OCR2Aggregator.sol (NewTransmission) and
 * contract2/interfaces/AggregatorInterface.sol (AnswerUpdated, NewRound); shared/formats.md §5.
 */
export const chainlinkAggregatorAbi = [
  {
    type: 'event',
    name: 'AnswerUpdated',
    anonymous: false,
    inputs: [
      { name: 'current', type: 'int256', indexed: true },
      { name: 'roundId', type: 'uint256', indexed: true },
      { name: 'updatedAt', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'NewRound',
    anonymous: false,
    inputs: [
      { name: 'roundId', type: 'uint256', indexed: true },
      { name: 'startedBy', type: 'address', indexed: true },
      { name: 'startedAt', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'NewTransmission',
    anonymous: false,
    inputs: [
      { name: 'aggregatorRoundId', type: 'uint32', indexed: true },
      { name: 'answer', type: 'int192', indexed: false },
      { name: 'transmitter', type: 'address', indexed: false },
      { name: 'observationsTimestamp', type: 'uint32', indexed: false },
      { name: 'observations', type: 'int192[]', indexed: false },
      { name: 'observers', type: 'bytes', indexed: false },
      { name: 'juelsPerFeeCoin', type: 'int192', indexed: false },
      { name: 'configDigest', type: 'bytes32', indexed: false },
      { name: 'epochAndRound', type: 'uint40', indexed: false },
    ],
  },
] as const;
