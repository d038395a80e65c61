import { encodeAbiParameters, encodeEventTopics, type Abi, type AbiEvent, type Hex } from 'viem';

/**
 * Encodes one event exactly as a contract emits it: topics (topic0 + indexed arguments) and the
 * ABI-encoded non-indexed arguments, from the real event ABI. Used by the simulator and tests for the
 * non-GMX-v2 protocols (GMX v2 has its own builders in gmx-v2/encode.ts).
 */
export function encodeLog(abi: Abi, eventName: string, args: Record<string, unknown>): { topics: Hex[]; data: Hex } {
  const event = abi.find((e): e is AbiEvent => e.type === 'event' && e.name === eventName);
  if (!event) throw new Error(`encodeLog: no event ${eventName} in the ABI`);
  const indexedArgs = Object.fromEntries(event.inputs.filter((i) => i.indexed).map((i) => [i.name!, args[i.name!]]));
  const topics = encodeEventTopics({ abi: [event], eventName, args: indexedArgs } as never) as Hex[];
  const nonIndexed = event.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(nonIndexed, nonIndexed.map((i) => {
    if (!(i.name! in args)) throw new Error(`encodeLog: ${eventName} needs argument ${i.name}`);
    return args[i.name!];
  }));
  return { topics, data };
}
