'use strict';
// Bookkeeping for run-scenarios.sh: turns a client's result and the gateway's log line into an expected
// entry, and the entries into expected.json.
//
//   node expected.js entry NAME FILE CLIENT_JSON GATEWAY_RECORD GATEWAY_PORT  -> one entry line on stdout;
//        a row on stderr; exit 1 when the client's close code differs from the gateway's, when the gateway
//        logged nothing, or when the cause is not the one the scenario promises
//   node expected.js copy FROM TO < entries.jsonl      -> the entries of file FROM again, as file TO
//   node expected.js write OUT.json [--merge] < entries.jsonl

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function promisedCauses() {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'client.js'), '--port', '1', '--list-json'], {
        encoding: 'utf8',
    });
    const map = {};
    for (const line of out.trim().split('\n')) {
        const j = JSON.parse(line);
        map[j.name] = j.cause;
    }
    return map;
}

function readJson(text) {
    try {
        return JSON.parse(text);
    } catch {
        return null;
    }
}

function readEntries() {
    const text = fs.readFileSync(0, 'utf8');
    return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
}

const [mode, ...args] = process.argv.slice(2);

if (mode === 'entry') {
    const [name, file, clientPath, recordText, gatewayPort] = args;
    const client = readJson(fs.existsSync(clientPath) ? fs.readFileSync(clientPath, 'utf8') : '') || {};
    const logged = readJson(recordText || '') || {};
    // A breach after hello-ok: the gateway logs the handshake's decision and, under `after`, what closed the
    // connection (its ws's 1007 or 1009); the close is what the client saw and what wssniff explains.
    const rec = logged.after ? { ...logged, ...logged.after } : logged;
    const promised = promisedCauses()[name];
    const problems = [];
    if (!rec.cause) problems.push('the gateway logged nothing for this connection');
    if (client.timedOut) problems.push('the client timed out');
    if (rec.cause && client.closeCode !== rec.closeCode) {
        problems.push(`client saw close ${client.closeCode}, gateway logged ${rec.closeCode}`);
    }
    if (rec.cause && promised && rec.cause !== promised) problems.push(`cause ${rec.cause}, promised ${promised}`);
    const entry = {
        file,
        scenario: name,
        cause: rec.cause ?? null,
        closeCode: rec.closeCode ?? null,
        closeReason: rec.closeReason ?? null,
        observed: true,
        closedBy: rec.closedBy ?? null,
        errorCode: rec.errorCode ?? null,
        message: rec.message ?? null,
        gatewayPort: Number(gatewayPort),
        clientPort: client.clientPort ?? null,
    };
    if (rec.form) entry.signedForm = rec.form;
    process.stdout.write(JSON.stringify(entry) + '\n');
    const row = [
        `${name} (${file})`.padEnd(46),
        String(entry.cause).padEnd(26),
        String(entry.closeCode).padEnd(7),
        String(client.closeCode).padEnd(7),
        JSON.stringify(entry.closeReason),
    ].join(' ');
    process.stderr.write(`${row}${problems.length ? `   <-- ${problems.join('; ')}` : ''}\n`);
    process.exit(problems.length ? 1 : 0);
} else if (mode === 'copy') {
    const [from, to] = args;
    for (const e of readEntries()) if (e.file === from) process.stdout.write(JSON.stringify({ ...e, file: to }) + '\n');
} else if (mode === 'write') {
    const [out, flag] = args;
    const byFile = new Map();
    for (const e of readEntries()) {
        if (!byFile.has(e.file)) byFile.set(e.file, []);
        byFile.get(e.file).push(e);
    }
    const doc = flag === '--merge' && fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
    for (const [file, entries] of [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const strip = ({ file: _f, ...rest }) => rest;
        if (entries.length === 1) {
            doc[file] = strip(entries[0]);
        } else {
            doc[file] = {
                scenario: path.basename(file).replace(/\.[^.]+$/, ''),
                connections: entries.map(strip).sort((a, b) => (a.clientPort ?? 0) - (b.clientPort ?? 0)),
            };
        }
    }
    const sorted = Object.fromEntries(Object.entries(doc).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(out, JSON.stringify(sorted, null, 2) + '\n');
} else {
    process.stderr.write('usage: expected.js entry|copy|write ...\n');
    process.exit(64);
}
