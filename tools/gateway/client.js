#!/usr/bin/env node
'use strict';
// The reference client: connects to a gateway (the reference one or a real one) and behaves as one
// scenario says, right or wrong, then prints one JSON line with what happened and exits (8 s at most).
//
// Usage: NODE_PATH=/usr/share/nodejs node tools/gateway/client.js --port P
//          (--scenario NAME | --raw RULE) [--host 127.0.0.1] [--identity FILE] [--token T]
//          [--password P] [--protocol 3] [--deflate on|off] [--hold MS] [--list]

const crypto = require('node:crypto');
const net = require('node:net');
const path = require('node:path');
const WebSocket = require('ws');
const proof = require('./proof');

const VERSION = '2026.3.13';
const IDENTITIES = path.join(__dirname, 'identities');
const DEADLINE_MS = 8000; // and --hold: an accepted client closes that long after hello-ok (default 100 ms)

// Each scenario: what it does and the cause the reference gateway (started with --token) answers.
const SCENARIOS = {
    'good-v3': 'CLI (client.id cli, mode cli) signs v3 -> accepted',
    'good-v2': 'Control UI (openclaw-control-ui, mode ui, Origin header) signs v2 -> accepted',
    'good-v3-ios': 'iOS app, Apple-form identity, platform "iOS 18.3", deviceFamily "iPhone", signs v3 -> accepted',
    'node-android': 'Android app as role node, Android-form identity, signs v3 -> accepted',
    'v1': 'signs the removed v1 form -> device-signature-invalid',
    'bare-nonce': 'signs the bare challenge nonce -> device-signature-invalid',
    'nonce-ts': 'signs "nonce:ts" -> device-signature-invalid',
    'wrong-token-slot': 'sends auth.token and auth.deviceToken, signs v3 with the device token -> device-signature-invalid',
    'unnormalized-platform': 'sends platform "  Linux ", signs it untrimmed and uppercase -> device-signature-invalid',
    'reordered-scopes': 'signs the scopes sorted, sends them in another order -> device-signature-invalid',
    'protocol-4': 'offers protocol 4..4 (the NAS report), good v3 proof -> protocol-mismatch (1002)',
    'wrong-nonce': 'signs and sends a nonce that is not the challenge -> device-nonce-mismatch',
    'empty-nonce': 'sends a blank device.nonce -> device-nonce-required',
    'stale-signed-at': 'signedAt 10 minutes old -> device-signature-expired',
    'device-id-mismatch': 'device.id is not the SHA-256 of the public key -> device-identity-mismatch',
    'bad-public-key': 'a random 31-byte public key whose SHA-256 is the device.id, a random signature -> device-signature-invalid',
    'spki-public-key': 'the public key as its 44-byte SPKI DER (base64url), device.id its SHA-256, signed -> device-signature-invalid',
    'pem-public-key': 'the public key as a PEM (SPKI), signed -> accepted',
    'padded-public-key': 'the raw public key as padded standard base64, signed -> accepted',
    'short-public-key': 'the first 31 bytes of the raw key, device.id their SHA-256, signed -> device-signature-invalid',
    'long-public-key': 'the raw key and one byte more (33), device.id their SHA-256, signed -> accepted',
    'stale-nonce': 'two connections: the second signs and sends the first one\'s challenge nonce -> device-nonce-mismatch (the first then connects: accepted)',
    'unpaired-device': 'an unpaired device behind a proxy (X-Forwarded-For: not local) -> pairing-required',
    'wrong-token': 'good v3 proof over a wrong shared token -> unauthorized',
    'no-device': 'shared token, no device -> accepted with no scopes (then "missing scope: operator.read")',
    'no-device-no-token': 'no token, no device -> device-identity-required',
    'timeout': 'never sends the connect within 3 s -> handshake-timeout (1000)',
    'fragmented-connect': 'good v3 connect sent as 4 WebSocket fragments -> accepted',
    'tiny-frames': 'good v3 connect frame written 1-3 bytes per TCP segment -> accepted',
    'not-json': 'first message is not JSON -> invalid-request-frame (1000, no reason)',
    'not-req': 'first message is JSON but not a req frame -> invalid-request-frame (1008)',
    'first-not-connect': 'first req is "health" -> invalid-handshake',
    'bad-params': 'client.id "my-bot" is not an allowed id -> invalid-connect-params',
    'bad-role': 'role "admin" -> invalid-role ("invalid role")',
    'big-preauth': 'a 70 KiB message before connect -> message-too-big (1009 from ws)',
    'invalid-utf8': 'a text message with invalid UTF-8 -> invalid-utf8 (1007 from ws)',
    'origin-not-allowed': 'Control UI opened as http://nas.local:18789 (Origin neither loopback nor the Host), signs v2 -> origin-not-allowed',
    'control-ui-no-device': 'Control UI with the shared token and no device (a page without a secure context) -> device-identity-required',
    'repeated-unauthorized': 'shared token, no device, then 11 health requests refused for scope -> gateway-closed (1008 "repeated unauthorized calls")',
    'ui-connect-failed': 'Control UI gets the challenge and closes 4008 "connect failed" without a connect -> client-closed',
    'busy-gateway': 'good v3 connect at once to a gateway started with --slow-connect 4000 -> handshake-timeout (1000)',
    'gateway-restart': 'good v3, held open; the gateway is stopped (SIGTERM) -> gateway-closed (1012 "service restart")',
    'gateway-killed': 'good v3, held open; the gateway process is killed (SIGKILL) -> connection-dropped (no close frame)',
    'tls-client': 'a TLS ClientHello (a wss:// client) on the plain port; node answers HTTP 400 -> not-websocket',
    'chat-invalid-utf8': 'good v3, 20 health requests, then a text message with invalid UTF-8 -> invalid-utf8 (1007 from ws after hello-ok)',
    'runtime-token': 'a current CLI (4..4) sends auth.approvalRuntimeToken, which 2026.3.13 does not know -> invalid-connect-params',
    'device-token-mismatch': 'a paired device sends a stale auth.deviceToken and no shared token -> unauthorized',
    'rate-limited': 'the right token after failed attempts from the same address (gateway --rate-limit) -> unauthorized',
};
// Scenarios against a gateway started with --profile current (run-scenarios.sh runs them apart).
const CURRENT_SCENARIOS = {
    'current-good-v3': 'a current CLI offers 4..4, signs v3 -> accepted',
    'current-runtime-token': 'a current CLI sends auth.approvalRuntimeToken, which the current schema knows -> accepted',
    'current-old-cli': 'a 2026.3.13 CLI offers 3..3 -> protocol-mismatch (1002, details with both ranges)',
    'current-old-macos-app': 'a 2026.3.13 macOS app offers 3..3 -> protocol-mismatch (1002)',
    'current-stale-control-ui': 'a Control UI page of the old build offers 3..3 -> protocol-mismatch (UNAVAILABLE, reload, 1008)',
    'current-probe-3': 'a probe client offers 3..3, let in above the minimum probe protocol -> accepted',
    'current-legacy-node': 'an Android node offers 3..3, let in one version back -> accepted',
    'current-unpaired-remote': 'an unpaired device behind a proxy (X-Forwarded-For) -> pairing-required (not-paired)',
    'current-scope-upgrade': 'a paired device behind a proxy asks for more scopes than approved -> pairing-required (scope-upgrade, close reason cut)',
    'current-device-token-mismatch': 'a paired device sends a stale auth.deviceToken -> unauthorized (AUTH_DEVICE_TOKEN_MISMATCH)',
    'current-rate-limited': 'the right token after failed attempts from the same address -> unauthorized (AUTH_RATE_LIMITED)',
    'current-starting': 'connects while the gateway is starting (gateway --starting) -> gateway-starting (1013)',
};
const CURRENT_VERSION = '2026.12.0';
// Scenarios that need a gateway of their own (started slow, stopped or killed mid-session) or make no
// WebSocket at all: run-scenarios.sh runs them in its extras, never against the shared gateway.
const OWN_GATEWAY = new Set(['busy-gateway', 'gateway-restart', 'gateway-killed', 'tls-client']);
const RAW_RULES = {
    'client-frame-unmasked': 'the connect in an unmasked frame -> 1002',
    'rsv-without-extension': 'the connect with RSV1 set, no extension negotiated -> 1002',
    'reserved-opcode': 'the connect with opcode 0x3 -> 1002',
    'continuation-without-start': 'the connect as a continuation frame with no message open -> 1002',
    'data-frame-inside-fragmented-message': 'a text frame while a fragmented text message is open -> 1002',
    'control-frame-fragmented': 'a ping with FIN clear -> 1002',
    'control-frame-too-long': 'a ping with 126 bytes of payload -> 1002',
    'close-payload-one-byte': 'a close frame with a 1-byte payload -> 1002',
    'invalid-close-code': 'a close frame with code 1005 -> 1002',
    'invalid-utf8': 'the connect with invalid UTF-8 in client.displayName -> 1007',
    'non-minimal-length': 'the connect with a 64-bit length for a short payload -> accepted (ws allows it)',
    'message-too-big': 'a 70 KiB text frame before connect -> 1009',
};

