'use strict';
// The device proof of the OpenClaw gateway handshake (protocol doc, sections 3 and 4), shared by the
// reference gateway and the reference client: payload strings, key and id encodings, identity files.
// Written from the protocol doc, not from OpenClaw's source.

const crypto = require('node:crypto');
const fs = require('node:fs');

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Section 3: platform and deviceFamily are trimmed, then only ASCII A-Z are lowercased (no Unicode
// case folding: "  İOS  " gives "İos"). Absent gives "".
// The connect params of the OpenClaw CLI (client cli/cli on linux, operator with the three operator scopes), before
// auth and device: what the reference client and the load generator send.
function cliConnectParams(version, protocol) {
    return {
        minProtocol: protocol,
        maxProtocol: protocol,
        client: { id: 'cli', displayName: 'openclaw cli', version, platform: 'linux', mode: 'cli' },
        caps: [],
        commands: [],
        permissions: {},
        role: 'operator',
        scopes: ['operator.admin', 'operator.read', 'operator.write'],
        locale: 'en-US',
        userAgent: `openclaw-cli/${version} (node ${process.versions.node})`,
    };
}

function normalizeMetadata(value) {
    if (typeof value !== 'string') return '';
    return value.trim().replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

// The fields the gateway rebuilds from a connect's params. Every slot follows section 3 exactly.
function fieldsFromParams(params) {
    const client = params.client || {};
    const device = params.device || {};
    const auth = params.auth || {};
    return {
        deviceId: device.id,
        clientId: client.id,
        clientMode: client.mode,
        role: params.role ?? 'operator',
        scopes: Array.isArray(params.scopes) ? params.scopes : [],
        signedAtMs: device.signedAt,
        // JavaScript `??`: an empty string is present and wins; the password is never signed.
        token: auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? '',
        nonce: typeof device.nonce === 'string' ? device.nonce.trim() : '',
        platform: client.platform,
        deviceFamily: client.deviceFamily,
    };
}

// Builds the payload string of one form ('v1', 'v2' or 'v3') from the fields above. Fields given
// directly (as the known-answer vectors do) go through the same rules: `token` absent gives "".
function buildPayload(form, f) {
    const scopes = Array.isArray(f.scopes) ? f.scopes.join(',') : '';
    const token = f.token ?? '';
    const role = f.role ?? 'operator';
    const base = [f.deviceId, f.clientId, f.clientMode, role, scopes, String(f.signedAtMs), token];
    switch (form) {
        case 'v1':
            return ['v1', ...base].join('|');
        case 'v2':
            return ['v2', ...base, f.nonce ?? ''].join('|');
        case 'v3':
            return ['v3', ...base, f.nonce ?? '', normalizeMetadata(f.platform), normalizeMetadata(f.deviceFamily)].join(
                '|'
            );
        default:
            throw new Error(`unknown payload form ${form}`);
    }
}

function base64UrlEncode(buf) {
    return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Lenient, as the gateway's decoder: base64url or standard base64, padded or not. Returns null when the
// text holds characters of neither alphabet.
function base64Decode(text) {
    if (typeof text !== 'string') return null;
    const s = text.trim();
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return null;
    return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

// device.publicKey as the gateway reads it: a PEM (any string containing "BEGIN") or base64url raw bytes.
// Returns the raw key bytes (any length: the length is checked when a key object is built), or null.
function decodePublicKey(text) {
    if (typeof text !== 'string' || text.length === 0) return null;
    if (text.includes('BEGIN')) {
        try {
            const der = crypto.createPublicKey(text).export({ format: 'der', type: 'spki' });
            return der.subarray(der.length - 32);
        } catch {
            return null;
        }
    }
    const raw = base64Decode(text);
    return raw && raw.length > 0 ? raw : null;
}

// device.publicKey as 2026.3.13 reads it (src/infra/device-identity.ts there): base64UrlDecode maps - and _ to
// + and /, pads with = and hands the text to Buffer.from(..., 'base64'), which skips what it cannot read, so any
// string gives some bytes, of any length; a PEM (a string containing "BEGIN") gives the raw 32 bytes of an
// Ed25519 SPKI, or the whole SPKI DER of another key type. Returns the bytes the device id is hashed from, or
// null where 2026.3.13's deriveDeviceIdFromPublicKey gives null (an unreadable PEM, no bytes at all).
function gatewayKeyBytes(text) {
    if (typeof text !== 'string') return null;
    if (text.includes('BEGIN')) {
        try {
            const der = crypto.createPublicKey(text).export({ format: 'der', type: 'spki' });
            const ed25519 = der.length === SPKI_ED25519_PREFIX.length + 32 && der.subarray(0, 12).equals(SPKI_ED25519_PREFIX);
            return ed25519 ? der.subarray(12) : der;
        } catch {
            return null;
        }
    }
    const bytes = gatewayBase64Decode(text);
    return bytes.length > 0 ? bytes : null;
}

// 2026.3.13's base64UrlDecode (src/infra/device-identity.ts): never throws.
function gatewayBase64Decode(text) {
    const normalized = text.replace(/-/g, '+').replace(/_/g, '/');
    return Buffer.from(normalized + '='.repeat((4 - (normalized.length % 4)) % 4), 'base64');
}

// 2026.3.13's verifyDeviceSignature (src/infra/device-identity.ts): a PEM is read as is; anything else becomes
// the DER of the 12-byte Ed25519 SPKI prefix followed by the decoded bytes, whatever their number. OpenSSL's DER
// reader then fails on fewer than 32 bytes and ignores the bytes after the first 32. Any failure is false.
function gatewayVerify(publicKeyText, payload, signatureText) {
    try {
        const key = publicKeyText.includes('BEGIN')
            ? crypto.createPublicKey(publicKeyText)
            : crypto.createPublicKey({
                  key: Buffer.concat([SPKI_ED25519_PREFIX, gatewayBase64Decode(publicKeyText)]),
                  format: 'der',
                  type: 'spki',
              });
        return crypto.verify(null, Buffer.from(payload, 'utf8'), key, gatewayBase64Decode(signatureText));
    } catch {
        return false;
    }
}

function deviceIdFromRawKey(raw) {
    return crypto.createHash('sha256').update(raw).digest('hex');
}

// A node:crypto public key object from 32 raw bytes, or null when they cannot make one.
function publicKeyFromRaw(raw) {
    if (!raw || raw.length !== 32) return null;
    try {
        return crypto.createPublicKey({
            key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
            format: 'der',
            type: 'spki',
        });
    } catch {
        return null;
    }
}

function privateKeyFromSeed(seed) {
    return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(keyObject) {
    const pub = keyObject.type === 'public' ? keyObject : crypto.createPublicKey(keyObject);
    const der = pub.export({ format: 'der', type: 'spki' });
    return der.subarray(der.length - 32);
}

function seedOf(privateKey) {
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return der.subarray(der.length - 32);
}

// Pure Ed25519 (RFC 8032, no prehash, no context) over the UTF-8 bytes of the payload.
function sign(payload, privateKey) {
    return base64UrlEncode(crypto.sign(null, Buffer.from(payload, 'utf8'), privateKey));
}

function verify(payload, signatureText, publicKey) {
    const sig = base64Decode(signatureText);
    if (!sig || sig.length !== 64) return false;
    try {
        return crypto.verify(null, Buffer.from(payload, 'utf8'), publicKey, sig);
    } catch {
        return false;
    }
}

// An identity from a private key: { deviceId, privateKey, publicKey, publicKeyRaw, createdAtMs }.
function identityFromPrivateKey(privateKey, createdAtMs) {
    const publicKey = crypto.createPublicKey(privateKey);
    const publicKeyRaw = rawPublicKey(publicKey);
    return { deviceId: deviceIdFromRawKey(publicKeyRaw), privateKey, publicKey, publicKeyRaw, createdAtMs };
}

// Reads a device.json in any of the three forms of section 4 (Node, Apple, Android).
function loadIdentity(path) {
    const j = JSON.parse(fs.readFileSync(path, 'utf8'));
    let privateKey;
    if (typeof j.privateKeyPem === 'string') {
        privateKey = crypto.createPrivateKey(j.privateKeyPem);
    } else if (typeof j.privateKeyPkcs8Base64 === 'string') {
        privateKey = crypto.createPrivateKey({
            key: Buffer.from(j.privateKeyPkcs8Base64, 'base64'),
            format: 'der',
            type: 'pkcs8',
        });
    } else if (typeof j.privateKey === 'string') {
        privateKey = privateKeyFromSeed(Buffer.from(j.privateKey, 'base64'));
    } else {
        throw new Error(`${path}: no private key in a known form`);
    }
    const id = identityFromPrivateKey(privateKey, j.createdAtMs);
    if (j.deviceId && j.deviceId !== id.deviceId) {
        throw new Error(`${path}: deviceId ${j.deviceId} is not the SHA-256 of its public key (${id.deviceId})`);
    }
    return id;
}

function nodeForm(id) {
    return {
        version: 1,
        deviceId: id.deviceId,
        publicKeyPem: id.publicKey.export({ format: 'pem', type: 'spki' }),
        privateKeyPem: id.privateKey.export({ format: 'pem', type: 'pkcs8' }),
        createdAtMs: id.createdAtMs,
    };
}

function appleForm(id) {
    return {
        deviceId: id.deviceId,
        publicKey: id.publicKeyRaw.toString('base64'),
        privateKey: seedOf(id.privateKey).toString('base64'),
        createdAtMs: id.createdAtMs,
    };
}

function androidForm(id) {
    return {
        deviceId: id.deviceId,
        publicKeyRawBase64: id.publicKeyRaw.toString('base64'),
        privateKeyPkcs8Base64: id.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        createdAtMs: id.createdAtMs,
    };
}

module.exports = {
    cliConnectParams,
    normalizeMetadata,
    fieldsFromParams,
    buildPayload,
    base64UrlEncode,
    base64Decode,
    decodePublicKey,
    gatewayKeyBytes,
    gatewayVerify,
    deviceIdFromRawKey,
    publicKeyFromRaw,
    privateKeyFromSeed,
    identityFromPrivateKey,
    loadIdentity,
    nodeForm,
    appleForm,
    androidForm,
    sign,
    verify,
};
