import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { configSchema } from '../../src/config/schema.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { emitBlock, installLogEmitter, rpc } from '../../src/sim/log-emitter.ts';
import { positionLiquidatedV3Log } from '../../src/protocols/synthetix-perps-v3/encode.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';

const E18 = 10n ** 18n;
const V3_PROXY: Address = '0x0A2AF931eFFd34b81ebcc57E3d3c9B1E1dE1C9Ce'; // Synthetix v3 PerpsMarketProxy on Base
const chain = withAnvil(8453);

forEachDatabase((dbName, open) => {
  describe(`markets from the configuration on ${dbName}`, () => {
    it('a market the built-in registry lacks is named and not flagged once the config declares it', async () => {
      const { db, close } = await open();
      try {
        const { rpcUrl } = chain();
        await installLogEmitter(rpcUrl, V3_PROXY);
        const start = Number(BigInt(await rpc<Hex>(rpcUrl, 'eth_blockNumber'))) + 1;
        const block = await emitBlock(rpcUrl, [{ address: V3_PROXY, logs: [
          positionLiquidatedV3Log({ accountId: 7n, marketId: 100n, amountLiquidated: 5n * E18 / 2n, currentPositionSize: 0n }),
        ] }], { timestamp: 1_760_130_903 });
        const config = configSchema.parse({
          chains: { base: { chainId: 8453, rpc: [rpcUrl], finality: 0 } },
          sources: [{ name: 'snx-v3-base', protocol: 'synthetix-perps-v3', chain: 'base', addresses: [V3_PROXY], startBlock: start, endBlock: Number(block.blockNumber) }],
          markets: [{ venue: 'synthetix-perps-v3', chainId: 8453, market: '100', symbol: 'ETH/USD', indexDecimals: 18 }],
        });
        await indexConfig(db, config, { protocols: PROTOCOLS });

        const market = await db.selectFrom('markets').select(['symbol', 'origin']).where('venue', '=', 'synthetix-perps-v3').where('market', '=', '100').executeTakeFirst();
        expect(market).toEqual({ symbol: 'ETH/USD', origin: 'config' });
        const liquidation = await db.selectFrom('liquidations').select(['market', 'symbol', 'size', 'flags']).executeTakeFirstOrThrow();
        expect(liquidation.market).toBe('100');
        expect(liquidation.symbol).toBe('ETH/USD');
        expect(Number(liquidation.size)).toBe(2.5);
        expect(liquidation.flags).not.toContain('unknown_market');
      } finally {
        await close();
      }
    });
  });
});
