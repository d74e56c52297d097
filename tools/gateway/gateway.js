#!/usr/bin/env node
'use strict';
// The reference gateway: the OpenClaw Gateway 2026.3.13 connect handshake, as the protocol doc
// (../shared/docs/gateway-protocol.md) describes it, on the `ws` library the real gateway runs on.
// A test tool for wssniff, not part of it. Written from the doc, not from OpenClaw's source.
//
// Usage: NODE_PATH=/usr/share/nodejs node tools/gateway/gateway.js [--port 0] [--host 127.0.0.1]
//          [--protocol 3|4] [--token T] [--password P] [--paired id,id|paired.json] [--no-local-auto-pair]
//          [--deflate on|off] [--allowed-origin URL]... [--slow-connect MS] [--log FILE]
//          [--profile 2026.3.13|current] [--starting] [--approved-scopes a,b] [--rate-limit N]
// Prints "listening PORT" on stdout when ready; one JSON line per connection to --log FILE (or stderr).

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { WebSocketServer } = require('ws');
const proof = require('./proof');

const VERSION = '2026.3.13';
const HANDSHAKE_TIMEOUT_MS = 3000;
const MAX_PREAUTH_PAYLOAD = 64 * 1024;
const MAX_PAYLOAD = 25 * 1024 * 1024;
const MAX_BUFFERED_BYTES = 2 * MAX_PAYLOAD;
const TICK_INTERVAL_MS = 30000;
const UNAUTHORIZED_CLOSE_AFTER = 10;
const SIGNATURE_SKEW_MS = 120000;
const CLOSE_REASON_MAX_BYTES = 120;

// --profile current: today's upstream (openclaw/openclaw main; docs/gateway-versions.md pins the commits).
// Protocol 4, probes and legacy nodes let in from 3 (src/gateway/server/ws-connection/connect-admission.ts,
// packages/gateway-protocol/src/version.ts); a 15 s pre-auth timeout (src/gateway/handshake-timeouts.ts); the startup
// refusal (connect-admission.ts); detail codes and pairing texts (packages/gateway-protocol/src/connect-error-details.ts).
// `version` stands for a release after 2026.3.13: any such server.version selects wssniff's current profile.
const CURRENT = {
    protocol: 4,
    minProbeProtocol: 3,
    minNodeProtocol: 3,
    handshakeTimeoutMs: 15000,
    version: '2026.12.0',
    startupRetryAfterMs: 500,
    authFields: ['approvalRuntimeToken', 'agentRuntimeIdentityToken'],
};
const PAIRING_REQUIREMENTS = {
    'not-paired': 'device is not approved yet',
    'role-upgrade': 'device is asking for a higher role than currently approved',
    'scope-upgrade': 'device is asking for more scopes than currently approved',
    'metadata-upgrade': 'device identity changed and must be re-approved',
};

const CLIENT_IDS = [
    'webchat-ui',
    'openclaw-control-ui',
    'webchat',
    'cli',
    'gateway-client',
    'openclaw-macos',
    'openclaw-ios',
    'openclaw-android',
    'node-host',
    'test',
    'fingerprint',
    'openclaw-probe',
];
const CLIENT_MODES = ['webchat', 'cli', 'ui', 'backend', 'node', 'probe', 'test'];

// ---------------------------------------------------------------------------------------------------
// Options

function usage(message) {
    if (message) process.stderr.write(`gateway: ${message}\n`);
    process.stderr.write(
        'usage: gateway.js [--port N] [--host H] [--protocol 3|4] [--token T] [--password P]\n' +
            '                  [--paired id,id|FILE] [--no-local-auto-pair] [--deflate on|off]\n' +
            '                  [--allowed-origin URL]... [--slow-connect MS] [--log FILE]\n' +
            '                  [--profile 2026.3.13|current] [--starting] [--approved-scopes a,b] [--rate-limit N]\n'
    );
    process.exit(64);
}

