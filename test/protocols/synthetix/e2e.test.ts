import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { emitBlock, installLogEmitter, rpc } from '../../../src/sim/log-emitter.ts';
import { positionLiquidatedV2Log } from '../../../src/protocols/synthetix-perps-v2/encode.ts';
import { accountLiquidationAttemptLog, positionLiquidatedV3Log } from '../../../src/protocols/synthetix-perps-v3/encode.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { localConfig, norm } from '../support.ts';

const E18 = 10n ** 18n;
const ETH_PERP_PROXY: Address = '0x2B3bb4c683BFc5239B029131EEf3B1d214478d93'; // PerpsV2 ETH market proxy, Optimism
const BTC_PERP_PROXY: Address = '0x59b007E9ea8F89b069c43F8f45834d30853e3699';
const V3_PROXY: Address = '0x0A2AF931eFFd34b81ebcc57E3d3c9B1E1dE1C9Ce'; // PerpsMarketProxy, Base
const TRADER: Address = '0x00000000000000000000000000000000000a11ce';
const KEEPER: Address = '0x00000000000000000000000000000000000ee9e2';
const SENDER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

// One file, one anvil: the chain id is switched per test (Optimism 10, Base 8453) before anything is mined.
const chain = withAnvil(10);

async function onChain(chainId: number, addresses: Address[]): Promise<number> {
  const { rpcUrl } = chain();
  await rpc(rpcUrl, 'anvil_setChainId', [chainId]);
  // anvil's dev-account signer keeps its start-up chain id; an impersonated sender is not signed.
  await rpc(rpcUrl, 'anvil_impersonateAccount', [SENDER]);
  for (const address of addresses) await installLogEmitter(rpcUrl, address);
  return Number(BigInt(await rpc<Hex>(rpcUrl, 'eth_blockNumber'))) + 1;
}

forEachDatabase((dbName, open) => {
  describe(`Synthetix end to end on anvil with real chain ids and addresses on ${dbName}`, () => {
    it('PerpsV2 on Optimism: both PositionLiquidated versions, per market proxy', async () => {
      const { db, close } = await open();
      try {
        const start = await onChain(10, [ETH_PERP_PROXY, BTC_PERP_PROXY]);
        const b = await emitBlock(chain().rpcUrl, [
          { address: ETH_PERP_PROXY, logs: [positionLiquidatedV2Log({ id: 1n, account: TRADER, liquidator: KEEPER, size: -3n * E18, price: 1_600n * E18, flaggerFee: E18, liquidatorFee: E18, stakersFee: 2n * E18 })] },
          { address: BTC_PERP_PROXY, logs: [positionLiquidatedV2Log({ id: 2n, account: TRADER, liquidator: KEEPER, size: E18 / 10n, price: 27_000n * E18, fee: 15n * E18 })] },
        ], { timestamp: 1_680_000_000 });
        await indexConfig(db, localConfig(chain().rpcUrl, 10, [{ name: 'snx-v2', protocol: 'synthetix-perps-v2', addresses: [ETH_PERP_PROXY, BTC_PERP_PROXY], startBlock: start, endBlock: Number(b.blockNumber) }]), { protocols: PROTOCOLS });
        const rows = await db.selectFrom('liquidations').selectAll().orderBy('log_index').execute();
        expect(rows.map((r) => [r.chain_id, r.market, r.symbol, r.side, norm(r.size), norm(r.price), norm(r.size_usd), norm(r.fee_usd), r.liquidator, r.uid])).toEqual([
          [10, ETH_PERP_PROXY.toLowerCase(), 'ETH/USD', 'short', '3', '1600', '4800', '4', KEEPER, `${b.txHashes[0]!.toLowerCase()}:0`],
          [10, BTC_PERP_PROXY.toLowerCase(), 'BTC/USD', 'long', '0.1', '27000', '2700', '15', KEEPER, `${b.txHashes[1]!.toLowerCase()}:1`],
        ]);
        expect(rows.every((r) => r.time.getTime() === 1_680_000_000_000)).toBe(true);
      } finally {
        await close();
      }
    });

    it('v3 perps on Base: PositionLiquidated and AccountLiquidationAttempt', async () => {
      const { db, close } = await open();
      try {
        const start = await onChain(8453, [V3_PROXY]);
        const b = await emitBlock(chain().rpcUrl, [
          { address: V3_PROXY, logs: [
            positionLiquidatedV3Log({ accountId: 42n, marketId: 100n, amountLiquidated: 5n * E18, currentPositionSize: 2n * E18 }),
            accountLiquidationAttemptLog({ accountId: 42n, reward: 3n * E18, fullLiquidation: false }),
          ] },
        ], { timestamp: 1_710_000_000 });
        await indexConfig(db, localConfig(chain().rpcUrl, 8453, [{ name: 'snx-v3', protocol: 'synthetix-perps-v3', addresses: [V3_PROXY], startBlock: start, endBlock: Number(b.blockNumber) }]), { protocols: PROTOCOLS });
        const liqs = await db.selectFrom('liquidations').selectAll().execute();
        expect(liqs.map((l) => [l.chain_id, l.venue, l.account, l.market, l.side, norm(l.size), l.flags])).toEqual([[8453, 'synthetix-perps-v3', '42', '100', 'long', '5', ['unknown_market']]]);
        const events = await db.selectFrom('venue_events').selectAll().execute();
        expect(events.map((e) => [e.kind, norm(e.value), e.log_index])).toEqual([['account_liquidation', '3', 1]]);
      } finally {
        await close();
      }
    });
  });
});
