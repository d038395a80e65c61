import type { z } from 'zod';
import type { configSchema } from '../config/schema.ts';
import { CHAINLINK_FEEDS } from './chainlink/feeds.ts';
import { GMX_V2_EVENT_EMITTER } from './gmx-v2/deployments.ts';
import { PYTH_ETH_USD } from './pyth/index.ts';

/**
 * Ready configurations for `liqscope init --preset <name>`: real contract addresses and start blocks
 * per protocol and chain. RPC URLs are `${ENV}` references so keys never land in the file.
 * Sources of each figure:
 * - GMX v2 EventEmitter: shared/formats.md §1 (gmx-io/gmx-synthetics deployments/<net>/EventEmitter.json).
 * - GMX v1 Vault / FastPriceEvents and their start blocks: gmx-io/gmx-subgraph
 *   (gmx-arbitrum-stats/subgraph.yaml, gmx-avalanche-stats/subgraph.yaml); Vault addresses also in formats.md §2.
 * - Synthetix PerpsV2 proxies: see synthetix-perps-v2/markets.ts. v3 PerpsMarketProxy on Base: formats.md §4.
 * - Chainlink ETH/USD (Ethereum) and ETH/USD, BTC/USD (Arbitrum, beside GMX v2 from the EventEmitter's start): see chainlink/feeds.ts; start block 16842888 is where a public Subsquid processor
 *   for this aggregator starts (the phase-6 rounds in shared/data start on 2023-04-05, after it).
 * - Pyth contracts and the ETH/USD price id (exponent −8): Pyth's published contract addresses and feed ids.
 * UNVERIFIED start blocks are 0 (correct, only slower: the indexer scans from genesis); set a later one when known.
 */
type ConfigInput = z.input<typeof configSchema>;

interface ChainPreset {
  key: string;
  chainId: number;
  env: string;
}
const CHAINS: Record<string, ChainPreset> = {
  ethereum: { key: 'ethereum', chainId: 1, env: 'ETHEREUM_RPC_URL' },
  optimism: { key: 'optimism', chainId: 10, env: 'OPTIMISM_RPC_URL' },
  arbitrum: { key: 'arbitrum', chainId: 42161, env: 'ARBITRUM_RPC_URL' },
  avalanche: { key: 'avalanche', chainId: 43114, env: 'AVALANCHE_RPC_URL' },
  base: { key: 'base', chainId: 8453, env: 'BASE_RPC_URL' },
};

interface SourcePreset {
  name: string;
  protocol: string;
  chain: keyof typeof CHAINS;
  addresses: string[];
  startBlock: number;
  options?: Record<string, unknown>;
}

export interface Preset {
  description: string;
  sources: SourcePreset[];
}


