#!/usr/bin/env node
// A real `ws` echo server on loopback (the library the OpenClaw gateway runs on), for live tests.
// usage: NODE_PATH=/usr/share/nodejs node ws_server.js PORT [--no-deflate] [--server-no-context-takeover]
//        [--client-no-context-takeover] [--server-max-window-bits N] [--client-max-window-bits N] [--max-payload N]
//        [--challenge] [--once]
// --challenge: greet each connection as the OpenClaw gateway does, with a `connect.challenge` event (so wssniff
// treats the connection as a gateway's, whose limit before connect is maxPayload = 64 KiB).
// Prints "ready" once listening. Echoes every message (same type). For each connection it prints one JSON line:
//   {"event":"close","code":N,"reason":"...","error":"ws's own error message or null","extensions":"..."}
// Exits on SIGTERM, after its first connection with --once, or by itself after 30 s.
'use strict';
const WebSocket = require('ws');
const { perMessageDeflate, valueAfter } = require('./peer_options.js');

const argv = process.argv.slice(2);
const port = Number(argv[0]);
const maxPayload = valueAfter(argv, '--max-payload');
const options = { host: '127.0.0.1', port, perMessageDeflate: perMessageDeflate(argv) };
if (maxPayload !== undefined) options.maxPayload = maxPayload;

const server = new WebSocket.Server(options);
server.on('listening', () => console.log('ready'));
server.on('headers', (headers, request) => {
  request.responseExtensions = (headers.find((h) => /^sec-websocket-extensions:/i.test(h)) || '')
    .replace(/^[^:]*:\s*/, '') || null;
});
server.on('connection', (ws, request) => {
  let error = null;
  if (argv.includes('--challenge')) {
    const nonce = require('crypto').randomUUID();
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce, ts: Date.now() } }));
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', (e) => { error = e.message; });
  ws.on('close', (code, reason) => {
    console.log(JSON.stringify({
      event: 'close', code, reason: reason.toString(), error, extensions: request.responseExtensions,
    }));
    if (argv.includes('--once')) process.stdout.write('', () => process.exit(0));
  });
});
server.on('error', (e) => { console.error(`server error: ${e.message}`); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 30000).unref();
