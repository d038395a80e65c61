import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { runCli } from '../helpers/cli.ts';

const valid = {
  chains: { arbitrum: { chainId: 42161, rpc: ['${ARB_RPC}'], finality: 'finalized' } },
  sources: [{ name: 'gmx', protocol: 'gmx-v2', chain: 'arbitrum', addresses: ['0xC8ee91A54287DB53897056e12D9819156D3822Fb'], startBlock: 107737756 }],
};

describe('configuration', () => {
  it('takes RPC URLs from the environment and fills defaults', () => {
    const config = parseConfig(valid, 'test.json', { ARB_RPC: 'https://arb.example/v2/KEY' });
    expect(config.chains.arbitrum!.rpc).toEqual(['https://arb.example/v2/KEY']);
    expect(config.chains.arbitrum!.maxBlockRange).toBe(10_000);
    expect(config.database.path).toBe('.liqscope/db');
    expect(config.sources[0]!.kind).toBe('evm');
  });

  it('names the file, the field and the problem for a wrong type', () => {
    const bad = { ...valid, chains: { arbitrum: { ...valid.chains.arbitrum, chainId: '42161' } } };
    expect(() => parseConfig(bad, 'liqscope.config.json', { ARB_RPC: 'x' })).toThrow(
      /liqscope\.config\.json: invalid configuration\n\s+chains\.arbitrum\.chainId: .*expected number/,
    );
  });

  it('names an array element and an unknown key', () => {
    const bad = { ...valid, sources: [{ ...valid.sources[0], addresses: ['0x1234'], colour: 'red' }] };
    let message = '';
    try {
      parseConfig(bad, 'c.json', { ARB_RPC: 'x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sources\[0\]\.addresses\[0\]: must be a 0x-prefixed 20-byte hex address/);
    expect(message).toMatch(/sources\[0\]: Unrecognized key.*colour/);
  });

  it('names a missing environment variable without printing other values', () => {
    expect(() => parseConfig(valid, 'c.json', {})).toThrow(/c\.json: chains\.arbitrum\.rpc\[0\]: environment variable ARB_RPC is not set/);
  });

  it('rejects a source on an undefined chain', () => {
    const bad = { ...valid, sources: [{ ...valid.sources[0], chain: 'mainnet' }] };
    expect(() => parseConfig(bad, 'c.json', { ARB_RPC: 'x' })).toThrow(/sources\[0\]\.chain: unknown chain "mainnet" \(chains: arbitrum\)/);
  });

  it('reports a file that is not JSON, with its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-config-'));
    writeFileSync(join(dir, 'liqscope.config.json'), '{ "chains": ');
    await expect(loadConfig(undefined, dir)).rejects.toThrow(/liqscope\.config\.json: not valid JSON/);
  });

  it('the CLI exits 1 with the field named, and touches no database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-config-'));
    writeFileSync(join(dir, 'liqscope.config.json'), JSON.stringify({ database: { path: 42 } }));
    const run = await runCli(['sql', 'select 1'], { cwd: dir, env: { DATABASE_URL: '' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/database\.path: .*expected string/);
  });
});