function parseOptions(argv) {
    const o = {
        port: 0,
        host: '127.0.0.1',
        protocol: 3,
        token: null,
        password: null,
        paired: new Set(),
        localAutoPair: true,
        deflate: false,
        allowedOrigins: [],
        slowConnectMs: 0,
        log: null,
        profile: '2026.3.13',
        starting: false,
        approvedScopes: null,
        rateLimit: 0,
    };
    let protocolGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case '--port':
                o.port = Number(value());
                if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usage('bad --port');
                break;
            case '--host':
                o.host = value();
                break;
            case '--protocol':
                o.protocol = Number(value());
                if (!Number.isInteger(o.protocol) || o.protocol < 1) usage('bad --protocol');
                protocolGiven = true;
                break;
            case '--token':
                o.token = value();
                break;
            case '--password':
                o.password = value();
                break;
            case '--paired':
                for (const id of readPaired(value())) o.paired.add(id);
                break;
            case '--no-local-auto-pair':
                o.localAutoPair = false;
                break;
            case '--deflate': {
                const v = value();
                if (v !== 'on' && v !== 'off') usage('--deflate takes on or off');
                o.deflate = v === 'on';
                break;
            }
            case '--allowed-origin':
                o.allowedOrigins.push(value());
                break;
            case '--slow-connect': {
                // A busy gateway (issue 18 case 1): the connect waits this long before its checks run, as an
                // async handler does behind a slow disk or a busy event loop; the handshake timer still runs.
                o.slowConnectMs = Number(value());
                if (!Number.isInteger(o.slowConnectMs) || o.slowConnectMs < 0) usage('bad --slow-connect');
                break;
            }
            case '--log':
                o.log = value();
                break;
            case '--profile':
                o.profile = value();
                if (o.profile !== '2026.3.13' && o.profile !== 'current') usage('--profile takes 2026.3.13 or current');
                break;
            case '--starting':
                o.starting = true;
                break;
            case '--approved-scopes':
                o.approvedScopes = value().split(',').filter(Boolean);
                break;
            case '--rate-limit':
                o.rateLimit = Number(value());
                if (!Number.isInteger(o.rateLimit) || o.rateLimit < 1) usage('bad --rate-limit');
                break;
            case '-h':
            case '--help':
                usage();
                break;
            default:
                usage(`unknown argument ${a}`);
        }
    }
    if (o.profile === 'current' && !protocolGiven) o.protocol = CURRENT.protocol;
    return o;
}

// --paired takes a comma-separated list of device ids, or a paired.json: an array of ids, or an object
// keyed by device id (the gateway's own file), or an array of records with a deviceId.
function readPaired(arg) {
    if (!fs.existsSync(arg)) return arg.split(',').map((s) => s.trim()).filter(Boolean);
    const j = JSON.parse(fs.readFileSync(arg, 'utf8'));
    if (Array.isArray(j)) return j.map((e) => (typeof e === 'string' ? e : e.deviceId)).filter(Boolean);
    return Object.keys(j);
}

const opts = parseOptions(process.argv.slice(2));
const isCurrent = opts.profile === 'current';
const failedAuth = new Map(); // remote address -> failed shared-auth attempts (--rate-limit)
const authMode = opts.password !== null ? 'password' : opts.token !== null ? 'token' : 'none';

// ---------------------------------------------------------------------------------------------------
// The log: one JSON line per connection, written when the connection ends.

function writeLog(record) {
    const line = JSON.stringify(record) + '\n';
    if (opts.log) fs.appendFileSync(opts.log, line);
    else process.stderr.write(line);
}

// ---------------------------------------------------------------------------------------------------
// Frame and schema checks (section 1 and 2 of the doc)

function isRequestFrame(f) {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return false;
    for (const k of Object.keys(f)) if (!['type', 'id', 'method', 'params'].includes(k)) return false;
    return (
        f.type === 'req' &&
        typeof f.id === 'string' &&
        f.id.length > 0 &&
        typeof f.method === 'string' &&
        f.method.length > 0
    );
}