// The cause a description promises: the word after "->" (raw rules name the close code instead).
function expectedCause(description) {
    const word = description.split('->')[1].trim().split(' ')[0];
    return { 1002: 'frame-violation', 1007: 'invalid-utf8', 1009: 'message-too-big' }[word] || word;
}

// ---------------------------------------------------------------------------------------------------

function usage(message) {
    if (message) process.stderr.write(`client: ${message}\n`);
    process.stderr.write(
        'usage: client.js --port P (--scenario NAME | --raw RULE) [--host H] [--identity FILE] [--token T]\n' +
            '                 [--password P] [--protocol N] [--deflate on|off] [--hold MS] [--list]\n'
    );
    process.exit(64);
}

function parseOptions(argv) {
    const o = { host: '127.0.0.1', port: null, scenario: null, raw: null, identity: null, token: null, password: null, protocol: 3, deflate: true, hold: 100 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case '--host': o.host = value(); break;
            case '--port': o.port = Number(value()); break;
            case '--scenario': o.scenario = value(); break;
            case '--raw': o.raw = value(); break;
            case '--identity': o.identity = value(); break;
            case '--token': o.token = value(); break;
            case '--password': o.password = value(); break;
            case '--protocol': o.protocol = Number(value()); break;
            case '--deflate': o.deflate = value() === 'on'; break;
            case '--hold': o.hold = Number(value()); break;
            case '--list-json':
                for (const [k, v] of Object.entries(CURRENT_SCENARIOS)) console.log(JSON.stringify({ name: k, cause: expectedCause(v), description: v, profile: 'current' }));
                for (const [k, v] of Object.entries(SCENARIOS)) console.log(JSON.stringify({ name: k, cause: expectedCause(v), description: v }));
                for (const [k, v] of Object.entries(RAW_RULES)) console.log(JSON.stringify({ name: `raw-${k}`, cause: expectedCause(v), description: v }));
                process.exit(0);
            // falls through (never reached)
            case '--list':
                // Scenarios that need a gateway of their own (run-scenarios.sh's extras) are in --list-json only.
                for (const [k, v] of Object.entries(SCENARIOS)) if (!OWN_GATEWAY.has(k)) console.log(`${k.padEnd(24)} ${v}`);
                for (const [k, v] of Object.entries(RAW_RULES)) console.log(`--raw ${k.padEnd(38)} ${v}`);
                for (const [k, v] of Object.entries(CURRENT_SCENARIOS)) console.log(`--current ${k.padEnd(34)} ${v}`);
                process.exit(0);
            // falls through (never reached)
            default: usage(`unknown argument ${a}`);
        }
    }
    if (!Number.isInteger(o.port) || o.port <= 0) usage('--port is required');
    if (!Number.isInteger(o.hold) || o.hold < 0) usage('--hold takes milliseconds');
    if (!o.scenario === !o.raw) usage('give one of --scenario or --raw');
    if (o.scenario && !SCENARIOS[o.scenario] && !CURRENT_SCENARIOS[o.scenario]) usage(`unknown scenario ${o.scenario} (see --list)`);
    if (o.raw && !RAW_RULES[o.raw]) usage(`unknown raw rule ${o.raw} (see --list)`);
    return o;
}

