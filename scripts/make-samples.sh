#!/usr/bin/env bash
# Records the bundled samples again from real loopback traffic, with wssniff's own capture command.
# Needs root (live capture). Usage: sudo bash scripts/make-samples.sh
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release >&2
wssniff=.build/release/wssniff
export NODE_PATH=/usr/share/nodejs

# A free loopback port near the gateway's default, so the samples look like the gateway's traffic.
port=42919

record() {  # record NAME COMMAND...: capture on $port while COMMAND runs, into samples/NAME.pcap
    local name=$1
    shift
    local out="samples/$name.pcap"
    "$wssniff" capture --port "$port" -w "$out" --quiet &
    local capture=$!
    while [ ! -s "$out" ]; do sleep 0.05; done
    "$@"
    sleep 0.3
    kill -INT "$capture"
    wait "$capture"
    echo "recorded $out" >&2
}

echo_session() {  # a Python websockets echo server and a node-ws client, permessage-deflate on both
    python3 scripts/peers/echo_server.py "$port" > /tmp/wssniff-echo-server.out &
    local server=$!
    until grep -q ready /tmp/wssniff-echo-server.out 2>/dev/null; do sleep 0.05; done
    node scripts/peers/echo_client.js "$port"
    kill -TERM "$server"
    wait "$server" || true
}

record websocket-echo echo_session
