/**
 * The subset of the real subgraph schemas the local server serves (shared/formats.md §3), as graph-node
 * exposes them: entity types with the fields of gmx-io/gmx-subgraph@a841c81f (synthetics-stats,
 * gmx-arbitrum-stats) and Synthetixio/synthetix-subgraph@9f65a792 (perps), graph-node's generated
 * collection arguments (`skip`, `first`, `orderBy`, `orderDirection`, `where: <Entity>_filter`,
 * `block: Block_height`, `subgraphError`) and `_meta`. Filters hold the fields liqscope and tests use
 * (graph-node generates many more); an unknown filter field is a validation error, as on graph-node.
 */
export const SUBGRAPH_SDL = /* GraphQL */ `
scalar BigInt
scalar Bytes

enum OrderDirection { asc desc }
enum _SubgraphErrorPolicy_ { allow deny }

input BlockChangedFilter { number_gte: Int! }
input Block_height { hash: Bytes, number: Int, number_gte: Int }

type _Block_ { hash: Bytes, number: Int!, timestamp: Int }
type _Meta_ { block: _Block_!, deployment: String!, hasIndexingErrors: Boolean! }

# --- GMX v2, synthetics-stats ---------------------------------------------------------------
type Transaction {
  id: ID!
  from: String!
  to: String!
  hash: String!
  timestamp: Int!
  blockNumber: Int!
  transactionIndex: Int!
}

type TradeAction {
  id: ID!
  eventName: String!
  orderKey: String!
  orderType: BigInt!
  account: String!
  marketAddress: String
  swapPath: [String!]
  initialCollateralTokenAddress: String!
  initialCollateralDeltaAmount: BigInt!
  sizeDeltaUsd: BigInt
  triggerPrice: BigInt
  acceptablePrice: BigInt
  executionPrice: BigInt
  collateralTokenPriceMin: BigInt
  collateralTokenPriceMax: BigInt
  indexTokenPriceMin: BigInt
  indexTokenPriceMax: BigInt
  priceImpactDiffUsd: BigInt
  priceImpactUsd: BigInt
  priceImpactAmount: BigInt
  positionFeeAmount: BigInt
  liquidationFeeAmount: BigInt
  borrowingFeeAmount: BigInt
  fundingFeeAmount: BigInt
  pnlUsd: BigInt
  basePnlUsd: BigInt
  isLong: Boolean
  minOutputAmount: BigInt
  executionAmountOut: BigInt
  shouldUnwrapNativeToken: Boolean
  reason: String
  reasonBytes: Bytes
  timestamp: Int!
  transaction: Transaction!
}

input TradeAction_filter {
  id: ID
  id_gt: ID
  id_lt: ID
  eventName: String
  orderKey: String
  orderType: BigInt
  account: String
  marketAddress: String
  timestamp_gt: Int
  timestamp_gte: Int
  timestamp_lt: Int
  _change_block: BlockChangedFilter
}
enum TradeAction_orderBy { id timestamp }

# --- GMX v1, gmx-arbitrum-stats ----------------------------------------------------------------
enum LiquidationType { full partial }
enum PricePeriod { any last daily hourly }

type LiquidatedPosition {
  id: ID!
  key: String!
  account: String!
  timestamp: Int!
  indexToken: String!
  size: BigInt!
  isLong: Boolean!
  collateralToken: String!
  collateral: BigInt!
  markPrice: BigInt!
  averagePrice: BigInt!
  loss: BigInt!
  type: LiquidationType!
  borrowFee: BigInt!
}
input LiquidatedPosition_filter {
  id: ID
  id_gt: ID
  id_lt: ID
  key: String
  account: String
  type: LiquidationType
  timestamp_gt: Int
  timestamp_gte: Int
  timestamp_lt: Int
  _change_block: BlockChangedFilter
}
enum LiquidatedPosition_orderBy { id timestamp }

type ChainlinkPrice { id: ID!, token: String!, value: BigInt!, timestamp: Int!, blockNumber: Int!, period: PricePeriod! }
input ChainlinkPrice_filter { id: ID, id_gt: ID, id_lt: ID, token: String, period: PricePeriod, timestamp_gt: Int, timestamp_gte: Int, timestamp_lt: Int, _change_block: BlockChangedFilter }
enum ChainlinkPrice_orderBy { id timestamp }

type FastPrice { id: ID!, token: String!, value: BigInt!, timestamp: Int!, blockNumber: Int!, period: PricePeriod! }
input FastPrice_filter { id: ID, id_gt: ID, id_lt: ID, token: String, period: PricePeriod, timestamp_gt: Int, timestamp_gte: Int, timestamp_lt: Int, _change_block: BlockChangedFilter }
enum FastPrice_orderBy { id timestamp }

# --- Synthetix PerpsV2, perps -----------------------------------------------------------------
enum FuturesOrderType { NextPrice Limit StopMarket Market Liquidation Delayed DelayedOffchain }
enum FuturesAccountType { isolated_margin cross_margin smart_margin }

type FuturesTrade {
  id: ID!
  timestamp: BigInt!
  account: Bytes!
  abstractAccount: Bytes!
  accountType: FuturesAccountType!
  margin: BigInt!
  size: BigInt!
  asset: Bytes!
  marketKey: Bytes!
  price: BigInt!
  positionId: ID!
  positionSize: BigInt!
  positionClosed: Boolean!
  pnl: BigInt!
  feesPaid: BigInt!
  fundingAccrued: BigInt!
  keeperFeesPaid: BigInt!
  orderType: FuturesOrderType!
  trackingCode: Bytes!
}
input FuturesTrade_filter {
  id: ID
  id_gt: ID
  id_lt: ID
  account: Bytes
  orderType: FuturesOrderType
  timestamp_gt: BigInt
  timestamp_gte: BigInt
  timestamp_lt: BigInt
  _change_block: BlockChangedFilter
}
enum FuturesTrade_orderBy { id timestamp }

type Query {
  tradeActions(skip: Int = 0, first: Int = 100, orderBy: TradeAction_orderBy, orderDirection: OrderDirection, where: TradeAction_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [TradeAction!]!
  liquidatedPositions(skip: Int = 0, first: Int = 100, orderBy: LiquidatedPosition_orderBy, orderDirection: OrderDirection, where: LiquidatedPosition_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [LiquidatedPosition!]!
  chainlinkPrices(skip: Int = 0, first: Int = 100, orderBy: ChainlinkPrice_orderBy, orderDirection: OrderDirection, where: ChainlinkPrice_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [ChainlinkPrice!]!
  fastPrices(skip: Int = 0, first: Int = 100, orderBy: FastPrice_orderBy, orderDirection: OrderDirection, where: FastPrice_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [FastPrice!]!
  futuresTrades(skip: Int = 0, first: Int = 100, orderBy: FuturesTrade_orderBy, orderDirection: OrderDirection, where: FuturesTrade_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [FuturesTrade!]!
  _meta(block: Block_height): _Meta_
}
`;

/** Entity type name → its collection field. */
export const COLLECTIONS = {
  TradeAction: 'tradeActions',
  LiquidatedPosition: 'liquidatedPositions',
  ChainlinkPrice: 'chainlinkPrices',
  FastPrice: 'fastPrices',
  FuturesTrade: 'futuresTrades',
} as const;
export type SubgraphEntityName = keyof typeof COLLECTIONS;
