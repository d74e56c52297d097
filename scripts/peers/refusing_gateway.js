#!/usr/bin/env node
// A `ws` server that greets like an OpenClaw gateway (connect.challenge) and answers every connect with one fixed
// error response and close: for the probe's stop paths (a rate limit, a gateway still starting), which the
// reference gateway of release 2026.3.13 does not have. Later releases send `AUTH_RATE_LIMITED` as `details.code`
// (openclaw/openclaw src/gateway/protocol/connect-error-details.ts); the message and `retryAfterMs` given by the
// test are this peer's, not upstream's wording.
// usage: NODE_PATH=/usr/share/nodejs node refusing_gateway.js PORT CODE MESSAGE [DETAILS_JSON] [CLOSE_CODE]
//        [--devices-only]
// --devices-only: a connect without a device gets a minimal hello-ok instead (so the refusal meets a signed form).
// Prints "ready" once listening and {"event":"connect","device":true|false} for each connect it refuses.
// Exits on SIGTERM or by itself after 30 s.
'use strict';
const WebSocket = require('ws');

const [port, code, message, details, closeCode, mode] = process.argv.slice(2);
const server = new WebSocket.Server({ host: '127.0.0.1', port: Number(port), perMessageDeflate: false });
server.on('listening', () => console.log('ready'));
server.on('connection', (ws) => {
  const nonce = require('crypto').randomUUID();
  ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce, ts: Date.now() } }));
  ws.on('message', (data) => {
    let frame = null;
    try { frame = JSON.parse(data.toString()); } catch (e) { ws.close(1000); return; }
    if (!frame || frame.method !== 'connect') { ws.close(1008, 'invalid handshake'); return; }
    const device = Boolean(frame.params && frame.params.device);
    console.log(JSON.stringify({ event: 'connect', device }));
    if (mode === '--devices-only' && !device) {
      const protocol = frame.params.maxProtocol;
      ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: { type: 'hello-ok', protocol } }));
      return;
    }
    const error = { code, message };
    if (details) error.details = JSON.parse(details);
    ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: false, error }));
    ws.close(Number(closeCode || 1008), message.slice(0, 120));
  });
});
server.on('error', (e) => { console.error(`server error: ${e.message}`); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 30000).unref();
