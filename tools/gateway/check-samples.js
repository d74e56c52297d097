'use strict';
// Checks with tshark that each capture listed in an expected.json holds what the entry claims, read from
// the wire by another dissector: per connection, the gateway's connect.challenge, the first close frame of
// the side that closed with the logged code and reason, and the res the cause implies.
// Usage: node tools/gateway/check-samples.js [samples/expected.json]     (exit 1 on any difference)

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const expectedPath = process.argv[2] || path.join(__dirname, '..', '..', 'samples', 'expected.json');
const dir = path.dirname(expectedPath);
const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));

// Causes the gateway reaches without sending a res first.
const NO_RES = new Set(['handshake-timeout', 'frame-violation', 'invalid-utf8', 'message-too-big', 'invalid-request-frame', 'client-closed']);
// Causes of a connection the gateway accepted first (its hello-ok is on the wire).
const AFTER_HELLO = new Set(['accepted', 'gateway-closed', 'connection-dropped']);

function frames(file) {
    const out = execFileSync(
        'tshark',
        [
            '-r', file, '-Y', 'websocket', '-T', 'json',
            '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'websocket.opcode',
            '-e', 'websocket.payload.close.status_code', '-e', 'websocket.payload.close.reason',
            '-e', 'websocket.payload.text',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }
    );
    return JSON.parse(out).map((p) => {
        const l = p._source.layers;
        return {
            src: Number(l['tcp.srcport'][0]),
            dst: Number(l['tcp.dstport'][0]),
            opcodes: (l['websocket.opcode'] || []).map(Number),
            codes: (l['websocket.payload.close.status_code'] || []).map(Number),
            reasons: l['websocket.payload.close.reason'] || [],
            texts: l['websocket.payload.text'] || [],
        };
    });
}

let failures = 0;
let checked = 0;
for (const [file, entry] of Object.entries(expected)) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) {
        console.log(`FAIL  ${file}: missing`);
        failures++;
        continue;
    }
    const size = fs.statSync(full).size;
    const all = frames(full);
    const conns = entry.connections || [entry];
    const problems = [];
    for (const c of conns) {
        const gw = c.gatewayPort;
        const cl = c.clientPort;
        const mine = all.filter((f) => (f.src === gw && f.dst === cl) || (f.src === cl && f.dst === gw));
        const fromGw = mine.filter((f) => f.src === gw);
        const tag = conns.length > 1 ? `${c.scenario}:${cl} ` : '';
        if (c.cause === 'not-websocket') {
            // No WebSocket at all (a TLS client on the plain port): no frame to check.
            continue;
        }
        if (!fromGw.some((f) => f.texts.some((t) => t.includes('"connect.challenge"')))) problems.push(`${tag}no challenge`);
        const closer = c.closedBy === 'client' ? cl : gw;
        const close = mine.find((f) => f.src === closer && f.opcodes.includes(8));
        if (c.cause === 'connection-dropped') {
            if (mine.some((f) => f.opcodes.includes(8))) problems.push(`${tag}a close frame where none was sent`);
        } else if (!close) {
            problems.push(`${tag}no close frame from the ${c.closedBy}`);
        } else {
            const code = close.codes[0];
            const reason = close.reasons[0] || '';
            if (code !== c.closeCode || reason !== (c.closeReason || '')) {
                problems.push(`${tag}close ${code} ${JSON.stringify(reason)}, expected ${c.closeCode} ${JSON.stringify(c.closeReason)}`);
            }
        }
        const res = fromGw.flatMap((f) => f.texts).find((t) => t.startsWith('{"type":"res"'));
        if (AFTER_HELLO.has(c.cause)) {
            if (!res || !res.includes('"hello-ok"')) problems.push(`${tag}no hello-ok`);
        } else if (NO_RES.has(c.cause)) {
            if (res) problems.push(`${tag}a res where the cause has none`);
        } else if (!res || !res.includes('"ok":false') || !res.includes(JSON.stringify(c.message))) {
            problems.push(`${tag}no error res with ${JSON.stringify(c.message)}`);
        }
    }
    checked++;
    if (problems.length) failures++;
    const what = conns.length > 1 ? `${conns.length} connections` : `${entry.cause} ${entry.closeCode} ${JSON.stringify(entry.closeReason)}`;
    console.log(`${problems.length ? 'FAIL' : 'ok  '}  ${file.padEnd(46)} ${String(size).padStart(6)} B  ${what}${problems.length ? ` <-- ${problems.join('; ')}` : ''}`);
}
console.log(`${checked} captures checked, ${failures} with differences`);
process.exit(failures ? 1 : 0);
