/**
 * What a fill's `dir` says (formats.md §6; the list is UNVERIFIED, so anything else is kept and
 * flagged, never dropped). `dir` is written from the fill's user's point of view.
 */
export type FillKind =
  /** The liquidated user's fill (`Liquidated Cross Long`, `Liquidated Isolated Short`, …). */
  | 'liquidation'
  /** The deleveraged user's fill (`Auto-Deleveraging`). */
  | 'adl'
  /** An ordinary trade of a known dir. */
  | 'trade'
  /** A known dir that is not a trade of the book (`Settlement` of a delisted market). */
  | 'settlement'
  | 'unknown';

export interface DirInfo {
  kind: FillKind;
  /** For trades rows: `open`, `close`, `flip`, `buy`, `sell`, `settlement`, `unknown`. */
  action: string;
  /**
   * The side the dir names: the position opened, closed or liquidated; for a flip, the new side.
   * Null when the dir names none (spot `Buy`/`Sell`, `Auto-Deleveraging`, `Settlement`, unknown).
   */
  side: 'long' | 'short' | null;
}

const KNOWN: ReadonlyMap<string, DirInfo> = new Map(Object.entries({
  'Open Long': { kind: 'trade', action: 'open', side: 'long' },
  'Close Long': { kind: 'trade', action: 'close', side: 'long' },
  'Open Short': { kind: 'trade', action: 'open', side: 'short' },
  'Close Short': { kind: 'trade', action: 'close', side: 'short' },
  'Long > Short': { kind: 'trade', action: 'flip', side: 'short' },
  'Short > Long': { kind: 'trade', action: 'flip', side: 'long' },
  Buy: { kind: 'trade', action: 'buy', side: null },
  Sell: { kind: 'trade', action: 'sell', side: null },
  Settlement: { kind: 'settlement', action: 'settlement', side: null },
  'Auto-Deleveraging': { kind: 'adl', action: 'adl', side: null },
} satisfies Record<string, DirInfo>));

const UNKNOWN: DirInfo = { kind: 'unknown', action: 'unknown', side: null };
const LIQUIDATED = 'Liquidated';

const liquidatedDirs = new Map<string, DirInfo>();

/** Classifies a dir; `Liquidated …` with any margin mode, its side from the last word. */
export function classifyDir(dir: string): DirInfo {
  const known = KNOWN.get(dir);
  if (known) return known;
  if (dir.startsWith(LIQUIDATED)) {
    let info = liquidatedDirs.get(dir);
    if (!info) {
      const side = dir.endsWith(' Long') ? 'long' : dir.endsWith(' Short') ? 'short' : null;
      info = { kind: 'liquidation', action: 'liquidation', side };
      // a handful of spellings exist; the cap only guards against a stream of garbage dirs
      if (liquidatedDirs.size < 100) liquidatedDirs.set(dir, info);
    }
    return info;
  }
  return UNKNOWN;
}
