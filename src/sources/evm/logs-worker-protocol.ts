/** Messages between the main thread and the eth_getLogs fetch worker (logs-worker.ts, logs-worker-client.ts). */

export interface FetchRequest {
  id: number;
  url: string;
  body: string;
  timeoutMs: number;
  maxBodyBytes: number;
}

export interface CancelRequest {
  cancel: number;
}

export type WorkerRequest = FetchRequest | CancelRequest;

/** A failure, by the error class the RPC client's classifier knows it as (rpc-errors.ts). */
export type FetchFailure =
  | { kind: 'status'; status: number; headers: [string, string][]; body: string }
  | { kind: 'timeout' | 'network' | 'malformed' | 'other'; message: string };

export type FetchReply =
  | {
      id: number;
      ok: true;
      json: string;
      /** The logs' data end to end (transferred, not copied). */
      payload: ArrayBuffer;
      ends: Uint32Array;
      /** The untouched body, sent only when it holds an error object (see LogsPage). */
      body?: Uint8Array;
    }
  | { id: number; ok: false; failure: FetchFailure };
