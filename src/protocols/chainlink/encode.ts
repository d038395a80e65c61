import { encodeAbiParameters, encodeEventTopics, type Address, type Hex } from 'viem';
import { chainlinkAggregatorAbi } from '../../../abis/chainlink-aggregator.ts';

/** Real-format Chainlink aggregator logs (shared/formats.md §5), for the simulator, bench and tests. */
export interface EncodedLog {
  topics: Hex[];
  data: Hex;
}

/** `AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)`. */
export function encodeAnswerUpdated(current: bigint, roundId: bigint, updatedAt: bigint): EncodedLog {
  const topics = encodeEventTopics({ abi: chainlinkAggregatorAbi, eventName: 'AnswerUpdated', args: { current, roundId } }) as Hex[];
  const data = encodeAbiParameters([{ type: 'uint256' }], [updatedAt]);
  return { topics, data };
}

export interface NewTransmissionParams {
  aggregatorRoundId: number;
  answer: bigint;
  transmitter: Address;
  observationsTimestamp: number;
  observations?: bigint[];
  observers?: Hex;
  juelsPerFeeCoin?: bigint;
  configDigest?: Hex;
  epochAndRound?: number;
}

/** OCR2 `NewTransmission` (aggregatorRoundId indexed; the rest in data). */
export function encodeNewTransmission(p: NewTransmissionParams): EncodedLog {
  const topics = encodeEventTopics({
    abi: chainlinkAggregatorAbi,
    eventName: 'NewTransmission',
    args: { aggregatorRoundId: p.aggregatorRoundId },
  }) as Hex[];
  const event = chainlinkAggregatorAbi.find((e) => e.name === 'NewTransmission')!;
  const data = encodeAbiParameters(
    event.inputs.filter((i) => !i.indexed),
    [
      p.answer,
      p.transmitter,
      p.observationsTimestamp,
      p.observations ?? [p.answer],
      p.observers ?? '0x00',
      p.juelsPerFeeCoin ?? 0n,
      p.configDigest ?? `0x${'0'.repeat(64)}`,
      p.epochAndRound ?? 0,
    ],
  );
  return { topics, data };
}
