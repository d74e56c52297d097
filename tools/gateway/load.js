#!/usr/bin/env node
// Load for the reference gateway (gateway.js): C connections each complete a good v3 handshake, then keep W
// `health` requests in flight for D seconds (each answered by a `res`), then close with 1000. Used to measure
// whether `wssniff capture` keeps up on lo (issue 7): every request and every response is one WebSocket message.
//
// Usage: NODE_PATH=/usr/share/nodejs node tools/gateway/load.js --port P [--host 127.0.0.1] [--connections 4]
//          [--duration 5] [--window 32] [--rate 0] [--token T] [--deflate on|off] [--identity FILE]
//   --rate   messages per second to aim for in all (requests + responses); 0: as fast as the gateway answers
// Prints one JSON line: connections, requests, responses, seconds, messagesPerSecond, closes.
'use strict';

const crypto = require('crypto');
const path = require('path');
const WebSocket = require('ws');
const proof = require('./proof.js');

const VERSION = '2026.3.13';

function parseOptions(argv) {
    const o = {
        host: '127.0.0.1',
        port: null,
        connections: 4,
        duration: 5,
        window: 32,
        rate: 0,
        token: null,
        deflate: false,
        identity: path.join(__dirname, 'identities', 'cli.json'),
    };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
            return argv[++i];
        };
        switch (argv[i]) {
            case '--host': o.host = value(); break;
            case '--port': o.port = Number(value()); break;
            case '--connections': o.connections = Number(value()); break;
            case '--duration': o.duration = Number(value()); break;
            case '--window': o.window = Number(value()); break;
            case '--rate': o.rate = Number(value()); break;
            case '--token': o.token = value(); break;
            case '--deflate': o.deflate = value() === 'on'; break;
            case '--identity': o.identity = value(); break;
            default: throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (!o.port) throw new Error('--port is required');
    return o;
}

const opts = parseOptions(process.argv.slice(2));
const identity = proof.loadIdentity(opts.identity);
const totals = { connections: 0, helloOk: 0, requests: 0, responses: 0, closes: [] };
let loadStarted = null;
let loadEnded = null;
let open = opts.connections;

function connectFrame(challenge) {
    const params = proof.cliConnectParams(VERSION, 3);
    if (opts.token !== null) params.auth = { token: opts.token };
    params.device = {
        id: identity.deviceId,
        publicKey: proof.base64UrlEncode(identity.publicKeyRaw),
        signature: '',
        signedAt: Date.now(),
        nonce: challenge.nonce,
    };
    params.device.signature = proof.sign(proof.buildPayload('v3', proof.fieldsFromParams(params)), identity.privateKey);
    return { type: 'req', id: crypto.randomUUID(), method: 'connect', params };
}

// With --rate, requests are paced: each connection may send only as many as its share of the elapsed time allows.
function allowedRequests(now) {
    if (opts.rate <= 0 || loadStarted === null) return Infinity;
    const perConnectionPerMs = opts.rate / 2 / opts.connections / 1000;
    return Math.floor((now - loadStarted) * perConnectionPerMs) + 1;
}

function runConnection() {
    const ws = new WebSocket(`ws://${opts.host}:${opts.port}`, { perMessageDeflate: opts.deflate });
    let connectId = null;
    let sent = 0;
    let inFlight = 0;
    let stopping = false;
    let seq = 0;

    const pump = () => {
        const limit = allowedRequests(Date.now());
        while (!stopping && inFlight < opts.window && sent < limit) {
            ws.send(JSON.stringify({ type: 'req', id: `h${++seq}`, method: 'health', params: {} }));
            sent++;
            inFlight++;
            totals.requests++;
        }
        if (!stopping && opts.rate > 0 && inFlight < opts.window) setTimeout(pump, 1);
    };

    ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        if (msg.type === 'event' && msg.event === 'connect.challenge') {
            const frame = connectFrame(msg.payload);
            connectId = frame.id;
            ws.send(JSON.stringify(frame));
        } else if (msg.type === 'res' && msg.id === connectId) {
            if (!msg.ok) {
                process.stderr.write(`load: connect refused: ${JSON.stringify(msg.error)}\n`);
                ws.close(1000);
                return;
            }
            totals.helloOk++;
            if (loadStarted === null) loadStarted = Date.now();
            setTimeout(() => {
                stopping = true;
                // Paced connections may have nothing in flight: no response would come to close them.
                if (inFlight === 0) ws.close(1000);
            }, opts.duration * 1000);
            pump();
        } else if (msg.type === 'res') {
            totals.responses++;
            inFlight--;
            if (stopping) {
                if (inFlight === 0) ws.close(1000);
            } else {
                pump();
            }
        }
    });
    ws.on('open', () => totals.connections++);
    ws.on('error', (err) => process.stderr.write(`load: ${err.message}\n`));
    ws.on('close', (code) => {
        totals.closes.push(code);
        if (loadEnded === null || Date.now() > loadEnded) loadEnded = Date.now();
        if (--open === 0) finish();
    });
}

function finish() {
    const seconds = loadStarted === null ? 0 : (loadEnded - loadStarted) / 1000;
    const messages = totals.requests + totals.responses;
    process.stdout.write(
        JSON.stringify({
            connections: totals.connections,
            helloOk: totals.helloOk,
            requests: totals.requests,
            responses: totals.responses,
            seconds,
            messagesPerSecond: seconds > 0 ? Math.round(messages / seconds) : 0,
            closes: totals.closes,
        }) + '\n'
    );
    process.exit(totals.helloOk === opts.connections ? 0 : 1);
}

setTimeout(() => {
    process.stderr.write('load: deadline passed\n');
    finish();
}, (opts.duration + 20) * 1000).unref();

for (let i = 0; i < opts.connections; i++) runConnection();
