/**
 * Hand-written node fills in the real formats (formats.md §6): three node_fills_by_block lines, then
 * a `[user, fill]` line and a fill-with-user line (node_fills). What they hold:
 *
 * line 1, block 750000001, 21:15:03.127
 *   tid 101 BTC: T1 buys 0.5 @ 104582.5 (taker), M sells (maker)
 *   tid 102 BTC: A is liquidated (market): sells 0.2 @ 104500.0 (taker), M buys (maker)
 * line 2, block 750000002, 21:15:03.950
 *   tid 103 BTC: T2 sells 0.3 @ 104400 (taker), M buys (maker)
 *   tid 104 ETH: B is liquidated (backstop, isolated short): buys 3.5 @ 3460.2 from the liquidator vault,
 *     whose own fill says crossed and carries no liquidation object (the vault side's shape is
 *     UNVERIFIED): only the shared tid tells that this is no book trade
 *   tid 105 SOL: C is liquidated (cross long) into D's short, which is auto-deleveraged: 120.5 @ 182.15
 *   tid 106 BTC: T3, dir "Vault Rebalance" (unknown to liqscope), buys 0.1 @ 104401 (taker)
 *   tid 107 XYZ (a coin liqscope does not know): T1 buys 10 @ 1.5 (taker)
 * line 3 ([user, fill]), 21:15:04.010
 *   tid 108 ETH: T1 buys 1.0 @ 3461.0 (taker)
 * line 4 (fill with user): tid 108, M's maker side
 */
export const A = '0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
export const B = '0xb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';
export const C = '0xc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3';
/** Written in mixed case in the file; rows carry it lower-cased. */
export const D = '0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4';
export const M = '0x3333333333333333333333333333333333333333';
export const HLP = '0x2e3d94f0562703b25c83308a05046ddaf9a8dd14';
export const T1 = '0x1111111111111111111111111111111111111111';
export const T2 = '0x2222222222222222222222222222222222222222';
export const T3 = '0x4444444444444444444444444444444444444444';

const H = (n: number) => `0x${String(n).padStart(64, '0')}`;

