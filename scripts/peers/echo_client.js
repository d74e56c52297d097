#!/usr/bin/env node
// A real WebSocket client on loopback (the `ws` library the OpenClaw gateway runs on), for making test traffic.
// usage: NODE_PATH=/usr/share/nodejs node echo_client.js PORT [--no-deflate]
// Sends three texts, a ping and a binary message, waits for each echo, then closes with 1000 "done".
'use strict';
const WebSocket = require('ws');

const port = Number(process.argv[2]);
const deflate = !process.argv.includes('--no-deflate');
const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: deflate });
const outgoing = [
  'hello from node-ws',
  JSON.stringify({ type: 'req', id: '1', method: 'status', params: { verbose: true } }),
  'x'.repeat(3000),
  Buffer.from([0, 1, 2, 3, 254, 255]),
];
let received = 0;

ws.on('open', () => {
  ws.ping('are you there');
  ws.send(outgoing[0]);
});
ws.on('message', () => {
  received += 1;
  if (received < outgoing.length) {
    ws.send(outgoing[received]);
  } else {
    ws.close(1000, 'done');
  }
});
ws.on('close', (code) => {
  console.log(`closed ${code} after ${received} echoes`);
  process.exit(code === 1000 ? 0 : 1);
});
ws.on('error', (error) => {
  console.error(`client error: ${error.message}`);
  process.exit(1);
});
setTimeout(() => { console.error('client timed out'); process.exit(1); }, 10000);