const str = { type: 'string' };
const nonEmpty = { type: 'string', minLength: 1 };
const strings = { type: 'array', items: str };
const CONNECT_SCHEMA = {
    type: 'object',
    additionalProperties: false,
    required: ['minProtocol', 'maxProtocol', 'client'],
    properties: {
        minProtocol: { type: 'integer', minimum: 1 },
        maxProtocol: { type: 'integer', minimum: 1 },
        client: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'version', 'platform', 'mode'],
            properties: {
                id: { anyOfConst: CLIENT_IDS },
                displayName: nonEmpty,
                version: nonEmpty,
                platform: nonEmpty,
                deviceFamily: nonEmpty,
                modelIdentifier: nonEmpty,
                mode: { anyOfConst: CLIENT_MODES },
                instanceId: nonEmpty,
            },
        },
        caps: strings,
        commands: strings,
        permissions: { type: 'object', values: { type: 'boolean' } },
        pathEnv: str,
        role: nonEmpty,
        scopes: strings,
        locale: str,
        userAgent: str,
        auth: {
            type: 'object',
            additionalProperties: false,
            properties: { token: str, bootstrapToken: str, deviceToken: str, password: str },
        },
        device: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'publicKey', 'signature', 'signedAt', 'nonce'],
            properties: {
                id: nonEmpty,
                publicKey: nonEmpty,
                signature: nonEmpty,
                signedAt: { type: 'integer', minimum: 0 },
                nonce: nonEmpty,
            },
        },
    },
};
// The current profile's auth knows the runtime-token fields (packages/gateway-protocol/src/schema/frames.ts);
// 2026.3.13's closed schema refuses them.
if (isCurrent) {
    for (const f of CURRENT.authFields) CONNECT_SCHEMA.properties.auth.properties[f] = str;
}

function typeOk(type, v) {
    switch (type) {
        case 'object':
            return v !== null && typeof v === 'object' && !Array.isArray(v);
        case 'array':
            return Array.isArray(v);
        case 'integer':
            return typeof v === 'number' && Number.isInteger(v);
        default:
            return typeof v === type;
    }
}

// Checks `value` against a schema of the small subset above, collecting errors with the JSON pointer of
// the failing value and an AJV-style message (the validator the real gateway uses reports that way).
function validate(schema, value, path, errors) {
    if (schema.anyOfConst) {
        if (!schema.anyOfConst.includes(value)) {
            errors.push({ path, message: 'must be equal to constant' });
            errors.push({ path, message: 'must match a schema in anyOf' });
        }
        return;
    }
    if (!typeOk(schema.type, value)) {
        errors.push({ path, message: `must be ${schema.type}` });
        return;
    }
    if (schema.type === 'string' && schema.minLength && value.length < schema.minLength) {
        errors.push({ path, message: `must NOT have fewer than ${schema.minLength} characters` });
    }
    if (schema.type === 'integer' && schema.minimum !== undefined && value < schema.minimum) {
        errors.push({ path, message: `must be >= ${schema.minimum}` });
    }
    if (schema.type === 'array' && schema.items) {
        value.forEach((item, i) => validate(schema.items, item, `${path}/${i}`, errors));
    }
    if (schema.type === 'object') {
        for (const r of schema.required || []) {
            if (!(r in value)) errors.push({ path, message: `must have required property '${r}'` });
        }
        if (schema.additionalProperties === false) {
            for (const k of Object.keys(value)) {
                if (!(k in schema.properties)) errors.push({ path, unexpected: k });
            }
        }
        for (const [k, sub] of Object.entries(schema.properties || {})) {
            if (k in value) validate(sub, value[k], `${path}/${k}`, errors);
        }
        if (schema.values) {
            for (const [k, v] of Object.entries(value)) validate(schema.values, v, `${path}/${k}`, errors);
        }
    }
}

