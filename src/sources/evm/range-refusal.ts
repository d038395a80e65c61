/**
 * Reads a provider's refusal of an eth_getLogs request (range too wide, too many results, response
 * too large) from its error text, and the block count it suggests when it names one.
 *
 * Providers disagree on codes (-32005, -32602, -32600, -32614, -32047, -32000 all occur), so only the
 * message text is trusted. Rate-limit messages are excluded first: Infura reuses -32005 and the word
 * "exceeded" for both "daily request count exceeded" and "more than 10000 results".
 */
export interface RangeRefusal {
  /** What the provider objected to. */
  reason: 'block-range' | 'result-count' | 'response-size';
  /** Largest block count (inclusive span) the provider says will work, when its text names one. */
  suggestedBlocks?: number;
  /** Which provider's wording matched (for logs and tests). */
  pattern: string;
}

interface Rule {
  pattern: string;
  regex: RegExp;
  reason: RangeRefusal['reason'];
  /** Turns the match into a suggested block count; absent when the text names no usable number. */
  suggest?: (match: RegExpMatchArray) => number;
}

const num = (text: string | undefined): number => Number((text ?? '').replace(/[,._\s]/g, ''));
const hexSpan = (m: RegExpMatchArray): number => Number(BigInt(`0x${m[2]}`) - BigInt(`0x${m[1]}`)) + 1;
/** "2K", "10k" style counts in Alchemy's text. */
const withK = (text: string | undefined): number => {
  const t = (text ?? '').trim();
  return /k$/i.test(t) ? num(t.slice(0, -1)) * 1000 : num(t);
};

