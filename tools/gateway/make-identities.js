'use strict';
// Writes the test identities in identities/ (run once; the files are committed). They hold private
// keys on purpose: they are test fixtures, never real devices.
// Usage: node tools/gateway/make-identities.js [--force]

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const proof = require('./proof');

const dir = path.join(__dirname, 'identities');
fs.mkdirSync(dir, { recursive: true });
const force = process.argv.includes('--force');

function write(name, obj) {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && !force) {
        console.log(`kept    ${file}`);
        return;
    }
    fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n', { mode: 0o600 });
    console.log(`wrote   ${file}`);
}

function fresh(createdAtMs) {
    return proof.identityFromPrivateKey(crypto.generateKeyPairSync('ed25519').privateKey, createdAtMs);
}

const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
write('rfc8032-test1.json', proof.nodeForm(proof.identityFromPrivateKey(proof.privateKeyFromSeed(seed), 1773446400000)));
for (const name of ['cli', 'control-ui', 'unpaired']) {
    if (!fs.existsSync(path.join(dir, `${name}.json`)) || force) write(`${name}.json`, proof.nodeForm(fresh(1773446400000)));
}
// One more key in the Apple and Android forms (and the Node form, for cross-checks).
const mobilePath = path.join(dir, 'mobile-node.json');
const mobile = fs.existsSync(mobilePath) && !force ? proof.loadIdentity(mobilePath) : fresh(1773446400000);
mobile.createdAtMs = 1773446400000;
write('mobile-node.json', proof.nodeForm(mobile));
write('mobile-apple.json', proof.appleForm(mobile));
write('mobile-android.json', proof.androidForm(mobile));