function formatSchemaErrors(errors) {
    const parts = errors.map((e) => {
        if (e.unexpected !== undefined) {
            const quoted = isCurrent ? `"${e.unexpected}"` : `'${e.unexpected}'`;
            return `at ${e.path || 'root'}: unexpected property ${quoted}`;
        }
        return e.path ? `at ${e.path}: ${e.message}` : e.message;
    });
    return [...new Set(parts)].join('; ');
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function truncateUtf8(text, maxBytes) {
    const buf = Buffer.from(text, 'utf8');
    if (buf.length <= maxBytes) return text;
    let end = maxBytes;
    while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // never cut inside a character
    return buf.subarray(0, end).toString('utf8');
}

function isLoopbackAddress(addr) {
    if (!addr) return false;
    return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

function hostnameOf(hostHeader) {
    if (!hostHeader) return '';
    if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
    return hostHeader.split(':')[0].toLowerCase();
}

function isLoopbackHostname(h) {
    return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

// Section 6: a local client has a loopback address, a loopback Host header and no forwarding headers.
function isLocalRequest(req) {
    const forwarded = ['x-forwarded-for', 'x-real-ip', 'forwarded'].some((h) => req.headers[h] !== undefined);
    return (
        isLoopbackAddress(req.socket.remoteAddress) && isLoopbackHostname(hostnameOf(req.headers.host)) && !forwarded
    );
}

function originAllowed(req) {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (opts.allowedOrigins.includes(origin)) return true;
    let url;
    try {
        url = new URL(origin);
    } catch {
        return false;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return isLoopbackHostname(host) || url.host.toLowerCase() === String(req.headers.host || '').toLowerCase();
}

const authHint = {
    token: 'set gateway.remote.token to match gateway.auth.token',
    password: 'set gateway.remote.password to match gateway.auth.password',
};

// Shared auth (row 15): the configured token or password; a paired device may use its device token.
function checkSharedAuth(auth, verifiedDeviceId) {
    auth = auth || {};
    if (authMode === 'none') return { ok: true, method: 'none' };
    if (authMode === 'token') {
        if (typeof auth.token === 'string' && auth.token.length > 0) {
            if (auth.token === opts.token) return { ok: true, method: 'token' };
            return { ok: false, message: `unauthorized: gateway token mismatch (${authHint.token})`, details: { code: 'AUTH_TOKEN_MISMATCH' } };
        }
        if (verifiedDeviceId && typeof auth.deviceToken === 'string' && auth.deviceToken.length > 0) {
            if (deviceTokens.get(verifiedDeviceId) === auth.deviceToken) return { ok: true, method: 'device-token' };
            return {
                ok: false,
                message: 'unauthorized: device token mismatch (rotate/reissue device token)',
                details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
            };
        }
        return { ok: false, message: `unauthorized: gateway token missing (${authHint.token})` };
    }
    if (typeof auth.password === 'string' && auth.password.length > 0) {
        if (auth.password === opts.password) return { ok: true, method: 'password' };
        return { ok: false, message: `unauthorized: gateway password mismatch (${authHint.password})` };
    }
    return { ok: false, message: `unauthorized: gateway password missing (${authHint.password})` };
}

function hasSharedAuth(auth) {
    return Boolean(auth && ((typeof auth.token === 'string' && auth.token) || (typeof auth.password === 'string' && auth.password)));
}

// ---------------------------------------------------------------------------------------------------
// The server

const startedAt = Date.now();
const deviceTokens = new Map(); // deviceId -> device token issued in hello-ok
const connections = new Set();
let connCount = 0;

const httpServer = http.createServer((req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found\n');
});

const wss = new WebSocketServer({
    server: httpServer,
    maxPayload: MAX_PREAUTH_PAYLOAD,
    perMessageDeflate: opts.deflate,
});

wss.on('connection', (ws, req) => {
    const conn = {
        n: ++connCount,
        connId: crypto.randomUUID(),
        ws,
        req,
        remotePort: req.socket.remotePort,
        state: 'pre', // pre -> connected | closing
        record: null, // what the gateway decided
        nonce: crypto.randomUUID(),
        timer: null,
        tick: null,
        logged: false,
    };
    connections.add(conn);

    // Section 2 step 2: the challenge at once.
    send(conn, { type: 'event', event: 'connect.challenge', payload: { nonce: conn.nonce, ts: Date.now() } });

    conn.timer = setTimeout(() => {
        if (conn.state !== 'pre') return;
        reject(conn, { cause: 'handshake-timeout', closeCode: 1000, res: false, message: 'handshake timeout' });
    }, isCurrent ? CURRENT.handshakeTimeoutMs : HANDSHAKE_TIMEOUT_MS);

    ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));

    // Row 1: ws has already sent its close frame (code from the error, empty reason) when this fires.
    ws.on('error', (err) => {
        // ws keeps the close code it sent under a private symbol of the error (ws/lib/constants kStatusCode).
        const sym = Object.getOwnPropertySymbols(err).find((k) => k.description === 'status-code');
        const closeCode = sym ? err[sym] : null;
        const cause =
            closeCode === 1007 ? 'invalid-utf8' : closeCode === 1009 ? 'message-too-big' : 'frame-violation';
        const r = { cause, closeCode, closeReason: '', errorCode: err.code || null, message: err.message, closedBy: 'gateway' };
        if (conn.state === 'connected') {
            conn.record.after = r; // a breach after the handshake: the handshake's own decision stands
        } else if (conn.state === 'pre') {
            decide(conn, r);
        }
    });

    ws.on('close', (code, reason) => {
        clearTimeout(conn.timer);
        clearInterval(conn.tick);
        if (conn.state === 'pre') {
            decide(conn, {
                cause: 'client-closed',
                closeCode: code,
                closeReason: reason.toString(),
                closedBy: 'client',
                message: 'the client went away before a decision',
            });
        } else if (conn.record.closeCode === null) {
            conn.record.closeCode = code; // an accepted connection, closed later by the client
            conn.record.closeReason = reason.toString();
            conn.record.closedBy = 'client';
        }
        finish(conn);
    });
});

function send(conn, obj) {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(obj));
}

function decide(conn, r) {
    clearTimeout(conn.timer);
    conn.state = r.cause === 'accepted' ? 'connected' : 'closing';
    conn.record = {
        conn: conn.n,
        remotePort: conn.remotePort,
        cause: r.cause,
        closeCode: r.closeCode ?? null,
        closeReason: r.closeReason ?? null,
        closedBy: r.closedBy ?? null,
        errorCode: r.errorCode ?? null,
        message: r.message ?? null,
        ...(r.extra || {}),
    };
}

// Sends the error res (unless the row has none), then closes with the code and the message cut to
// 120 bytes as the reason (or the given reason; a 1000 close carries none).
function reject(conn, r) {
    const reason = r.closeCode === 1000 ? '' : truncateUtf8(r.closeReason ?? r.message, CLOSE_REASON_MAX_BYTES);
    decide(conn, { ...r, closeReason: reason, closedBy: 'gateway' });
    if (r.res) {
        const error = { code: r.errorCode, message: r.message };
        if (r.retryable !== undefined) error.retryable = r.retryable;
        if (r.retryAfterMs !== undefined) error.retryAfterMs = r.retryAfterMs;
        if (r.details) error.details = r.details;
        send(conn, { type: 'res', id: r.id, ok: false, error });
    }
    if (r.closeCode === 1000) conn.ws.close(1000);
    else conn.ws.close(r.closeCode, reason);
}

function finish(conn) {
    if (conn.logged) return;
    conn.logged = true;
    connections.delete(conn);
    writeLog(conn.record);
}

function onMessage(conn, data, isBinary) {
    if (conn.state === 'connected') return onRequest(conn, data);
    if (conn.state !== 'pre') return; // rejected: the close is under way
    if (opts.slowConnectMs > 0 && !conn.slowed) {
        conn.slowed = true;
        setTimeout(() => onMessage(conn, data, isBinary), opts.slowConnectMs);
        return;
    }

    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8');
    let frame;
    try {
        frame = JSON.parse(text);
    } catch {
        // Row 2. wssniff's vocabulary has no cause of its own for it: the first message is not a request
        // frame, so it is logged as invalid-request-frame; the close (1000, no reason) tells it from row 3.
        return reject(conn, {
            cause: 'invalid-request-frame',
            closeCode: 1000,
            res: false,
            message: 'first message is not JSON (closed 1000, no reason)',
        });
    }
    if (!isRequestFrame(frame)) {
        return reject(conn, { cause: 'invalid-request-frame', closeCode: 1008, res: false, message: 'invalid request frame' });
    }
    const id = frame.id;
    const fail = (cause, errorCode, message, more = {}) =>
        reject(conn, { cause, closeCode: 1008, res: true, id, errorCode, message, ...more });

    if (frame.method !== 'connect') {
        return fail('invalid-handshake', 'INVALID_REQUEST', 'invalid handshake: first request must be connect');
    }
    const params = frame.params;
    const errors = [];
    validate(CONNECT_SCHEMA, params, '', errors);
    if (errors.length > 0) {
        return fail('invalid-connect-params', 'INVALID_REQUEST', `invalid connect params: ${formatSchemaErrors(errors)}`);
    }
    const clientMode = params.client.mode;
    const isNode = params.role === 'node' && clientMode === 'node';
    if (isCurrent && opts.starting && !isNode) {
        // connect-admission.ts: while starting, before the protocol check; nodes pass admission.
        return reject(conn, {
            cause: 'gateway-starting',
            closeCode: 1013,
            res: true,
            id,
            errorCode: 'UNAVAILABLE',
            message: 'gateway starting; retry shortly',
            retryable: true,
            retryAfterMs: CURRENT.startupRetryAfterMs,
            details: { reason: 'startup-sidecars' },
            closeReason: 'gateway starting',
        });
    }
    if (isCurrent) {
        const p = opts.protocol;
        const inRange = params.minProtocol <= p && p <= params.maxProtocol;
        const probe = clientMode === 'probe' && params.maxProtocol >= CURRENT.minProbeProtocol && params.minProtocol <= p;
        const legacyNode = isNode && params.maxProtocol >= CURRENT.minNodeProtocol && params.minProtocol <= CURRENT.minNodeProtocol;
        if (!inRange && !probe && !legacyNode) {
            const details = {
                code: 'PROTOCOL_MISMATCH',
                clientMinProtocol: params.minProtocol,
                clientMaxProtocol: params.maxProtocol,
                expectedProtocol: p,
                minimumProbeProtocol: CURRENT.minProbeProtocol,
            };
            if (params.client.id === 'openclaw-control-ui') {
                // A Control UI page built for another gateway version: reload it.
                return fail('protocol-mismatch', 'UNAVAILABLE', 'protocol mismatch: Control UI updated; reload this page to continue', {
                    details: { ...details, reloadRequired: true },
                });
            }
            return reject(conn, {
                cause: 'protocol-mismatch',
                closeCode: 1002,
                res: true,
                id,
                errorCode: 'INVALID_REQUEST',
                message: 'protocol mismatch',
                details,
                closeReason: 'protocol mismatch',
            });
        }
    } else if (!(params.minProtocol <= opts.protocol && opts.protocol <= params.maxProtocol)) {
        return reject(conn, {
            cause: 'protocol-mismatch',
            closeCode: 1002,
            res: true,
            id,
            errorCode: 'INVALID_REQUEST',
            message: 'protocol mismatch',
            details: { expectedProtocol: opts.protocol },
            closeReason: 'protocol mismatch',
        });
    }
    const role = params.role ?? 'operator';
    // Row 7. wssniff's vocabulary has no cause of its own for it: a param the gateway refuses is logged as
    // invalid-role: a check of its own after the schema (any string passes row 5), before any device check.
    if (role !== 'operator' && role !== 'node') return fail('invalid-role', 'INVALID_REQUEST', 'invalid role');
    if (!originAllowed(conn.req)) {
        return fail(
            'origin-not-allowed',
            'INVALID_REQUEST',
            `origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)`
        );
    }

    const device = params.device;
    // A Control UI without a device identity is refused even with the right token (2026.3.13: the browser
    // page had no secure context to make one in; src/gateway/server/ws-connection/message-handler.ts).
    if (!device && params.client.id === 'openclaw-control-ui') {
        return fail(
            'device-identity-required',
            'INVALID_REQUEST',
            'control ui requires device identity (use HTTPS or localhost secure context)'
        );
    }
    if (!device) {
        // Row 9 and the shared-auth connect without a device: accepted, with its scopes cleared.
        const shared = checkSharedAuth(params.auth, null);
        if (shared.ok) {
            return accept(conn, id, params, { role, scopes: [], device: null, authMethod: shared.method });
        }
        if (hasSharedAuth(params.auth)) return fail('unauthorized', 'INVALID_REQUEST', shared.message);
        return fail('device-identity-required', 'NOT_PAIRED', 'device identity required');
    }

    // Row 10, as 2026.3.13 does it (deriveDeviceIdFromPublicKey, src/infra/device-identity.ts): the id is the
    // SHA-256 of whatever bytes the key decodes to, of any length; a key that gives none cannot match.
    const keyBytes = proof.gatewayKeyBytes(device.publicKey);
    if (!keyBytes || proof.deviceIdFromRawKey(keyBytes) !== device.id) {
        return fail('device-identity-mismatch', 'INVALID_REQUEST', 'device identity mismatch');
    }
    // Row 11
    if (Math.abs(Date.now() - device.signedAt) > SIGNATURE_SKEW_MS) {
        return fail('device-signature-expired', 'INVALID_REQUEST', 'device signature expired');
    }
    // Rows 12 and 13: the nonce trimmed, then compared with this connection's challenge.
    const nonce = device.nonce.trim();
    if (!nonce) return fail('device-nonce-required', 'INVALID_REQUEST', 'device nonce required');
    if (nonce !== conn.nonce) return fail('device-nonce-mismatch', 'INVALID_REQUEST', 'device nonce mismatch');
    // Row 14: v3 first, then v2 (v1 is never tried), each verified as 2026.3.13's verifyDeviceSignature does
    // (src/gateway/server/ws-connection/handshake-auth-helpers.ts): a key of the wrong length makes no key, or
    // the wrong one, so it fails here, as "device signature invalid".
    const fields = proof.fieldsFromParams(params);
    const form = ['v3', 'v2'].find((f) => proof.gatewayVerify(device.publicKey, proof.buildPayload(f, fields), device.signature));
    if (!form) return fail('device-signature-invalid', 'INVALID_REQUEST', 'device signature invalid');
    // Row 14b comes after the signature in 2026.3.13 (message-handler.ts: normalizeDevicePublicKeyBase64Url once
    // a form verified); a key that verified always normalizes, so this never fires.
    if (!keyBytes.length) return fail('device-public-key-invalid', 'INVALID_REQUEST', 'device public key invalid');

    // Row 15, behind the rate limiter (--rate-limit N: N failed attempts lock the remote address out).
    const address = conn.req.socket.remoteAddress;
    if (opts.rateLimit && (failedAuth.get(address) || 0) >= opts.rateLimit) {
        const more = isCurrent ? { details: { code: 'AUTH_RATE_LIMITED', retryAfterMs: 60000, recommendedNextStep: 'wait_then_retry' } } : {};
        return fail('unauthorized', 'INVALID_REQUEST', 'unauthorized: too many failed authentication attempts (retry later)', more);
    }
    const shared = checkSharedAuth(params.auth, device.id);
    if (!shared.ok) {
        failedAuth.set(address, (failedAuth.get(address) || 0) + 1);
        return fail('unauthorized', 'INVALID_REQUEST', shared.message, isCurrent ? { details: shared.details } : {});
    }

    // Row 16: an unpaired device needs approval, unless the client is local (approved silently). With
    // --approved-scopes, a paired device asking for more is a scope upgrade (current profile).
    const wanted = Array.isArray(params.scopes) ? params.scopes : [];
    const upgrade = opts.approvedScopes && opts.paired.has(device.id) && wanted.some((x) => !opts.approvedScopes.includes(x));
    if (isCurrent && (!opts.paired.has(device.id) || upgrade) && !(opts.localAutoPair && isLocalRequest(conn.req))) {
        const reason = upgrade ? 'scope-upgrade' : 'not-paired';
        const requestId = crypto.randomUUID();
        const message = `pairing required: ${PAIRING_REQUIREMENTS[reason]}`;
        return fail('pairing-required', 'NOT_PAIRED', message, {
            details: { code: 'PAIRING_REQUIRED', reason, requestId, deviceId: device.id, requestedScopes: wanted },
            closeReason: `${message} (requestId: ${requestId})`,
            extra: { deviceId: device.id, form },
        });
    }
    if (!opts.paired.has(device.id)) {
        if (opts.localAutoPair && isLocalRequest(conn.req)) {
            opts.paired.add(device.id);
        } else {
            return fail('pairing-required', 'NOT_PAIRED', 'pairing required', {
                details: { code: 'PAIRING_REQUIRED', requestId: crypto.randomUUID(), reason: 'not-paired' },
                closeReason: 'pairing required',
                extra: { deviceId: device.id, form },
            });
        }
    }
    const scopes = Array.isArray(params.scopes) ? params.scopes : [];
    return accept(conn, id, params, { role, scopes, device, form, authMethod: shared.method });
}

function accept(conn, id, params, a) {
    let auth;
    if (a.device) {
        if (!deviceTokens.has(a.device.id)) deviceTokens.set(a.device.id, proof.base64UrlEncode(crypto.randomBytes(32)));
        auth = { deviceToken: deviceTokens.get(a.device.id), role: a.role, scopes: a.scopes };
    }
    decide(conn, {
        cause: 'accepted',
        closeCode: null,
        extra: {
            deviceId: a.device ? a.device.id : null,
            form: a.form || null,
            role: a.role,
            scopes: a.scopes,
            authMethod: a.authMethod,
        },
    });
    conn.scopes = a.scopes;
    // After the handshake the limit is 25 MiB. ws fixes maxPayload per server, so raise this connection's
    // receiver (and inflater) limit in place: both 1009s, before and after connect, come from ws itself.
    conn.ws._receiver._maxPayload = MAX_PAYLOAD;
    const pmd = conn.ws._extensions['permessage-deflate'];
    if (pmd) pmd._maxPayload = MAX_PAYLOAD;

    const hello = {
        type: 'hello-ok',
        protocol: opts.protocol,
        server: { version: VERSION, connId: conn.connId },
        features: {
            methods: ['health', 'status', 'system-presence'],
            events: ['connect.challenge', 'tick', 'presence', 'health', 'shutdown'],
        },
        snapshot: {
            presence: [],
            health: { ok: true },
            stateVersion: { presence: 0, health: 0 },
            uptimeMs: Date.now() - startedAt,
            authMode,
        },
    };
    if (isCurrent) {
        hello.server.version = CURRENT.version;
        hello.features.capabilities = [];
        hello.auth = auth || { role: a.role, scopes: a.scopes };
    } else if (auth) hello.auth = auth;
    hello.policy = { maxPayload: MAX_PAYLOAD, maxBufferedBytes: MAX_BUFFERED_BYTES, tickIntervalMs: TICK_INTERVAL_MS };
    send(conn, { type: 'res', id, ok: true, payload: hello });
    conn.tick = setInterval(() => send(conn, { type: 'event', event: 'tick', payload: { ts: Date.now() } }), TICK_INTERVAL_MS);
    conn.tick.unref();
}

// After the handshake: a few read methods, enough to show a connect whose scopes were cleared.
function onRequest(conn, data) {
    let frame;
    try {
        frame = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8'));
    } catch {
        return;
    }
    if (!isRequestFrame(frame)) return;
    const needsRead = ['health', 'status', 'system-presence'];
    if (!needsRead.includes(frame.method)) {
        return send(conn, {
            type: 'res',
            id: frame.id,
            ok: false,
            error: { code: 'INVALID_REQUEST', message: `unknown method: ${frame.method}` },
        });
    }
    const scopes = conn.scopes || [];
    if (!scopes.includes('operator.read') && !scopes.includes('operator.admin')) {
        send(conn, {
            type: 'res',
            id: frame.id,
            ok: false,
            error: { code: 'INVALID_REQUEST', message: 'missing scope: operator.read' },
        });
        // The unauthorized-call flood guard: the 11th refused call in a row closes the connection
        // (src/gateway/server/ws-connection/unauthorized-flood-guard.ts: closeAfter 10, close when count > 10).
        conn.unauthorized = (conn.unauthorized || 0) + 1;
        if (conn.unauthorized > UNAUTHORIZED_CLOSE_AFTER) closeAfterHandshake(conn, 1008, 'repeated unauthorized calls');
        return;
    }
    conn.unauthorized = 0;
    send(conn, { type: 'res', id: frame.id, ok: true, payload: { ok: true, ts: Date.now() } });
}

// ---------------------------------------------------------------------------------------------------

// Closes an accepted connection from the gateway's side; logged under `after` (the handshake's decision stands).
function closeAfterHandshake(conn, code, reason) {
    if (conn.state !== 'connected' || conn.record.after) return;
    conn.record.after = { cause: 'gateway-closed', closeCode: code, closeReason: reason, closedBy: 'gateway' };
    conn.ws.close(code, reason);
}

// A stop closes accepted connections with 1012 "service restart", as the gateway's close handler does
// (src/gateway/server-close.ts), and drops the others; the close frames get 300 ms to leave.
function shutdown() {
    let open = 0;
    for (const conn of [...connections]) {
        if (!conn.record) decide(conn, { cause: 'client-closed', message: 'gateway stopped before a decision' });
        if (conn.state === 'connected') {
            closeAfterHandshake(conn, 1012, 'service restart');
            open += 1;
        }
        finish(conn);
    }
    setTimeout(
        () => {
            for (const conn of connections) conn.ws.terminate();
            for (const client of wss.clients) client.terminate();
            wss.close();
            httpServer.close(() => process.exit(0));
            setTimeout(() => process.exit(0), 500).unref();
        },
        open > 0 ? 300 : 0
    );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

httpServer.on('error', (err) => {
    process.stderr.write(`gateway: ${err.message}\n`);
    process.exit(1);
});
httpServer.listen(opts.port, opts.host, () => {
    process.stdout.write(`listening ${httpServer.address().port}\n`);
});