const opts = parseOptions(process.argv.slice(2));
const started = Date.now();
const result = {
    scenario: opts.scenario || `raw-${opts.raw}`,
    clientPort: null,
    challenge: null,
    sent: null,
    res: null,
    closeCode: null,
    closeReason: null,
    closedBy: null,
};

function done(extra = {}) {
    Object.assign(result, extra, { elapsedMs: Date.now() - started });
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(result.timedOut ? 1 : 0);
}
setTimeout(() => done({ timedOut: true }), DEADLINE_MS + opts.hold).unref();

// ---------------------------------------------------------------------------------------------------
// The connect request

function defaultIdentity(s) {
    const byScenario = {
        'good-v2': 'control-ui.json',
        'origin-not-allowed': 'control-ui.json',
        'good-v3-ios': 'mobile-apple.json',
        'node-android': 'mobile-android.json',
        'unpaired-device': 'unpaired.json',
        'current-unpaired-remote': 'unpaired.json',
        'current-stale-control-ui': 'control-ui.json',
        'current-legacy-node': 'mobile-android.json',
    };
    return path.join(IDENTITIES, byScenario[s] || 'cli.json');
}

// Builds the connect params for scenario `s` answering the challenge {nonce, ts}, with its device proof.
function connectParams(s, challenge) {
    const id = proof.loadIdentity(opts.identity || defaultIdentity(s));
    const token = opts.token;
    const current = s.startsWith('current-');
    // A current client offers 4..4; the scenarios of old clients keep 2026.3.13's 3..3.
    const old = ['current-old-cli', 'current-old-macos-app', 'current-stale-control-ui', 'current-probe-3', 'current-legacy-node'].includes(s);
    const newClient = (current && !old) || s === 'runtime-token';
    let params = proof.cliConnectParams(newClient ? CURRENT_VERSION : VERSION, newClient ? 4 : opts.protocol);
    if (token !== null) params.auth = { token };
    if (opts.password !== null) params.auth = { ...(params.auth || {}), password: opts.password };
    let form = 'v3';
    let signedAt = Date.now();
    let nonce = challenge.nonce;
    let deviceId = id.deviceId;
    let publicKey = proof.base64UrlEncode(id.publicKeyRaw);
    let payload = null; // when set, signed as is instead of the form built from the params

    switch (s) {
        case 'runtime-token':
        case 'current-runtime-token':
            params.auth = { ...(params.auth || {}), approvalRuntimeToken: 'art-' + proof.base64UrlEncode(crypto.randomBytes(18)) };
            break;
        case 'device-token-mismatch':
        case 'current-device-token-mismatch':
            params.auth = { deviceToken: 'stale-' + proof.base64UrlEncode(crypto.randomBytes(24)) };
            break;
        case 'current-old-macos-app':
            params.client = { id: 'openclaw-macos', displayName: 'Mac', version: VERSION, platform: 'macOS 15.3', deviceFamily: 'Mac', mode: 'ui' };
            params.userAgent = `OpenClaw/${VERSION} (macOS 15.3)`;
            break;
        case 'current-stale-control-ui':
            params.client = { id: 'openclaw-control-ui', version: VERSION, platform: 'Linux x86_64', mode: 'ui', instanceId: crypto.randomUUID() };
            params.userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Safari/537.36';
            form = 'v2';
            break;
        case 'current-probe-3':
            params.client = { id: 'openclaw-probe', version: VERSION, platform: 'linux', mode: 'probe' };
            break;
        case 'current-legacy-node':
            params.client = { id: 'openclaw-android', displayName: 'Pixel 8', version: VERSION, platform: 'Android 15', deviceFamily: 'Android', modelIdentifier: 'Pixel 8', mode: 'node' };
            params.role = 'node';
            params.scopes = [];
            params.caps = ['camera'];
            params.commands = ['camera.snap'];
            params.userAgent = `OpenClaw-Android/${VERSION}`;
            break;
        case 'good-v2':
        case 'origin-not-allowed':
        case 'control-ui-no-device':
        case 'ui-connect-failed':
            params.client = {
                id: 'openclaw-control-ui',
                version: VERSION,
                platform: 'Linux x86_64',
                mode: 'ui',
                instanceId: crypto.randomUUID(),
            };
            params.userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Safari/537.36';
            form = 'v2';
            if (s === 'control-ui-no-device') return params;
            break;
        case 'good-v3-ios':
            params.client = {
                id: 'openclaw-ios',
                displayName: 'iPhone',
                version: VERSION,
                platform: 'iOS 18.3',
                deviceFamily: 'iPhone',
                modelIdentifier: 'iPhone16,2',
                mode: 'ui',
            };
            params.userAgent = `OpenClaw/${VERSION} (iOS 18.3)`;
            break;
        case 'node-android':
            params.client = {
                id: 'openclaw-android',
                displayName: 'Pixel 8',
                version: VERSION,
                platform: 'Android 15',
                deviceFamily: 'Android',
                modelIdentifier: 'Pixel 8',
                mode: 'node',
            };
            params.role = 'node';
            params.scopes = [];
            params.caps = ['camera', 'location', 'notifications'];
            params.commands = ['camera.snap', 'location.get'];
            params.userAgent = `OpenClaw-Android/${VERSION}`;
            break;
        case 'v1':
            form = 'v1';
            break;
        case 'bare-nonce':
            payload = challenge.nonce;
            break;
        case 'nonce-ts':
            payload = `${challenge.nonce}:${challenge.ts}`;
            break;
        case 'wrong-token-slot':
            params.auth = { token, deviceToken: 'dt-' + proof.base64UrlEncode(crypto.randomBytes(24)) };
            payload = proof.buildPayload('v3', { ...proof.fieldsFromParams(params), token: params.auth.deviceToken });
            break;
        case 'unnormalized-platform':
            params.client.platform = '  Linux ';
            break; // the payload is patched below, once the device fields are in
        case 'reordered-scopes':
            params.scopes = ['operator.read', 'operator.write', 'operator.admin'];
            break;
        case 'protocol-4':
            params.minProtocol = 4;
            params.maxProtocol = 4;
            break;
        case 'wrong-nonce':
            nonce = crypto.randomUUID();
            break;
        case 'empty-nonce':
            nonce = '   ';
            break;
        case 'stale-signed-at':
            signedAt -= 10 * 60 * 1000;
            break;
        case 'device-id-mismatch':
            deviceId = proof.loadIdentity(path.join(IDENTITIES, 'unpaired.json')).deviceId;
            break;
        case 'bad-public-key': {
            const raw = crypto.randomBytes(31);
            publicKey = proof.base64UrlEncode(raw);
            deviceId = proof.deviceIdFromRawKey(raw);
            break;
        }
        case 'spki-public-key': {
            const der = id.publicKey.export({ format: 'der', type: 'spki' });
            publicKey = proof.base64UrlEncode(der);
            deviceId = proof.deviceIdFromRawKey(der);
            break;
        }
        case 'pem-public-key':
            publicKey = id.publicKey.export({ format: 'pem', type: 'spki' });
            break;
        case 'padded-public-key':
            publicKey = id.publicKeyRaw.toString('base64');
            break;
        case 'short-public-key':
        case 'long-public-key': {
            const bytes = s === 'short-public-key' ? id.publicKeyRaw.subarray(0, 31) : Buffer.concat([id.publicKeyRaw, Buffer.from([0])]);
            publicKey = proof.base64UrlEncode(bytes);
            deviceId = proof.deviceIdFromRawKey(bytes);
            break;
        }
        case 'stale-nonce':
            nonce = challenge.earlierNonce;
            break;
        case 'wrong-token':
            params.auth = { token: `${token ?? ''}-not-the-gateway-token` };
            break;
        case 'bad-params':
            params.client.id = 'my-bot';
            break;
        case 'bad-role':
            params.role = 'admin';
            break;
        case 'no-device':
        case 'repeated-unauthorized':
            return params;
        case 'no-device-no-token':
            delete params.auth;
            return params;
        default:
            break;
    }
    params.device = { id: deviceId, publicKey, signature: '', signedAt, nonce };
    const fields = proof.fieldsFromParams(params);
    if (s === 'reordered-scopes') fields.scopes = [...params.scopes].sort();
    if (payload === null) payload = proof.buildPayload(form, fields);
    if (s === 'unnormalized-platform') {
        const parts = payload.split('|');
        parts[parts.length - 2] = params.client.platform;
        payload = parts.join('|');
    }
    params.device.signature = s === 'bad-public-key' ? proof.base64UrlEncode(crypto.randomBytes(64)) : proof.sign(payload, id.privateKey);
    return params;
}

