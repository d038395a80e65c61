import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { rpc } from '../../src/sim/log-emitter.ts';

export interface TestChain {
  rpcUrl: string;
  chainId: number;
}

/** Which of the global setup's anvil instances belongs to this worker. */
function sharedAnvilUrl(): string {
  const urls = inject('anvilUrls');
  const poolId = Number(process.env.VITEST_POOL_ID ?? '1');
  const url = urls[(poolId - 1) % urls.length];
  if (!url) throw new Error('the global setup started no anvil (test/global-setup.ts)');
  return url;
}

/**
 * Gives a test file this worker's anvil (started once by test/global-setup.ts, genesis 2017-07-14 so blocks can
 * be mined at any later real time) with the given chain id.
 * The chain is snapshotted when the file starts and before each test, and reverted after each test and
 * when the file ends, so every test starts from the same chain and files never see each other's blocks.
 *
 * @example
 * const chain = withAnvil(42161);
 * it('indexes', async () => { await installLogEmitter(chain().rpcUrl, address); ... });
 */
export function withAnvil(chainId: number): () => TestChain {
  let chain: TestChain | undefined;
  let fileSnapshot: string | undefined;
  let testSnapshot: string | undefined;
  beforeAll(async () => {
    const rpcUrl = sharedAnvilUrl();
    fileSnapshot = await rpc<string>(rpcUrl, 'evm_snapshot');
    await rpc(rpcUrl, 'anvil_setChainId', [chainId]);
    chain = { rpcUrl, chainId };
  });
  beforeEach(async () => {
    // The chain id is not part of a snapshot: set it again in case an earlier test changed it.
    await rpc(chain!.rpcUrl, 'anvil_setChainId', [chainId]);
    testSnapshot = await rpc<string>(chain!.rpcUrl, 'evm_snapshot');
  });
  afterEach(async () => {
    if (testSnapshot) await rpc(chain!.rpcUrl, 'evm_revert', [testSnapshot]);
  });
  afterAll(async () => {
    if (chain && fileSnapshot) await rpc(chain.rpcUrl, 'evm_revert', [fileSnapshot]);
  });
  return () => {
    if (!chain) throw new Error('withAnvil: the chain is only available inside tests and hooks');
    return chain;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    anvilUrls: string[];
  }
}
