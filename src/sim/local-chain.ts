import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  port: number;
  stop(): Promise<void>;
}

export interface LocalChainOptions {
  chainId: number;
  /** 0 (default) lets the OS choose a free port. */
  port?: number;
  /** Unix seconds of the genesis block, so a scenario's blocks can sit at real incident times. */
  genesisTimestamp?: number;
}

const require = createRequire(import.meta.url);

/** Path of the anvil binary shipped by the npm package `@foundry-rs/anvil` for this platform. */
export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const packageName = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    const packageJson = require.resolve(`${packageName}/package.json`);
    return join(dirname(packageJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch {
    throw new Error(
      `anvil is not installed for ${process.platform}-${process.arch} (npm package ${packageName}); run npm ci`,
    );
  }
}

/**
 * Starts anvil on 127.0.0.1 with a real chain id. Transactions are mined in arrival order (`--order fifo`)
 * so that the log emitter's blocks hold their logs in the order they were sent, the block gas limit is
 * lifted so one block can carry thousands of logs, and no state is persisted to disk.
 */
export async function startLocalChain(options: LocalChainOptions): Promise<LocalChain> {
  const args = [
    '--host', '127.0.0.1',
    '--port', String(options.port ?? 0),
    '--chain-id', String(options.chainId),
    '--order', 'fifo',
    '--disable-block-gas-limit',
    '--disable-code-size-limit',
    '--accounts', '2',
    // Without this, anvil writes every historical state past its in-memory window to ~/.foundry/anvil/tmp:
    // about 4 GB per 20,000-block benchmark, and never removed when the process is killed (this filled a
    // machine's disk). liqscope reads logs, headers and snapshots, never old state, so none is kept on disk.
    '--max-persisted-states', '0',
  ];
  if (options.genesisTimestamp !== undefined) args.push('--timestamp', String(options.genesisTimestamp));
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await waitForListening(child);
  const stop = () => stopChild(child);
  return { rpcUrl: `http://127.0.0.1:${port}`, chainId: options.chainId, port, stop };
}

function waitForListening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`anvil did not start within 20 s: ${output.slice(-500)}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        // Keep draining anvil's output so its pipe never fills up and blocks it.
        child.stdout?.removeListener('data', onData);
        child.stdout?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start anvil: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with code ${code} before listening: ${output.slice(-500)}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