function connectFrame(s, challenge) {
    return { type: 'req', id: crypto.randomUUID(), method: 'connect', params: connectParams(s, challenge) };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios over the ws client

function runScenario(s) {
    const headers = {};
    if (['unpaired-device', 'current-unpaired-remote', 'current-scope-upgrade'].includes(s)) headers['X-Forwarded-For'] = '203.0.113.7';
    const wsOptions = { perMessageDeflate: opts.deflate, headers, handshakeTimeout: 3000 };
    if (['good-v2', 'current-stale-control-ui', 'control-ui-no-device', 'ui-connect-failed'].includes(s)) {
        wsOptions.origin = `http://${opts.host}:${opts.port}`;
    }
    if (s === 'origin-not-allowed') wsOptions.origin = 'http://nas.local:18789';
    const ws = new WebSocket(`ws://${opts.host}:${opts.port}`, wsOptions);
    let connectId = null;
    let healthId = null;

    ws.on('open', () => {
        result.clientPort = ws._socket.localPort;
    });
    ws.on('unexpected-response', (req, res) => done({ upgradeStatus: res.statusCode }));
    ws.on('error', (err) => {
        result.error = err.message;
    });
    ws.on('close', (code, reason) => {
        result.closeCode = code;
        result.closeReason = reason.toString();
        if (result.closedBy === null) result.closedBy = 'gateway';
        done();
    });
    ws.on('message', (data) => {
        const msg = parseMessage(data);
        if (msg === null) return;
        if (msg.type === 'event' && msg.event === 'connect.challenge' && result.challenge === null) {
            result.challenge = msg.payload;
            if (s === 'ui-connect-failed') {
                // The Control UI's own close when its connect fails (CONNECT_FAILED_CLOSE_CODE, ui/src/ui/gateway.ts).
                result.closedBy = 'client';
                result.sent = 'close 4008 "connect failed"';
                ws.close(4008, 'connect failed');
                return;
            }
            onChallenge(ws, s, msg.payload, (id) => (connectId = id));
        } else if (msg.type === 'res' && msg.id === connectId) {
            result.res = { ok: msg.ok };
            if (msg.ok) {
                const p = msg.payload || {};
                Object.assign(result.res, {
                    type: p.type,
                    protocol: p.protocol,
                    deviceToken: Boolean(p.auth && p.auth.deviceToken),
                    scopes: p.auth ? p.auth.scopes : [],
                });
                if (s === 'repeated-unauthorized') {
                    refusedCalls(ws, 11);
                } else if (s === 'gateway-restart' || s === 'gateway-killed') {
                    result.sent = 'a good v3 connect, then nothing: the connection is held until the gateway goes';
                } else if (s === 'no-device') {
                    healthId = crypto.randomUUID();
                    ws.send(JSON.stringify({ type: 'req', id: healthId, method: 'health', params: {} }));
                } else if (s === 'chat-invalid-utf8') {
                    chatThenInvalidUTF8(ws, 20);
                } else {
                    closeSoon(ws);
                }
            } else {
                result.res.error = msg.error;
            }
        } else if (msg.type === 'res' && msg.id === healthId) {
            result.health = msg.ok ? { ok: true } : { ok: false, error: msg.error };
            closeSoon(ws);
        }
    });
}

// After a connect without scopes: `count` health requests, one at a time, each refused "missing scope".
function refusedCalls(ws, count) {
    let sent = 0;
    const ask = () => {
        sent += 1;
        ws.send(JSON.stringify({ type: 'req', id: crypto.randomUUID(), method: 'health', params: {} }));
    };
    ws.on('message', (data) => {
        const msg = parseMessage(data);
        if (msg === null || msg.type !== 'res' || msg.payload?.type === 'hello-ok') return;
        if (sent < count) ask();
    });
    result.sent = `${count} health requests without scopes`;
    ask();
}

// A wss:// client on a plain port: a TLS ClientHello, answered by node's HTTP parser with a 400 and a close.
function runTlsClient() {
    const tls = require('node:tls');
    const socket = tls.connect({ host: opts.host, port: opts.port, servername: 'gateway.local', rejectUnauthorized: false });
    socket.on('connect', () => {
        result.clientPort = socket.localPort;
        result.sent = 'a TLS ClientHello';
    });
    socket.on('error', (err) => {
        result.error = err.message;
    });
    socket.on('close', () => done({ closedBy: 'gateway' }));
}

// A gateway message as JSON, or null when it is not JSON.
function parseMessage(data) {
    try {
        return JSON.parse(data.toString());
    } catch {
        return null;
    }
}

// Chat after hello-ok: `count` health requests, one at a time, then a text message holding C3 28 (a lead byte
// without its continuation byte), which the gateway's ws answers with 1007.
function chatThenInvalidUTF8(ws, count) {
    let answered = 0;
    const ask = () => ws.send(JSON.stringify({ type: 'req', id: crypto.randomUUID(), method: 'health', params: {} }));
    ws.on('message', (data) => {
        const msg = parseMessage(data);
        if (msg === null || msg.type !== 'res' || msg.payload?.type === 'hello-ok') return;
        answered += 1;
        if (answered < count) return ask();
        if (answered === count) {
            result.sent = `${count} health requests, then a text message with bytes C3 28`;
            ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
        }
    });
    ask();
}

function closeSoon(ws) {
    setTimeout(() => {
        result.closedBy = 'client';
        ws.close(1000);
    }, opts.hold);
}

function onChallenge(ws, s, challenge, setId) {
    const send = (text) => {
        result.sent = text.length > 200 ? `${text.slice(0, 200)}... (${text.length} bytes)` : text;
        ws.send(text);
    };
    switch (s) {
        case 'timeout':
            // Waits past the gateway's 3 s; the gateway closes first. Sent only if it has not.
            setTimeout(() => {
                if (ws.readyState === WebSocket.OPEN) {
                    const f = connectFrame('good-v3', challenge);
                    setId(f.id);
                    send(JSON.stringify(f));
                }
            }, 3500);
            return;
        case 'not-json':
            return send('hello gateway');
        case 'not-req': {
            // A hand-written client's mistake: the connect params without the req envelope.
            const f = connectFrame('good-v3', challenge);
            return send(JSON.stringify({ type: 'connect', params: f.params }));
        }
        case 'first-not-connect': {
            const id = crypto.randomUUID();
            setId(id);
            return send(JSON.stringify({ type: 'req', id, method: 'health', params: {} }));
        }
        case 'big-preauth': {
            const f = connectFrame('good-v3', challenge);
            setId(f.id);
            f.params.client.displayName = 'x'.repeat(70 * 1024);
            return send(JSON.stringify(f));
        }
        case 'invalid-utf8': {
            const f = connectFrame('good-v3', challenge);
            setId(f.id);
            const text = JSON.stringify(f).replace('"openclaw cli"', '"openclaw \u0001cli"');
            // C3 28 is not UTF-8: a lead byte followed by no continuation byte.
            const buf = Buffer.from(text, 'utf8');
            const at = buf.indexOf(0x01);
            const bad = Buffer.concat([buf.subarray(0, at), Buffer.from([0xc3, 0x28]), buf.subarray(at + 1)]);
            result.sent = 'connect with bytes C3 28 in client.displayName';
            return ws.send(bad, { binary: false });
        }
        case 'fragmented-connect': {
            const f = connectFrame('good-v3', challenge);
            setId(f.id);
            const text = JSON.stringify(f);
            const n = 4;
            const size = Math.ceil(text.length / n);
            result.sent = `connect in ${n} fragments`;
            for (let i = 0; i < n; i++) {
                ws.send(text.slice(i * size, (i + 1) * size), { fin: i === n - 1, compress: false });
            }
            return;
        }
        case 'tiny-frames': {
            const f = connectFrame('good-v3', challenge);
            setId(f.id);
            const frame = encodeFrame({ opcode: 1, payload: Buffer.from(JSON.stringify(f)) });
            result.sent = `connect frame of ${frame.length} bytes written 1-3 bytes per segment`;
            writeTiny(ws._socket, frame);
            return;
        }
        default: {
            const f = connectFrame(s, challenge);
            setId(f.id);
            send(JSON.stringify(f));
        }
    }
}

// Writes `bytes` to the socket 1, 2 or 3 bytes at a time, 1 ms apart, with Nagle off: one TCP segment each.
function writeTiny(socket, bytes) {
    socket.setNoDelay(true);
    let at = 0;
    let i = 0;
    const step = () => {
        if (at >= bytes.length || socket.destroyed) return;
        const n = (i++ % 3) + 1;
        socket.write(bytes.subarray(at, at + n));
        at += n;
        setTimeout(step, 1);
    };
    step();
}

// ---------------------------------------------------------------------------------------------------
// Raw mode: the upgrade and the frames by hand, to break one RFC 6455 rule.

// One frame. `length64` writes the length in the 64-bit form whatever it is (non-minimal when short).
function encodeFrame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0), mask = true, length64 = false }) {
    const len = payload.length;
    const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
    const m = mask ? 0x80 : 0;
    if (length64 || len > 0xffff) {
        head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
    } else if (len > 125) {
        head.push(m | 126, (len >>> 8) & 0xff, len & 0xff);
    } else {
        head.push(m | len);
    }
    if (!mask) return Buffer.concat([Buffer.from(head), payload]);
    const key = crypto.randomBytes(4);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
    return Buffer.concat([Buffer.from(head), key, body]);
}

