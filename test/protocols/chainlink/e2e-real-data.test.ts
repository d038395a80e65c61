import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toHex, type Address, type Hex } from 'viem';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { installLogEmitter, rpc } from '../../../src/sim/log-emitter.ts';
import { encodeEmitterCalldata } from '../../../src/sim/emitter-bytecode.ts';
import { encodeAnswerUpdated } from '../../../src/protocols/chainlink/encode.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { localConfig, norm } from '../support.ts';

/** Real data (shared/data/chainlink/README.md): ETH/USD rounds read from the Ethereum feed, newest first. */
const CSV = fileURLToPath(new URL('../../../../shared/data/chainlink/eth-usd.csv', import.meta.url));
const AGGREGATOR: Address = '0xE62B71cf983019BFf55bC83B48601ce8419650CC'; // phase-6 ETH/USD aggregator, 8 decimals
const SENDER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const LOGS_PER_TX = 500;

interface Round {
  round: bigint;
  answer: bigint;
  updatedAt: bigint;
}

function readRounds(): Round[] {
  const lines = readFileSync(CSV, 'utf8').trim().split('\n');
  expect(lines[0]).toBe(',round,answer,start,update,answeredInRound');
  return lines.slice(1).map((line) => {
    const [, round, answer, , update] = line.split(',');
    return { round: BigInt(round!), answer: BigInt(answer!), updatedAt: BigInt(update!) };
  });
}

/** answer / 10^8 written out by hand (independent of the decoder's helper). */
function eightDecimals(answer: bigint): string {
  const s = answer.toString().padStart(9, '0');
  const whole = s.slice(0, -8);
  const fraction = s.slice(-8).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

const chain = withAnvil(1);

if (!existsSync(CSV)) console.warn(`skipping the Chainlink real-data replay: ${CSV} is absent (it ships beside the repository, not in it)`);

forEachDatabase((dbName, open) => {
  describe.skipIf(!existsSync(CSV))(`Chainlink ETH/USD real rounds replayed through anvil (chain 1) on ${dbName}`, () => {
    it('stores every valid round exactly (answer and updatedAt) and rejects the zero round', async () => {
      const rounds = readRounds().reverse(); // oldest first, as the aggregator emitted them
      const valid = rounds.filter((r) => r.answer > 0n);
      const zero = rounds.filter((r) => r.answer <= 0n);
      expect(valid).toHaveLength(11_106);
      expect(zero).toHaveLength(1);

      const { rpcUrl } = chain();
      await installLogEmitter(rpcUrl, AGGREGATOR);
      // anvil's dev-account signer keeps the chain id it started with (42161); an impersonated sender is not signed.
      await rpc(rpcUrl, 'anvil_impersonateAccount', [SENDER]);
      const start = Number(BigInt(await rpc<Hex>(rpcUrl, 'eth_blockNumber'))) + 1;
      // The aggregator's AnswerUpdated carries its own round id: the proxy round's low 64 bits.
      const logs = rounds.map((r) => encodeAnswerUpdated(r.answer, r.round & (2n ** 64n - 1n), r.updatedAt));
      const hashes: Hex[] = [];
      for (let i = 0; i < logs.length; i += LOGS_PER_TX) {
        const data = encodeEmitterCalldata(logs.slice(i, i + LOGS_PER_TX));
        hashes.push(await rpc<Hex>(rpcUrl, 'eth_sendTransaction', [{ from: SENDER, to: AGGREGATOR, data, gas: toHex(25_000_000) }]));
      }
      // Index up to the block of the last transaction, once every transaction is mined and succeeded.
      let end = 0;
      for (const hash of hashes) {
        let receipt: { status: Hex; blockNumber: Hex } | null = null;
        for (let attempt = 0; attempt < 100 && !receipt; attempt++) {
          receipt = await rpc<{ status: Hex; blockNumber: Hex } | null>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
          if (!receipt) await new Promise((r) => setTimeout(r, 50));
        }
        expect(receipt?.status).toBe('0x1');
        end = Math.max(end, Number(BigInt(receipt!.blockNumber)));
      }

      const { db, close } = await open();
      try {
        await indexConfig(db, localConfig(rpcUrl, 1, [{ name: 'eth-usd', protocol: 'chainlink', addresses: [AGGREGATOR], startBlock: start, endBlock: end }]), { protocols: PROTOCOLS });
        const stored = await db
          .selectFrom('oracle_prices')
          .select(['round_id', 'price_raw', 'price', 'time', 'symbol', 'decimals'])
          .where('source_id', '=', 'eth-usd')
          .orderBy('round_id')
          .execute();
        expect(stored).toHaveLength(11_106);
        const expected = valid.map((r) => [(r.round & (2n ** 64n - 1n)).toString(), r.answer.toString(), eightDecimals(r.answer), Number(r.updatedAt) * 1000]);
        const actual = stored.map((s) => [s.round_id, s.price_raw, norm(s.price), s.time.getTime()]);
        expect(actual).toEqual(expected);
        expect(new Set(stored.map((s) => `${s.symbol}/${s.decimals}`))).toEqual(new Set(['ETH/USD/8']));

        const errors = await db.selectFrom('decode_errors').select(['event', 'reason']).where('source_id', '=', 'eth-usd').execute();
        expect(errors).toEqual([{ event: 'AnswerUpdated', reason: 'AnswerUpdated: answer 0 in round 0 is not a valid price (zero or negative): rejected' }]);
      } finally {
        await close();
      }
    });
  });
});
