#!/usr/bin/env node
// A real `ws` client on loopback that exercises fragmentation and permessage-deflate, for live tests.
// usage: NODE_PATH=/usr/share/nodejs node fragment_client.js PORT [--no-deflate] [--server-no-context-takeover]
//        [--client-no-context-takeover] [--server-max-window-bits N] [--client-max-window-bits N] [--result FILE]
// In order, waiting for each echo: a plain text; a text sent as 3 frames with a ping between the first and the
// second; a binary message; a 40 KB compressible text; five short similar texts (context takeover); then it closes
// with 1000 "bye". Prints one JSON line: the upgrade's Sec-WebSocket-Extensions as received, the permessage-deflate
// parameters ws agreed to, every message sent (with its fragments) and received, pongs, and the close.
// Exits by itself within 10 s.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { perMessageDeflate } = require('./peer_options.js');

const argv = process.argv.slice(2);
const port = Number(argv[0]);
const ws = new WebSocket(`ws://127.0.0.1:${port}/live`, { perMessageDeflate: perMessageDeflate(argv) });

const large = Array.from({ length: 800 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`)
  .join('').slice(0, 40000);
const outgoing = [
  { type: 'text', fragments: ['plain text from node-ws'] },
  { type: 'text', fragments: ['first fragment / ', 'second fragment / ', 'third and last fragment'], ping: 'mid' },
  { type: 'binary', fragments: [Buffer.from([0, 1, 2, 3, 127, 128, 254, 255])] },
  { type: 'text', fragments: [large] },
  ...[1, 2, 3, 4, 5].map((i) => ({ type: 'text', fragments: [`short message ${i}: context takeover`] })),
];
const result = { extensions: null, params: null, sent: [], received: [], pongs: [], close: null };

// The JSON line goes to the file after --result FILE when given (written synchronously, whole), else to stdout.
function output(done) {
  const line = `${JSON.stringify(result)}\n`;
  const index = process.argv.indexOf('--result');
  if (index > 0) {
    fs.writeFileSync(process.argv[index + 1], line);
    done();
  } else {
    process.stdout.write(line, done);
  }
}
let next = 0;

function encode(data, type) {
  return type === 'binary' ? { type, base64: Buffer.from(data).toString('base64') } : { type, text: String(data) };
}

function sendNext() {
  if (next >= outgoing.length) {
    ws.close(1000, 'bye');
    return;
  }
  const message = outgoing[next++];
  const binary = message.type === 'binary';
  message.fragments.forEach((fragment, index) => {
    const fin = index === message.fragments.length - 1;
    ws.send(fragment, { binary, fin });
    if (index === 0 && message.ping !== undefined) ws.ping(message.ping);
  });
  const whole = binary ? Buffer.concat(message.fragments) : message.fragments.join('');
  result.sent.push({
    ...encode(whole, message.type),
    frames: message.fragments.length,
    pingAfterFirstFrame: message.ping ?? null,
  });
}

ws.on('upgrade', (response) => { result.extensions = response.headers['sec-websocket-extensions'] ?? null; });
ws.on('open', () => {
  const deflate = ws._extensions['permessage-deflate'];
  result.params = deflate ? deflate.params : null;
  sendNext();
});
ws.on('pong', (data) => result.pongs.push(data.toString()));
ws.on('message', (data, isBinary) => {
  result.received.push(encode(data, isBinary ? 'binary' : 'text'));
  sendNext();
});
ws.on('close', (code, reason) => {
  result.close = { code, reason: reason.toString() };
  // Exit once the line is written: a pipe takes a large write asynchronously, and exit() would cut it short.
  output(() => process.exit(code === 1000 ? 0 : 1));
});
ws.on('error', (error) => {
  console.error(`client error: ${error.message}`);
  process.exit(1);
});
setTimeout(() => { console.error('client timed out'); process.exit(1); }, 10000);
