import { logger, redactText } from '../../logger.ts';
import { describeEndpoint } from '../../secrets.ts';
import { sleep } from '../../util/backoff.ts';
import { postJson } from './http-transport.ts';
import { parseJson, unwrap } from './json-rpc.ts';

/** An endpoint serves another chain than the one configured: everything it returned would be stored under the wrong chain. */
export class ChainIdMismatchError extends Error {
  override name = 'ChainIdMismatchError';
}

export interface ChainToCheck {
  /** The chain's key in the config (`arbitrum`). */
  name: string;
  /** The configured chain id. */
  chainId: number;
  rpc: readonly string[];
}

/** Reads eth_chainId from one endpoint. */
export async function readChainId(url: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<number> {
  const body = await postJson(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), {
    timeoutMs: options.timeoutMs ?? 20_000,
    maxBodyBytes: 64 * 1024,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const result = unwrap(parseJson(body));
  if (typeof result !== 'string' || !/^0x[0-9a-fA-F]{1,15}$/.test(result)) {
    throw new Error(`eth_chainId returned ${JSON.stringify(result)?.slice(0, 80)}, not a chain id`);
  }
  return Number(BigInt(result));
}

/**
 * Asks every endpoint of a chain for its eth_chainId before anything is fetched, and throws
 * ChainIdMismatchError naming the chain, the configured id and each endpoint's actual id when one serves
 * another chain: a 42161 node configured as chain 1 would otherwise have its logs stored as chain 1.
 * An endpoint that does not answer (after one retry) is logged and left unchecked: it may be down, which
 * is what a backup URL is for, and it is asked again on the next run.
 */
export async function checkChainId(chain: ChainToCheck, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const answers = await Promise.all(
    chain.rpc.map(async (url, i) => {
      const endpoint = describeEndpoint(`${chain.name}#${i}`, url);
      for (let attempt = 1; ; attempt++) {
        try {
          return { endpoint, chainId: await readChainId(url, options) };
        } catch (error) {
          if (options.signal?.aborted) throw error;
          if (attempt >= 2) return { endpoint, error: redactText((error as Error).message) };
          await sleep(500, options.signal);
        }
      }
    }),
  );
  const wrong = answers.filter((a) => a.chainId !== undefined && a.chainId !== chain.chainId);
  if (wrong.length > 0) {
    throw new ChainIdMismatchError(
      `chain "${chain.name}" is configured with chainId ${chain.chainId}, but ${wrong.map((a) => `${a.endpoint} serves chain ${a.chainId}`).join(' and ')} ` +
        `(eth_chainId): fix chains.${chain.name}.chainId or the RPC URL. Nothing was indexed.`,
    );
  }
  for (const answer of answers) {
    if (answer.error !== undefined) logger.warn({ endpoint: answer.endpoint }, `could not read eth_chainId from ${answer.endpoint}, its chain is unchecked: ${answer.error}`);
  }
}
