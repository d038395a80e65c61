import { decodeEventLog, toEventSelector, type Hex } from 'viem';
import { chainlinkAggregatorAbi } from '../../../abis/chainlink-aggregator.ts';
import type { NewOraclePrice } from '../../db/schema.ts';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { scaleDown } from '../shared/decimal.ts';
import { numberOption } from '../shared/options.ts';
import { DecodeFailure, blockTimeOf, chainRowBase, decodeLogs, secondsToDate, toJson } from '../shared/rows.ts';

/**
 * Chainlink aggregator decoder (shared/formats.md §5): AnswerUpdated (and OCR2 NewTransmission when
 * asked for) → oracle_prices. The market is the emitting address (the aggregator). Decimals come from
 * the source option `decimals` (a number, or `{ "<aggregator>": n }`) or the registry of known feeds.
 * A zero or negative answer is an invalid round (e.g. at a phase boundary): it is rejected into
 * decode_errors and never stored as a price.
 *
 * Options: `decimals`; `events`: which events to fetch, default ["AnswerUpdated"] (an OCR2 aggregator
 * emits both for every round, so fetching both would store each round twice).
 */
export const CHAINLINK = 'chainlink';

const EVENTS = ['AnswerUpdated', 'NewTransmission'] as const;
type ChainlinkEvent = (typeof EVENTS)[number];
const TOPIC0 = Object.fromEntries(
  chainlinkAggregatorAbi.filter((e) => (EVENTS as readonly string[]).includes(e.name)).map((e) => [e.name, toEventSelector(e)]),
) as Record<ChainlinkEvent, Hex>;
const BY_TOPIC = new Map<string, ChainlinkEvent>(Object.entries(TOPIC0).map(([name, topic]) => [topic.toLowerCase(), name as ChainlinkEvent]));

function selectedEvents(source: SourceInfo): ChainlinkEvent[] {
  const value = source.options.events;
  if (value === undefined) return ['AnswerUpdated'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => (EVENTS as readonly string[]).includes(v as string))) {
    throw new Error(`source ${source.id}: option "events" must be a non-empty list of ${EVENTS.join(', ')}`);
  }
  return value as ChainlinkEvent[];
}

export function chainlinkLogFilter(source: SourceInfo): LogFilter {
  return { topic0: selectedEvents(source).map((name) => TOPIC0[name]) };
}

export const chainlinkDecoder: Decoder<RawLog> = {
  // Every log decodes on its own: no join across batches.
  usesPending: false,
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const eventOf = (log: RawLog) => BY_TOPIC.get(log.topics[0]?.toLowerCase() ?? '') ?? null;
    decodeLogs(CHAINLINK, logs, ctx.source, out, eventOf, (log) => {
      const name = eventOf(log);
      if (!name) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not AnswerUpdated or NewTransmission`);
      out.oraclePrices.push(decodeOne(name, log, ctx.source, ctx.registry));
    });
    return out;
  },
};

const WORD = /^0x[0-9a-fA-F]{64}$/;
const TWO_255 = 1n << 255n;
const TWO_256 = 1n << 256n;

/**
 * AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt), read directly:
 * three topics and one data word. viem's generic decodeEventLog cost about 30 µs per log here, more
 * than everything else the indexer does with a Chainlink round. As strict as viem's strict mode (exact
 * topic count and data size); test/protocols/chainlink-answer-updated.test.ts checks it against viem.
 */
export function decodeAnswerUpdated(log: Pick<RawLog, 'topics' | 'data'>): { current: bigint; roundId: bigint; updatedAt: bigint } {
  const [, currentTopic, roundTopic] = log.topics;
  if (log.topics.length !== 3 || !currentTopic || !roundTopic) {
    throw new DecodeFailure('AnswerUpdated', `AnswerUpdated: expected 3 topics (signature, current, roundId), got ${log.topics.length}`);
  }
  if (!WORD.test(currentTopic) || !WORD.test(roundTopic)) throw new DecodeFailure('AnswerUpdated', 'AnswerUpdated: topics are not 32-byte hex words');
  if (!WORD.test(log.data)) {
    throw new DecodeFailure('AnswerUpdated', `AnswerUpdated: data must be one 32-byte word (updatedAt), got ${(log.data.length - 2) / 2} bytes`);
  }
  const raw = BigInt(currentTopic);
  return { current: raw >= TWO_255 ? raw - TWO_256 : raw, roundId: BigInt(roundTopic), updatedAt: BigInt(log.data) };
}

function decodeOne(name: ChainlinkEvent, log: RawLog, source: SourceInfo, registry: RegistryView): NewOraclePrice {
  let answer: bigint;
  let roundId: bigint;
  let time: Date;
  const extra: Record<string, unknown> = { event: name };
  if (name === 'AnswerUpdated') {
    const args = decodeAnswerUpdated(log);
    answer = args.current;
    roundId = args.roundId;
    if (answer <= 0n) throw new DecodeFailure(name, `${name}: answer ${answer} in round ${roundId} is not a valid price (zero or negative): rejected`);
    time = secondsToDate(args.updatedAt, name, 'updatedAt');
  } else {
    // OCR2 rounds are rarer and carry dynamic arrays: viem's decoder is fine here.
    const decoded = decodeEventLog({ abi: chainlinkAggregatorAbi, eventName: 'NewTransmission', topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
    answer = decoded.args.answer;
    roundId = BigInt(decoded.args.aggregatorRoundId);
    if (answer <= 0n) throw new DecodeFailure(name, `${name}: answer ${answer} in round ${roundId} is not a valid price (zero or negative): rejected`);
    time = secondsToDate(BigInt(decoded.args.observationsTimestamp), name, 'observationsTimestamp');
    extra.transmitter = decoded.args.transmitter.toLowerCase();
    extra.observations = decoded.args.observations.map((o) => o.toString());
    extra.configDigest = decoded.args.configDigest.toLowerCase();
    extra.epochAndRound = decoded.args.epochAndRound.toString();
  }
  const market = log.address.toLowerCase();
  const feed = registry.market(market);
  const decimals = numberOption(source, 'decimals', market) ?? feed?.indexDecimals;
  // Spelled out rather than spread from chainRowBase: on Node 20 each property added after a spread
  // costs microseconds, which made the spread most of this function's time.
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(CHAINLINK, log, source);
  return {
    venue,
    chain,
    chain_id,
    uid,
    source_id,
    block_number,
    tx_hash,
    log_index,
    market,
    symbol: feed?.symbol ?? null,
    asset: feed?.asset ?? null,
    quote: feed?.quote ?? null,
    // Without decimals the answer is stored raw and flagged rather than guessed.
    price: decimals === undefined ? answer.toString() : scaleDown(answer, decimals),
    price_raw: answer.toString(),
    decimals: decimals ?? null,
    round_id: roundId.toString(),
    time,
    block_time: blockTimeOf(log, name),
    flags: decimals === undefined ? ['unknown_decimals', 'raw_price'] : [],
    extra: toJson(extra),
  };
}
