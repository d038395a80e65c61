import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { PRESETS, presetConfig } from '../../src/protocols/presets.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { runCli } from '../helpers/cli.ts';

describe('liqscope init --preset', () => {
  it('every preset is a valid config for a known protocol, with RPC URLs as env references', () => {
    const names = Object.keys(PRESETS);
    expect(names).toEqual(expect.arrayContaining(['gmx-v2-arbitrum', 'gmx-v2-avalanche', 'gmx-v1-arbitrum', 'gmx-v1-avalanche', 'synthetix-v3-base', 'chainlink-eth-usd']));
    for (const name of names) {
      const config = configSchema.parse(presetConfig(name));
      for (const chain of Object.values(config.chains)) for (const url of chain.rpc) expect(url).toMatch(/^\$\{[A-Z_]+_RPC_URL\}$/);
      for (const source of config.sources) expect(PROTOCOLS.find((p) => p.id === source.protocol)?.evm).toBeDefined();
    }
    // The figures of shared/formats.md §1.
    const gmx = configSchema.parse(presetConfig('gmx-v2-arbitrum'));
    expect(gmx.chains.arbitrum!.chainId).toBe(42161);
    expect(gmx.sources[0]).toMatchObject({ protocol: 'gmx-v2', addresses: ['0xC8ee91A54287DB53897056e12D9819156D3822Fb'], startBlock: 107737756 });
    // The reference oracles beside the venue: Chainlink ETH/USD and BTC/USD aggregators on Arbitrum (chainlink/feeds.ts).
    expect(gmx.sources[1]).toMatchObject({
      protocol: 'chainlink',
      chain: 'arbitrum',
      addresses: ['0x3607e46698d218b3a5cae44bf381475c0a5e2ca7', '0x942d00008d658dbb40745bbec89a93c253f9b882'],
      options: { decimals: 8 },
    });
    const avax = configSchema.parse(presetConfig('gmx-v2-avalanche'));
    expect(avax.sources[0]).toMatchObject({ addresses: ['0xDb17B211c34240B014ab6d61d4A31FA0C0e20c26'], startBlock: 32162455 });
  });

  it('writes liqscope.config.json and refuses to overwrite it without --force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'liqscope-init-'));
    try {
      const first = await runCli(['init', '--preset', 'gmx-v2-arbitrum'], { cwd: dir });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('ARBITRUM_RPC_URL');
      const written = JSON.parse(await readFile(join(dir, 'liqscope.config.json'), 'utf8'));
      expect(configSchema.parse(written).sources[0]!.protocol).toBe('gmx-v2');

      await writeFile(join(dir, 'liqscope.config.json'), '{"mine": true}\n');
      const second = await runCli(['init', '--preset', 'chainlink-eth-usd'], { cwd: dir });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already exists; use --force/);
      expect(await readFile(join(dir, 'liqscope.config.json'), 'utf8')).toBe('{"mine": true}\n');

      const forced = await runCli(['init', '--preset', 'chainlink-eth-usd', '--force'], { cwd: dir });
      expect(forced.code).toBe(0);
      expect(JSON.parse(await readFile(join(dir, 'liqscope.config.json'), 'utf8')).chains.ethereum.chainId).toBe(1);

      const unknown = await runCli(['init', '--preset', 'gmx-v9'], { cwd: dir });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown preset "gmx-v9" \(available: gmx-v2-arbitrum/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
