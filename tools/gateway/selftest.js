'use strict';
// Self-check of proof.js against the known answers of the protocol doc, section 3 and 4: the payload
// strings and the Ed25519 signatures with the RFC 8032 TEST 1 key, byte for byte. Also checks every
// committed identity file. Exits 1 on the first difference.
// Usage: node tools/gateway/selftest.js

const path = require('node:path');
const fs = require('node:fs');
const proof = require('./proof');

let failures = 0;
function check(name, got, want) {
    if (got === want) {
        console.log(`ok    ${name}`);
    } else {
        failures += 1;
        console.log(`FAIL  ${name}\n      got  ${got}\n      want ${want}`);
    }
}

const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const key = proof.identityFromPrivateKey(proof.privateKeyFromSeed(seed), 0);
check('public key raw', key.publicKeyRaw.toString('hex'), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
check('publicKey wire', proof.base64UrlEncode(key.publicKeyRaw), '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
check('deviceId', key.deviceId, '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9');

const common = {
    deviceId: 'dev-1',
    clientId: 'openclaw-macos',
    clientMode: 'ui',
    role: 'operator',
    scopes: ['operator.admin', 'operator.read'],
    signedAtMs: 1700000000000,
    nonce: 'nonce-abc',
};
const vectors = [
    {
        name: 'v2 vector',
        form: 'v2',
        fields: common,
        payload: 'v2|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000||nonce-abc',
        sig: '62sp6Y8lj3w6nW1BRE0uqFHT17m29GvK6A1iKjOso5Mwq977I6VKX7qhxYuM5tHIfBV3iUMVHT7aMg6eHUoGBA',
    },
    {
        name: 'first v3 vector',
        form: 'v3',
        fields: { ...common, token: 'tok-123', platform: '  IOS  ', deviceFamily: '  iPhone  ' },
        payload:
            'v3|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000|tok-123|nonce-abc|ios|iphone',
        sig: 'Wrp1kv2UpRb5ODGAmIevAUA6UZ09pc4PtuMHAtwNLOl8wZqmb1KPDLYfiXRDi_Fscj1CLrj-3opHWPACZvrkDw',
    },
    {
        name: 'second v3 vector',
        form: 'v3',
        fields: {
            deviceId: 'dev-2',
            clientId: 'openclaw-ios',
            clientMode: 'ui',
            role: 'operator',
            scopes: ['operator.read'],
            signedAtMs: 1700000000001,
            nonce: 'nonce-def',
        },
        payload: 'v3|dev-2|openclaw-ios|ui|operator|operator.read|1700000000001||nonce-def||',
        sig: 'n-RIJimESSf-pPq80ta1eDo54a3-dDmVrv_UzlECZ7e03T8kc0FlegeI8WfoMn85a00FhH_ibeB-MyXcCeg9BA',
    },
];
for (const v of vectors) {
    const payload = proof.buildPayload(v.form, v.fields);
    check(`${v.name}: payload`, payload, v.payload);
    check(`${v.name}: signature`, proof.sign(payload, key.privateKey), v.sig);
    check(`${v.name}: verifies`, proof.verify(payload, v.sig, proof.publicKeyFromRaw(key.publicKeyRaw)), true);
}

// The same slots rebuilt from connect params, as the gateway does it.
const params = {
    client: { id: 'openclaw-macos', mode: 'ui', platform: '  IOS  ', deviceFamily: '  iPhone  ', version: '1' },
    scopes: ['operator.admin', 'operator.read'],
    auth: { token: 'tok-123', deviceToken: 'dt' },
    device: { id: 'dev-1', signedAt: 1700000000000, nonce: '  nonce-abc ', publicKey: 'x', signature: 'y' },
};
check('params -> first v3 vector', proof.buildPayload('v3', proof.fieldsFromParams(params)), vectors[1].payload);
check(
    'params: empty auth.token wins over deviceToken (??)',
    proof.fieldsFromParams({ ...params, auth: { token: '', deviceToken: 'dt' } }).token,
    ''
);
check('params: deviceToken when no token', proof.fieldsFromParams({ ...params, auth: { deviceToken: 'dt' } }).token, 'dt');
check('params: role default', proof.fieldsFromParams(params).role, 'operator');
check('params: non-array scopes', proof.buildPayload('v1', proof.fieldsFromParams({ ...params, scopes: 'x' })).split('|')[5], '');
check('normalization: no Unicode folding', proof.normalizeMetadata('  İOS  '), 'İos');
check('signature: standard base64 padded verifies', proof.verify(vectors[0].payload,
    Buffer.from(vectors[0].sig.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('base64'),
    proof.publicKeyFromRaw(key.publicKeyRaw)), true);

// Every committed identity file loads and its deviceId is the SHA-256 of its public key.
const dir = path.join(__dirname, 'identities');
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
        const id = proof.loadIdentity(path.join(dir, name));
        check(`identity ${name}`, /^[0-9a-f]{64}$/.test(id.deviceId), true);
    } catch (e) {
        check(`identity ${name}`, e.message, 'loads');
    }
}
check(
    'identity rfc8032-test1.json deviceId',
    proof.loadIdentity(path.join(dir, 'rfc8032-test1.json')).deviceId,
    '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9'
);

if (failures > 0) {
    console.log(`${failures} check(s) failed`);
    process.exit(1);
}
console.log('all checks passed');