/** Ordered: specific texts with a number before the generic texts without one. */
const RULES: Rule[] = [
  // Alchemy: "... Based on your parameters, this block range should work: [0x112a880, 0x112a8c2]"
  { pattern: 'alchemy', reason: 'result-count', regex: /this block range should work: \[0x([0-9a-f]+),\s*0x([0-9a-f]+)\]/i, suggest: hexSpan },
  // Infura (and zkSync): "query returned more than 10000 results. Try with this block range [0x.., 0x..]."
  { pattern: 'infura', reason: 'result-count', regex: /try with this block range \[0x([0-9a-f]+),\s*0x([0-9a-f]+)\]/i, suggest: hexSpan },
  // Alchemy plan limit without a suggested range: "... eth_getLogs requests with up to a 2K block range"
  { pattern: 'alchemy-plan', reason: 'block-range', regex: /eth_getLogs requests with up to a ([\d,.]+k?) block range/i, suggest: (m) => withK(m[1]) },
  // Avalanche: "requested too many blocks from 0 to 4000, maximum is set to 2048"
  { pattern: 'avalanche', reason: 'block-range', regex: /requested too many blocks from \d+ to \d+, maximum is set to (\d+)/i, suggest: (m) => num(m[1]) },
  // Cloudflare: "Invalid eth_getLogs request. 'fromBlock'-'toBlock' range too large. Max range: 800"
  { pattern: 'cloudflare', reason: 'block-range', regex: /max range: ([\d,]+)/i, suggest: (m) => num(m[1]) },
  // thirdweb: "Maximum allowed number of requested blocks is 5000"
  { pattern: 'thirdweb', reason: 'block-range', regex: /maximum allowed number of requested blocks is ([\d,]+)/i, suggest: (m) => num(m[1]) },
  // Moonbeam/Moonriver: "block range is too wide (maximum 1024)" (before the bare Ankr text)
  { pattern: 'moonbeam', reason: 'block-range', regex: /block range is too wide \(maximum ([\d,]+)\)/i, suggest: (m) => num(m[1]) },
  // QuickNode "eth_getLogs is limited to a 10,000 range"; Blast/1RPC "... limited to a 1000 blocks range"
  { pattern: 'quicknode', reason: 'block-range', regex: /limited to a ([\d,.]+)/i, suggest: (m) => num(m[1]) },
  // BlockPI: "eth_getLogs is limited to 1024 block range"
  { pattern: 'blockpi', reason: 'block-range', regex: /limited to ([\d,.]+) blocks?/i, suggest: (m) => num(m[1]) },
  // Coinbase/Base node: "please limit the query to at most 1000 blocks"
  { pattern: 'coinbase', reason: 'block-range', regex: /limit the query to at most ([\d,.]+) blocks/i, suggest: (m) => num(m[1]) },
  // PublicNode: "maximum block range: 50000"
  { pattern: 'publicnode', reason: 'block-range', regex: /maximum block range: ([\d,.]+)/i, suggest: (m) => num(m[1]) },
  // Hyperliquid EVM: "query exceeds max block range 1000"
  { pattern: 'hyperliquid', reason: 'block-range', regex: /exceeds max block range ([\d,.]+)/i, suggest: (m) => num(m[1]) },
  // Blast paid plans: "... exceeds the range allowed for your plan (5000 > 2000)."
  { pattern: 'blast-plan', reason: 'block-range', regex: /exceeds the range allowed for your plan \(\d+ > (\d+)\)/i, suggest: (m) => num(m[1]) },
  // Erigon/geth-style: "exceed maximum block range: 5000"
  { pattern: 'max-block-range', reason: 'block-range', regex: /exceed(?:s|ed)? maximum block range:? ([\d,.]+)/i, suggest: (m) => num(m[1]) },
  // --- no usable number below: the caller halves ---
  // geth/erigon/zkEVM/Infura without a range: "query returned more than 10000 results"
  { pattern: 'more-than-n-results', reason: 'result-count', regex: /query returned more than [\d,]+ results/i },
  // Ankr, LlamaRPC: "query exceeds max results 10000"
  { pattern: 'ankr-results', reason: 'result-count', regex: /query exceeds max results/i },
  // Arbitrum (Nitro): "logs matched by query exceeds limit of 10000"
  { pattern: 'arbitrum', reason: 'result-count', regex: /logs matched by query exceeds limit of \d+/i },
  // Ankr: "block range is too wide"
  { pattern: 'ankr-range', reason: 'block-range', regex: /block range is too wide/i },
  // Base/Optimism/others: "block range too large", "Block range is too large", "range too large"
  { pattern: 'range-too-large', reason: 'block-range', regex: /(?:block )?range (?:is )?too (?:large|wide|big)/i },
  // Chainstack: "Block range limit exceeded."
  { pattern: 'chainstack', reason: 'block-range', regex: /block range limit exceeded/i },
  // Optimism: "backend response too large"; 1RPC: "response size should not greater than 10000000 bytes"
  { pattern: 'response-too-large', reason: 'response-size', regex: /response (?:is )?too large|response size (?:should not greater|exceeded)/i },
  // Generic -32005 "limit exceeded" / "Log response size exceeded" / "query timeout exceeded"
  { pattern: 'limit-exceeded', reason: 'result-count', regex: /limit exceeded|response size exceeded|too many (?:logs|results)|query timeout exceeded/i },
];

/** Rate limiting, not a range problem: retried with backoff at the same range. */
const RATE_LIMIT = /rate.?limit|too many requests|request rate|requests per second|compute units|capacity|daily request count|throughput|credits/i;

export function isRateLimitText(text: string): boolean {
  return RATE_LIMIT.test(text);
}

/**
 * Returns the refusal read from `text`, or null when the text is not a range/result refusal.
 * A suggestion that is not a positive whole number is dropped (the caller then halves).
 */
export function parseRangeRefusal(text: string): RangeRefusal | null {
  if (isRateLimitText(text)) return null;
  for (const rule of RULES) {
    const match = text.match(rule.regex);
    if (!match) continue;
    const refusal: RangeRefusal = { reason: rule.reason, pattern: rule.pattern };
    const suggested = rule.suggest?.(match);
    if (suggested !== undefined && Number.isSafeInteger(suggested) && suggested > 0) refusal.suggestedBlocks = suggested;
    return refusal;
  }
  return null;
}
