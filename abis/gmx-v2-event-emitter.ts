/**
 * GMX v2 EventEmitter: the three generic events every GMX v2 protocol event goes through.
 * Source: gmx-io/gmx-synthetics@a5c0c883:contracts/event/EventEmitter.sol and
 * contracts/event/EventUtils.sol (EventLogData = 7 item groups, each { items, arrayItems }).
 * Event-only ABI, written by hand from that source (see shared/formats.md §1).
 */

/** `{ items: {key, value: T}[], arrayItems: {key, value: T[]}[] }` for one Solidity value type. */
function itemGroup<const N extends string, const T extends string>(name: N, valueType: T) {
  return {
    name,
    type: 'tuple',
    components: [
      { name: 'items', type: 'tuple[]', components: [{ name: 'key', type: 'string' }, { name: 'value', type: valueType }] },
      {
        name: 'arrayItems',
        type: 'tuple[]',
        components: [{ name: 'key', type: 'string' }, { name: 'value', type: `${valueType}[]` as `${T}[]` }],
      },
    ],
  } as const;
}

export const eventLogDataComponents = [
  itemGroup('addressItems', 'address'),
  itemGroup('uintItems', 'uint256'),
  itemGroup('intItems', 'int256'),
  itemGroup('boolItems', 'bool'),
  itemGroup('bytes32Items', 'bytes32'),
  itemGroup('bytesItems', 'bytes'),
  itemGroup('stringItems', 'string'),
] as const;

const eventData = { name: 'eventData', type: 'tuple', indexed: false, components: eventLogDataComponents } as const;
const msgSender = { name: 'msgSender', type: 'address', indexed: false } as const;
const eventName = { name: 'eventName', type: 'string', indexed: false } as const;
const eventNameHash = { name: 'eventNameHash', type: 'string', indexed: true } as const;

export const gmxEventEmitterAbi = [
  { type: 'event', name: 'EventLog', anonymous: false, inputs: [msgSender, eventName, eventNameHash, eventData] },
  {
    type: 'event',
    name: 'EventLog1',
    anonymous: false,
    inputs: [msgSender, eventName, eventNameHash, { name: 'topic1', type: 'bytes32', indexed: true }, eventData],
  },
  {
    type: 'event',
    name: 'EventLog2',
    anonymous: false,
    inputs: [
      msgSender,
      eventName,
      eventNameHash,
      { name: 'topic1', type: 'bytes32', indexed: true },
      { name: 'topic2', type: 'bytes32', indexed: true },
      eventData,
    ],
  },
] as const;
