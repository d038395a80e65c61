import { readFileSync } from 'node:fs';
import type { Random } from './random.ts';
import type { Scenario } from './scenario-schema.ts';

/**
 * The exogenous (no-impact) reference price of every market at every engine step: a common factor
 * (stochastic with trigger shocks, or a real Chainlink round history) times each market's own noise.
 * The engine multiplies this by the endogenous price impact of liquidations to get the reference.
 */
export interface ExogenousPaths {
  /** prices[marketIndex][step], step 0 = scenario start. */
  prices: Float64Array[];
  stepMs: number;
}

export function buildExogenousPaths(scenario: Scenario, rng: Random): ExogenousPaths {
  const steps = Math.floor((scenario.durationSeconds * 1000) / scenario.stepMs) + 1;
  const dt = scenario.stepMs / 1000;
  const common = commonFactor(scenario, steps, dt, rng.fork('common'));
  const prices = scenario.markets.map((market) => {
    const idio = rng.fork(`idio:${market.symbol}`);
    const out = new Float64Array(steps);
    let idioLog = 0;
    for (let s = 0; s < steps; s++) {
      if (s > 0) idioLog += market.idioVolatility * Math.sqrt(dt) * idio.normal();
      out[s] = market.startPrice * Math.exp(market.beta * common[s]! + idioLog);
    }
    return out;
  });
  return { prices, stepMs: scenario.stepMs };
}

/** Log level of the common factor per step (0 at the start). */
function commonFactor(scenario: Scenario, steps: number, dt: number, rng: Random): Float64Array {
  const out = new Float64Array(steps);
  const path = scenario.pricePath;
  if (path.kind === 'chainlink-csv') {
    const rounds = readChainlinkRounds(path.file, path.decimals);
    const at = (unix: number): number => priceAt(rounds, unix);
    const base = at(path.fromUnix);
    for (let s = 0; s < steps; s++) out[s] = Math.log(at(path.fromUnix + s * dt * path.timeScale) / base);
    return out;
  }
  let level = 0;
  for (let s = 1; s < steps; s++) {
    const t0 = (s - 1) * dt;
    let shockLog = 0;
    for (const shock of path.shocks) {
      // the shock's log move is spread evenly over its duration
      const overlap = Math.max(0, Math.min(t0 + dt, shock.atSecond + shock.durationSeconds) - Math.max(t0, shock.atSecond));
      shockLog += (Math.log(1 + shock.movePct / 100) * overlap) / shock.durationSeconds;
    }
    level += path.drift * dt + path.volatility * Math.sqrt(dt) * rng.normal() + shockLog;
    out[s] = level;
  }
  return out;
}

export interface ChainlinkRound {
  updatedAt: number;
  price: number;
}

/**
 * Reads a round history in the /work/shared/data/chainlink format (newest first, a zero round
 * last) and returns the valid rounds oldest first. Zero rounds mark an invalid round at a phase
 * boundary and are skipped, never read as a price of 0.
 */
export function readChainlinkRounds(file: string, decimals: number): ChainlinkRound[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const answerCol = header.indexOf('answer');
  const updateCol = header.indexOf('update');
  if (answerCol < 0 || updateCol < 0) throw new Error(`${file}: expected columns "answer" and "update"`);
  const rounds: ChainlinkRound[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.split(',');
    const answer = Number(cols[answerCol]);
    const updatedAt = Number(cols[updateCol]);
    if (!(answer > 0) || !(updatedAt > 0)) continue;
    rounds.push({ updatedAt, price: answer / 10 ** decimals });
  }
  rounds.sort((a, b) => a.updatedAt - b.updatedAt);
  if (rounds.length === 0) throw new Error(`${file}: no valid rounds`);
  return rounds;
}

/** The answer in force at `unix` (last round updated at or before it). */
function priceAt(rounds: readonly ChainlinkRound[], unix: number): number {
  let lo = 0;
  let hi = rounds.length - 1;
  if (unix < rounds[0]!.updatedAt) return rounds[0]!.price;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rounds[mid]!.updatedAt <= unix) lo = mid;
    else hi = mid - 1;
  }
  return rounds[lo]!.price;
}
