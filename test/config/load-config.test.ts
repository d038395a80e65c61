import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { redactText } from '../../src/logger.ts';
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

  describe('EIP-55 checksums', () => {
    const withAddress = (address: string) => ({ ...valid, sources: [{ ...valid.sources[0], addresses: [address] }] });
    // The GMX v2 EventEmitter on Arbitrum, as Arbiscan prints it (checksummed).
    const checksummed = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';

    it('accepts a correct checksum, all lower case and all upper case', () => {
      for (const address of [checksummed, checksummed.toLowerCase(), `0x${checksummed.slice(2).toUpperCase()}`]) {
        expect(parseConfig(withAddress(address), 'c.json', { ARB_RPC: 'x' }).sources[0]).toMatchObject({ addresses: [address] });
      }
    });

    it('rejects mixed case that fails the checksum, naming the field and the checksummed form', () => {
      const typo = '0xC8ee91A54287DB53897056e12D9819156D3822FB'; // last letter's case flipped
      expect(() => parseConfig(withAddress(typo), 'c.json', { ARB_RPC: 'x' })).toThrow(
        /c\.json: invalid configuration\n\s+sources\[0\]\.addresses\[0\]: mixed-case address fails its EIP-55 checksum \(0xC8ee91A54287DB53897056e12D9819156D3822Fb would pass\)/,
      );
    });
  });

  it('registers what came from the environment as secret: redacted wherever it appears, even without its URL', () => {
    parseConfig(valid, 'c.json', { ARB_RPC: 'https://arb.example/v2/abcdefghijklmnopqrstuvwxyzabcdef' });
    expect(redactText('provider said: arb.example/v2/abcdefghijklmnopqrstuvwxyzabcdef is not allowed (abcdefghijklmnopqrstuvwxyzabcdef)')).toBe(
      'provider said: *** is not allowed (***)',
    );
  });

  it('gives every chain an explicit request timeout, request budget and lagging-node wait', () => {
    const chain = parseConfig(valid, 'c.json', { ARB_RPC: 'x' }).chains.arbitrum!;
    expect([chain.requestTimeout, chain.requestBudget, chain.laggingNodeTimeout]).toEqual([20, 120, 300]);
  });

  describe('sources are checked before the database is opened', () => {
    const gmx = { name: 'gmx', protocol: 'gmx-v2', chain: 'local', addresses: ['0xc8ee91a54287db53897056e12d9819156d3822fb'], startBlock: 1 };
    /** Runs `liqscope <args>` in a directory holding this config; the embedded database would be `db/`. */
    async function run(sources: unknown[], args = ['index']) {
      const dir = mkdtempSync(join(tmpdir(), 'liqscope-config-'));
      const config = { database: { path: 'db' }, chains: { local: { chainId: 42161, rpc: ['http://127.0.0.1:1'] } }, sources };
      writeFileSync(join(dir, 'liqscope.config.json'), JSON.stringify(config));
      const result = await runCli(args, { cwd: dir, env: { DATABASE_URL: '' } });
      return { ...result, file: join(dir, 'liqscope.config.json'), dbCreated: existsSync(join(dir, 'db')) };
    }
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('an unknown protocol: exit 1 naming the file, sources[i].protocol and the known protocols; no database touched', async () => {
      const r = await run([gmx, { ...gmx, name: 'x', protocol: 'gmx-v9' }]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`liqscope: ${escape(r.file)}: sources\\[1\\]\\.protocol: unknown protocol "gmx-v9" \\(known protocols: gmx-v2, .*chainlink.*hyperliquid.*dydx-v4.*raw\\)`));
      expect(r.dbCreated).toBe(false);
    });

    it('a bad raw options.topic0: exit 1 naming the field; no sources row (no database at all)', async () => {
      const r = await run([{ ...gmx, protocol: 'raw', options: { topic0: ['0x1234'] } }]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/sources\[0\]\.options\.topic0\[0\]: must be a 32-byte hex topic/);
      expect(r.dbCreated).toBe(false);
    });

    it.each([
      ['chainlink', { decimals: 8, decimal: 8 }, 'decimal', 'decimals, events'],
      ['pyth', { exponent: { a: 1 } }, 'exponent', 'exponents, priceIds'],
      ['gmx-v2', { decimals: 8 }, 'decimals', 'none'],
    ])('an option %s does not know: exit 1 naming sources[0].options.<key> and its options', async (protocol, options, key, known) => {
      const r = await run([{ ...gmx, protocol, options }]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`sources[0].options.${key}: unknown option for protocol "${protocol}" (its options: ${known})`);
      expect(r.dbCreated).toBe(false);
    });

    it('a wrong option value names its path inside options', async () => {
      const r = await run([{ ...gmx, protocol: 'chainlink', options: { events: ['AnswerUpdated', 'Transmitted'] } }]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/sources\[0\]\.options\.events\[1\]: /);
    });

    it.each([['index'], ['redecode']])('%s --source with an unknown name: usage error, exit 2, naming the configured sources', async (command) => {
      const r = await run([gmx, { ...gmx, name: 'gmx-2' }], [command, '--source', 'gmx-3']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`liqscope: ${command} --source: unknown source "gmx-3" (configured: gmx, gmx-2)`);
      expect(r.dbCreated).toBe(false);
    });
  });
});