export const FIXTURE_LINES = [
  `{"local_time":"2025-10-10T21:15:03.129812306","block_time":"2025-10-10T21:15:03.127417529","block_number":750000001,"events":[` +
    `["${T1}",{"coin":"BTC","px":"104582.5","sz":"0.5","side":"B","time":1760130903127,"startPosition":"0.0","dir":"Open Long","closedPnl":"0.0","hash":"${H(1)}","oid":9001,"crossed":true,"fee":"23.531062","tid":101,"feeToken":"USDC","twapId":null}],` +
    `["${M}",{"coin":"BTC","px":"104582.5","sz":"0.5","side":"A","time":1760130903127,"startPosition":"-2.0","dir":"Open Short","closedPnl":"0.0","hash":"${H(1)}","oid":8001,"crossed":false,"fee":"-1.045825","tid":101,"feeToken":"USDC","twapId":null}],` +
    `["${A}",{"coin":"BTC","px":"104500.0","sz":"0.2","side":"A","time":1760130903127,"startPosition":"0.2","dir":"Liquidated Cross Long","closedPnl":"-1234.5","hash":"${H(2)}","oid":9002,"crossed":true,"fee":"10.449","tid":102,"feeToken":"USDC","twapId":null,"liquidation":{"liquidatedUser":"${A}","markPx":"104560.1","method":"market"}}],` +
    `["${M}",{"coin":"BTC","px":"104500.0","sz":"0.2","side":"B","time":1760130903127,"startPosition":"-2.5","dir":"Close Short","closedPnl":"16.5","hash":"${H(2)}","oid":8002,"crossed":false,"fee":"-0.418","tid":102,"feeToken":"USDC","twapId":null,"liquidation":{"liquidatedUser":"${A}","markPx":"104560.1","method":"market"}}]` +
    `]}`,
  `{"local_time":"2025-10-10T21:15:03.952000001","block_time":"2025-10-10T21:15:03.950000000","block_number":750000002,"events":[` +
    `["${T2}",{"coin":"BTC","px":"104400","sz":"0.3","side":"A","time":1760130903950,"startPosition":"1.3","dir":"Close Long","closedPnl":"-60.0","hash":"${H(3)}","oid":9003,"crossed":true,"fee":"14.0942","tid":103,"feeToken":"USDC","twapId":null}],` +
    `["${M}",{"coin":"BTC","px":"104400","sz":"0.3","side":"B","time":1760130903950,"startPosition":"-2.3","dir":"Close Short","closedPnl":"54.75","hash":"${H(3)}","oid":8003,"crossed":false,"fee":"-0.6264","tid":103,"feeToken":"USDC","twapId":null}],` +
    `["${B}",{"coin":"ETH","px":"3460.2","sz":"3.5","side":"B","time":1760130903950,"startPosition":"-3.5","dir":"Liquidated Isolated Short","closedPnl":"-2101.4","hash":"${H(4)}","oid":9004,"crossed":true,"fee":"0.0","tid":104,"feeToken":"USDC","twapId":null,"liquidation":{"liquidatedUser":"${B}","markPx":"3459.9","method":"backstop"}}],` +
    `["${HLP}",{"coin":"ETH","px":"3460.2","sz":"3.5","side":"A","time":1760130903950,"startPosition":"-120.0","dir":"Open Short","closedPnl":"0.0","hash":"${H(4)}","oid":8004,"crossed":true,"fee":"0.0","tid":104,"feeToken":"USDC","twapId":null}],` +
    `["${C}",{"coin":"SOL","px":"182.15","sz":"120.5","side":"A","time":1760130903950,"startPosition":"120.5","dir":"Liquidated Cross Long","closedPnl":"-5010.25","hash":"${H(5)}","oid":9005,"crossed":true,"fee":"0.0","tid":105,"feeToken":"USDC","twapId":null,"liquidation":{"liquidatedUser":"${C}","markPx":"182.2","method":"backstop"}}],` +
    `["${D.toUpperCase().replace('0X', '0x')}",{"coin":"SOL","px":"182.15","sz":"120.5","side":"B","time":1760130903950,"startPosition":"-500.0","dir":"Auto-Deleveraging","closedPnl":"4321.0","hash":"${H(5)}","oid":9006,"crossed":true,"fee":"0.0","tid":105,"feeToken":"USDC","twapId":null,"liquidation":{"liquidatedUser":"${C}","markPx":"182.2","method":"backstop"}}],` +
    `["${T3}",{"coin":"BTC","px":"104401","sz":"0.1","side":"B","time":1760130903950,"startPosition":"0.0","dir":"Vault Rebalance","closedPnl":"0.0","hash":"${H(6)}","oid":9007,"crossed":true,"fee":"0.0","tid":106,"feeToken":"USDC","twapId":null}],` +
    `["${T1}",{"coin":"XYZ","px":"1.5","sz":"10","side":"B","time":1760130903950,"startPosition":"0.0","dir":"Open Long","closedPnl":"0.0","hash":"${H(7)}","oid":9008,"crossed":true,"fee":"0.00675","tid":107,"feeToken":"USDC","twapId":null}]` +
    `]}`,
  `["${T1}",{"coin":"ETH","px":"3461.0","sz":"1.0","side":"B","time":1760130904010,"startPosition":"0.0","dir":"Open Long","closedPnl":"0.0","hash":"${H(8)}","oid":9009,"crossed":true,"fee":"1.55745","tid":108,"feeToken":"USDC","twapId":null}]`,
  `{"user":"${M}","coin":"ETH","px":"3461.0","sz":"1.0","side":"A","time":1760130904010,"startPosition":"0.0","dir":"Open Short","closedPnl":"0.0","hash":"${H(8)}","oid":8009,"crossed":false,"fee":"-0.34610","tid":108,"feeToken":"USDC","twapId":null}`,
];

/** A line whose first fill has its price as a JSON number (the node writes strings). */
export const MALFORMED_LINE = `{"local_time":"2025-10-10T21:15:05.000000001","block_time":"2025-10-10T21:15:05.000000000","block_number":750000003,"events":[["${T1}",{"coin":"BTC","px":104582.5,"sz":"0.5","side":"B","time":1760130905000,"startPosition":"0.0","dir":"Open Long","closedPnl":"0.0","hash":"${H(9)}","oid":9010,"crossed":true,"fee":"1","tid":109,"feeToken":"USDC","twapId":null}]]}`;
