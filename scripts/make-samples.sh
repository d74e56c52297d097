#!/usr/bin/env bash
# Records the bundled samples again from real loopback traffic, with wssniff's own capture command.
# Needs root (live capture). Usage: sudo bash scripts/make-samples.sh [all|echo|gateway]
#   echo     samples/websocket-echo.pcap: Python websockets server, node-ws client, permessage-deflate
#   gateway  every reference gateway scenario (tools/gateway/run-scenarios.sh) and samples/expected.json
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${WSSNIFF:-}" ]]; then
    swift build -c release >&2
    WSSNIFF=.build/release/wssniff
fi
wssniff=$WSSNIFF
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

what=${1:-all}
if [[ $what == all || $what == echo ]]; then
    record websocket-echo echo_session
fi
if [[ $what == all || $what == gateway ]]; then
    # The gateway scenarios: the reference gateway and client, one capture per scenario, and samples/expected.json.
    bash tools/gateway/run-scenarios.sh --capture samples
    node tools/gateway/check-samples.js samples/expected.json
fi
