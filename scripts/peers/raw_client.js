#!/usr/bin/env node
// A raw WebSocket client over `net` that breaks one RFC 6455 rule on purpose, for live tests against a real server.
// usage: node raw_client.js PORT RULE [--wait-challenge] [--result FILE]
// --wait-challenge: send the rule's frames only after the server's first text message containing "connect.challenge"
// (for message-too-big against a gateway-like server, whose limit applies once it has greeted the client).
// It performs the HTTP upgrade itself (no extension offered), sends the frame(s) for RULE, then reads what the server
// answers until the server closes. For non-minimal-length, which `ws` accepts, it waits for the echo and then closes
// cleanly with 1000. Prints one JSON line:
//   {"rule":..., "status":101, "sent":[{"fin","rsv","opcode","masked","length"}], "received":[{...,"text"?}],
//    "close":{"code":N|null,"reason":"..."}|null}
// Exits by itself within 3 s.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const net = require('net');

const port = Number(process.argv[2]);
const rule = process.argv[3];

// One frame. `lengthBytes` forces the length encoding (0 = minimal, 2 = 16-bit, 8 = 64-bit).
function frame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0), masked = true, lengthBytes = 0 }) {
  const length = payload.length;
  let header;
  const encoding = lengthBytes || (length < 126 ? 0 : length < 65536 ? 2 : 8);
  if (encoding === 0) {
    header = Buffer.from([0, length]);
  } else if (encoding === 2) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const description = { fin, rsv, opcode, masked, length };
  if (!masked) return { bytes: Buffer.concat([header, payload]), description };
  header[1] |= 0x80;
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]));
  return { bytes: Buffer.concat([header, key, body]), description };
}

function closePayload(code, reason = '') {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

const hello = Buffer.from('hello');
const frames = {
  'client-frame-unmasked': [{ opcode: 1, payload: hello, masked: false }],
  'rsv-without-extension': [{ opcode: 1, rsv: 2, payload: hello }],
  'reserved-opcode': [{ opcode: 3, payload: hello }],
  'continuation-without-start': [{ opcode: 0, payload: hello }],
  'data-frame-inside-fragmented-message': [
    { opcode: 1, fin: false, payload: Buffer.from('start of a message') },
    { opcode: 1, payload: Buffer.from('a new message too early') },
  ],
  'control-frame-fragmented': [{ opcode: 9, fin: false, payload: Buffer.from('ping') }],
  'control-frame-too-long': [{ opcode: 9, payload: Buffer.alloc(126, 0x61) }],
  'close-payload-one-byte': [{ opcode: 8, payload: Buffer.from([0x03]) }],
  'invalid-close-code': [{ opcode: 8, payload: closePayload(1005, 'reserved code') }],
  'invalid-utf8': [{ opcode: 1, payload: Buffer.from([0x68, 0x69, 0x20, 0xc3, 0x28, 0xff]) }],
  'message-too-big': [{ opcode: 2, payload: Buffer.alloc(70000, 0x42) }],
  'non-minimal-length': [{ opcode: 1, payload: hello, lengthBytes: 2 }],
}[rule];
if (!frames) {
  console.error(`unknown rule ${rule}`);
  process.exit(2);
}

const waitChallenge = process.argv.includes('--wait-challenge');
// `breakingFrame`: which of the client's frames (1-based) breaks the rule.
const result = { rule, status: null, breakingFrame: frames.length, sent: [], received: [], close: null };

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
let rulesSent = false;

function sendRuleFrames() {
  rulesSent = true;
  for (const spec of frames) send(spec);
}
const key = crypto.randomBytes(16).toString('base64');
const socket = net.connect(port, '127.0.0.1');
let buffer = Buffer.alloc(0);
let upgraded = false;
// A rule whose frame is itself a close has already sent the client's close: it must not send another.
let closeSent = frames.some((spec) => spec.opcode === 8);

let finished = false;

// Exits once the line is written: a pipe takes a large write asynchronously, and exit() would cut it short.
function finish(code) {
  if (finished) return;
  finished = true;
  output(() => process.exit(code));
}

function send(spec) {
  const { bytes, description } = frame(spec);
  result.sent.push(description);
  socket.write(bytes);
}

// Parses the server's frames (unmasked, as a server sends them) from the buffer.
function readFrames() {
  while (buffer.length >= 2) {
    const fin = (buffer[0] & 0x80) !== 0;
    const rsv = (buffer[0] >> 4) & 7;
    const opcode = buffer[0] & 0x0f;
    const masked = (buffer[1] & 0x80) !== 0;
    let length = buffer[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buffer.length < 4) return;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buffer.length < 10) return;
      length = Number(buffer.readBigUInt64BE(2));
      offset = 10;
    }
    if (masked) offset += 4;
    if (buffer.length < offset + length) return;
    const payload = buffer.subarray(offset, offset + length);
    buffer = buffer.subarray(offset + length);
    const received = { fin, rsv, opcode, masked, length };
    if (opcode === 1) received.text = payload.toString();
    result.received.push(received);
    if (!rulesSent && opcode === 1 && received.text.includes('connect.challenge')) sendRuleFrames();
    if (opcode === 8) {
      result.close = {
        code: payload.length >= 2 ? payload.readUInt16BE(0) : null,
        reason: payload.subarray(2).toString(),
      };
      if (!closeSent) {
        closeSent = true;
        send({ opcode: 8, payload: payload.subarray(0, 2) });
      }
    } else if (opcode === 1 && rule === 'non-minimal-length' && !closeSent) {
      // The server accepted the frame and echoed it: end cleanly.
      closeSent = true;
      send({ opcode: 8, payload: closePayload(1000, 'done') });
    }
  }
}

socket.on('connect', () => {
  socket.write(
    `GET /raw HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
});
socket.on('data', (data) => {
  buffer = Buffer.concat([buffer, data]);
  if (!upgraded) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffer.subarray(0, end).toString();
    result.status = Number(head.split(' ')[1]);
    buffer = buffer.subarray(end + 4);
    upgraded = true;
    if (result.status !== 101) finish(1);
    if (!waitChallenge) sendRuleFrames();
  }
  readFrames();
});
socket.on('error', (error) => {
  result.error = error.message;
});
socket.on('close', () => finish(result.close ? 0 : 1));
setTimeout(() => {
  result.timedOut = true;
  socket.destroy();
  finish(1);
}, 3000);