function closePayload(code, reason = '') {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

function runRaw(rule) {
    const sock = net.connect(opts.port, opts.host);
    sock.setNoDelay(true);
    const key = crypto.randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let connectId = null;
    let closeSent = false;

    sock.on('connect', () => {
        result.clientPort = sock.localPort;
        sock.write(
            `GET / HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
        );
    });
    sock.on('error', (err) => {
        result.error = err.message;
    });
    sock.on('close', () => done());
    sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (!upgraded) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) return;
            const head = buf.subarray(0, end).toString('latin1');
            buf = buf.subarray(end + 4);
            const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
            if (!/^HTTP\/1\.1 101/.test(head) || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
                result.upgradeStatus = head.split('\r\n')[0];
                sock.destroy();
                return;
            }
            upgraded = true;
        }
        for (;;) {
            const f = decodeFrame(buf);
            if (!f) break;
            buf = buf.subarray(f.size);
            onFrame(f);
        }
    });

    function sendClose(code, reason = '') {
        if (closeSent) return;
        closeSent = true;
        sock.write(encodeFrame({ opcode: 8, payload: code === null ? Buffer.alloc(0) : closePayload(code, reason) }));
    }

    function onFrame(f) {
        if (f.opcode === 8) {
            result.closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
            result.closeReason = f.payload.subarray(2).toString('utf8');
            if (result.closedBy === null) result.closedBy = 'gateway';
            sendClose(f.payload.length >= 2 ? result.closeCode : null, result.closeReason); // echo, then end our side
            sock.end();
            return;
        }
        if (f.opcode !== 1) return;
        let msg;
        try {
            msg = JSON.parse(f.payload.toString('utf8'));
        } catch {
            return;
        }
        if (msg.type === 'event' && msg.event === 'connect.challenge' && result.challenge === null) {
            result.challenge = msg.payload;
            const frame = connectFrame('good-v3', msg.payload);
            connectId = frame.id;
            breakRule(rule, Buffer.from(JSON.stringify(frame)));
        } else if (msg.type === 'res' && msg.id === connectId) {
            result.res = msg.ok ? { ok: true, type: msg.payload.type, protocol: msg.payload.protocol } : { ok: false, error: msg.error };
            if (msg.ok) {
                setTimeout(() => {
                    result.closedBy = 'client';
                    sendClose(1000);
                }, 100);
            }
        }
    }

    function breakRule(r, connect) {
        const w = (frame) => sock.write(frame);
        result.sent = RAW_RULES[r];
        switch (r) {
            case 'client-frame-unmasked':
                return w(encodeFrame({ opcode: 1, payload: connect, mask: false }));
            case 'rsv-without-extension':
                return w(encodeFrame({ opcode: 1, rsv: 4, payload: connect }));
            case 'reserved-opcode':
                return w(encodeFrame({ opcode: 3, payload: connect }));
            case 'continuation-without-start':
                return w(encodeFrame({ opcode: 0, payload: connect }));
            case 'data-frame-inside-fragmented-message': {
                const half = Math.floor(connect.length / 2);
                w(encodeFrame({ fin: false, opcode: 1, payload: connect.subarray(0, half) }));
                return w(encodeFrame({ opcode: 1, payload: connect.subarray(half) }));
            }
            case 'control-frame-fragmented':
                return w(encodeFrame({ fin: false, opcode: 9, payload: Buffer.from('ping') }));
            case 'control-frame-too-long':
                return w(encodeFrame({ opcode: 9, payload: Buffer.alloc(126, 0x70) }));
            case 'close-payload-one-byte':
                closeSent = true;
                return w(encodeFrame({ opcode: 8, payload: Buffer.from([0x03]) }));
            case 'invalid-close-code':
                closeSent = true;
                return w(encodeFrame({ opcode: 8, payload: closePayload(1005) }));
            case 'invalid-utf8': {
                const at = connect.indexOf('openclaw cli');
                const bad = Buffer.concat([connect.subarray(0, at + 9), Buffer.from([0xc3, 0x28]), connect.subarray(at + 9)]);
                return w(encodeFrame({ opcode: 1, payload: bad }));
            }
            case 'non-minimal-length':
                return w(encodeFrame({ opcode: 1, payload: connect, length64: true }));
            case 'message-too-big': {
                const j = JSON.parse(connect.toString());
                j.params.client.displayName = 'x'.repeat(70 * 1024);
                return w(encodeFrame({ opcode: 1, payload: Buffer.from(JSON.stringify(j)) }));
            }
            default:
                throw new Error(`unknown rule ${r}`);
        }
    }
}

// A server frame (unmasked). Returns null until the whole frame is in `buf`.
function decodeFrame(buf) {
    if (buf.length < 2) return null;
    let len = buf[1] & 0x7f;
    let at = 2;
    if (len === 126) {
        if (buf.length < 4) return null;
        len = buf.readUInt16BE(2);
        at = 4;
    } else if (len === 127) {
        if (buf.length < 10) return null;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
    }
    const masked = (buf[1] & 0x80) !== 0;
    const keyAt = at;
    if (masked) at += 4;
    if (buf.length < at + len) return null;
    const payload = Buffer.from(buf.subarray(at, at + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[keyAt + (i & 3)];
    return { fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload, size: at + len };
}

// stale-nonce: connection A gets its challenge and waits; connection B gets its own, then signs and sends A's
// nonce (the gateway closes B); then A sends a good connect and, accepted, is closed by the client. A's challenge
// is the earlier one and A ends last. The result is B's, with A's under `earlier`.
function runStaleNonce() {
    const url = `ws://${opts.host}:${opts.port}`;
    const wsOptions = { perMessageDeflate: opts.deflate, handshakeTimeout: 3000 };
    const earlier = { clientPort: null, challenge: null, res: null, closeCode: null, closeReason: null, closedBy: null };
    result.earlier = earlier;
    let bClosed = false;
    let aEnded = false;
    const finish = () => {
        if (bClosed && aEnded) done();
    };
    const a = new WebSocket(url, wsOptions);
    let aConnectId = null;
    a.on('open', () => (earlier.clientPort = a._socket.localPort));
    a.on('error', (err) => (earlier.error = err.message));
    a.on('close', (code, reason) => {
        earlier.closeCode = code;
        earlier.closeReason = reason.toString();
        if (earlier.closedBy === null) earlier.closedBy = 'gateway';
        aEnded = true;
        finish();
    });
    const connectA = () => {
        const f = connectFrame('good-v3', earlier.challenge);
        aConnectId = f.id;
        a.send(JSON.stringify(f));
    };
    a.on('message', (data) => {
        const msg = parseMessage(data);
        if (msg === null) return;
        if (msg.type === 'event' && msg.event === 'connect.challenge' && earlier.challenge === null) {
            earlier.challenge = msg.payload;
            openB();
        } else if (msg.type === 'res' && msg.id === aConnectId) {
            earlier.res = { ok: msg.ok };
            if (msg.ok) {
                setTimeout(() => {
                    earlier.closedBy = 'client';
                    a.close(1000);
                }, 100);
            } else {
                earlier.res.error = msg.error;
            }
        }
    });
    const openB = () => {
        const b = new WebSocket(url, wsOptions);
        let bConnectId = null;
        b.on('open', () => (result.clientPort = b._socket.localPort));
        b.on('error', (err) => (result.error = err.message));
        b.on('close', (code, reason) => {
            result.closeCode = code;
            result.closeReason = reason.toString();
            if (result.closedBy === null) result.closedBy = 'gateway';
            bClosed = true;
            connectA();
            finish();
        });
        b.on('message', (data) => {
            const msg = parseMessage(data);
            if (msg === null) return;
            if (msg.type === 'event' && msg.event === 'connect.challenge' && result.challenge === null) {
                result.challenge = msg.payload;
                const f = connectFrame('stale-nonce', { ...msg.payload, earlierNonce: earlier.challenge.nonce });
                bConnectId = f.id;
                result.sent = `connect signed over connection ${earlier.clientPort}'s challenge nonce`;
                b.send(JSON.stringify(f));
            } else if (msg.type === 'res' && msg.id === bConnectId) {
                result.res = { ok: msg.ok, error: msg.error };
            }
        });
    };
}

if (opts.raw) runRaw(opts.raw);
else if (opts.scenario === 'stale-nonce') runStaleNonce();
else if (opts.scenario === 'tls-client') runTlsClient();
else runScenario(opts.scenario);