export const PRESETS: Record<string, Preset> = {
  'gmx-v2-arbitrum': {
    description: 'GMX v2 on Arbitrum (EventEmitter), with Chainlink ETH/USD and BTC/USD on Arbitrum as the reference oracles',
    sources: [
      { name: 'gmx-v2-arbitrum', protocol: 'gmx-v2', chain: 'arbitrum', addresses: [GMX_V2_EVENT_EMITTER.arbitrum.address], startBlock: GMX_V2_EVENT_EMITTER.arbitrum.startBlock },
      // The reference beside the venue: oracle-error analytics compare GMX's own prices with these.
      {
        name: 'chainlink-arbitrum',
        protocol: 'chainlink',
        chain: 'arbitrum',
        addresses: CHAINLINK_FEEDS.filter((f) => f.chainId === 42161 && f.extra?.role === 'aggregator').map((f) => f.market),
        startBlock: GMX_V2_EVENT_EMITTER.arbitrum.startBlock,
        options: { decimals: 8 },
      },
    ],
  },
  'gmx-v2-avalanche': {
    description: 'GMX v2 on Avalanche (EventEmitter)',
    sources: [{ name: 'gmx-v2-avalanche', protocol: 'gmx-v2', chain: 'avalanche', addresses: [GMX_V2_EVENT_EMITTER.avalanche.address], startBlock: GMX_V2_EVENT_EMITTER.avalanche.startBlock }],
  },
  'gmx-v1-arbitrum': {
    description: 'GMX v1 on Arbitrum (Vault, FastPriceEvents)',
    sources: [
      {
        name: 'gmx-v1-arbitrum',
        protocol: 'gmx-v1',
        chain: 'arbitrum',
        addresses: ['0x489ee077994B6658eAfA855C308275EAd8097C4A', '0x4530b7DE1958270A2376be192a24175D795e1b07'],
        startBlock: 225_000,
      },
    ],
  },
  'gmx-v1-avalanche': {
    description: 'GMX v1 on Avalanche (Vault, FastPriceEvents)',
    sources: [
      {
        name: 'gmx-v1-avalanche',
        protocol: 'gmx-v1',
        chain: 'avalanche',
        addresses: ['0x9ab2De34A33fB459b538c43f251eB825645e8595', '0x02b7023D43bc52bFf8a0C54A9F2ecec053523Bf6'],
        startBlock: 8_231_150,
      },
    ],
  },
  'synthetix-v2-optimism': {
    description: 'Synthetix PerpsV2 on Optimism (ETH, BTC, LINK, SOL, AVAX, ARB market proxies)',
    sources: [
      {
        name: 'synthetix-v2-optimism',
        protocol: 'synthetix-perps-v2',
        chain: 'optimism',
        addresses: [
          '0x2B3bb4c683BFc5239B029131EEf3B1d214478d93',
          '0x59b007E9ea8F89b069c43F8f45834d30853e3699',
          '0x31A1659Ca00F617E86Dc765B6494Afe70a5A9c1A',
          '0x0EA09D97b4084d859328ec4bF8eBCF9ecCA26F1D',
          '0xc203A12F298CE73E44F7d45A4f59a43DBfFe204D',
          '0x509072A5aE4a87AC89Fc8D64D94aDCb44Bd4b88e',
        ],
        startBlock: 0, // UNVERIFIED
      },
    ],
  },
  'synthetix-v3-base': {
    description: 'Synthetix v3 perps on Base (PerpsMarketProxy)',
    sources: [{ name: 'synthetix-v3-base', protocol: 'synthetix-perps-v3', chain: 'base', addresses: ['0x0A2AF931eFFd34b81ebcc57E3d3c9B1E1dE1C9Ce'], startBlock: 0 }],
  },
  'chainlink-eth-usd': {
    description: 'Chainlink ETH/USD on Ethereum (phase-6 aggregator behind proxy 0x5f4eC3Df…8419)',
    sources: [
      {
        name: 'chainlink-eth-usd',
        protocol: 'chainlink',
        chain: 'ethereum',
        addresses: ['0xE62B71cf983019BFf55bC83B48601ce8419650CC'],
        startBlock: 16_842_888,
        options: { decimals: 8 },
      },
    ],
  },
  'pyth-arbitrum': {
    description: 'Pyth ETH/USD price updates on Arbitrum',
    sources: [
      {
        name: 'pyth-arbitrum',
        protocol: 'pyth',
        chain: 'arbitrum',
        addresses: ['0xff1a0f4744e8582DF1aE09D5611b887B6a12925C'],
        startBlock: 0, // UNVERIFIED
        options: { priceIds: [PYTH_ETH_USD], exponents: { [PYTH_ETH_USD]: -8 } },
      },
    ],
  },
};

/** The configuration file a preset writes (before zod defaults; `liqscope` fills those in when loading). */
export function presetConfig(name: string): ConfigInput {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown preset "${name}": available presets are ${Object.keys(PRESETS).join(', ')}`);
  const chains: NonNullable<ConfigInput['chains']> = {};
  for (const source of preset.sources) {
    const chain = CHAINS[source.chain]!;
    chains[chain.key] = { chainId: chain.chainId, rpc: [`\${${chain.env}}`] };
  }
  return {
    database: { path: '.liqscope/db' },
    chains,
    sources: preset.sources.map((s) => ({
      name: s.name,
      kind: 'evm' as const,
      protocol: s.protocol,
      chain: s.chain,
      addresses: s.addresses,
      startBlock: s.startBlock,
      options: s.options ?? {},
    })),
  };
}
