#!/usr/bin/env bash
# Runs every reference-client scenario once against the reference gateway, on loopback, and checks that
# the close code the client received equals the one the gateway logged. With --capture DIR (as root) it
# records each scenario into DIR/NAME.pcap, plus the extra captures (interleaved connections, permessage-
# deflate, Linux cooked, pcapng, the NAS reproduction on port 42919) and writes DIR/expected.json from the
# gateway's logs.
#
# Usage: tools/gateway/run-scenarios.sh [--capture DIR] [--only NAME]... [--no-extras] [--keep-work]
#   CAPTURE_CMD  capture command template; {iface}, {port} and {file} are replaced. Default:
#                'tcpdump -i {iface} --immediate-mode -U -s 0 -Z root -w {file} tcp port {port}'. For wssniff:
#                CAPTURE_CMD='.build/release/wssniff capture -i {iface} --port {port} -w {file} --quiet'
#                or CAPTURE_CMD='dumpcap -i {iface} -P -w {file} -f "tcp port {port}"'
# Exit status: 0 when every scenario ended as expected, 1 when one did not, 2 on a harness failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
CAPTURE_CMD=${CAPTURE_CMD:-'tcpdump -i {iface} --immediate-mode -U -s 0 -Z root -w {file} tcp port {port}'}
TOKEN=wssniff-reference-token
NAS_PORT=42919

capture_dir=
only=()
extras=1
keep_work=0
while [ $# -gt 0 ]; do
    case $1 in
        --capture) capture_dir=${2:?--capture needs a directory}; shift 2 ;;
        --only) only+=("${2:?--only needs a name}"); shift 2 ;;
        --no-extras) extras=0; shift ;;
        --keep-work) keep_work=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "run-scenarios: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -n "$capture_dir" ]; then
    if [ "$(id -u)" != 0 ]; then echo "run-scenarios: --capture needs root" >&2; exit 2; fi
    mkdir -p "$capture_dir"
    capture_dir=$(cd "$capture_dir" && pwd)
fi

work=$(mktemp -d /tmp/wssniff-scenarios.XXXXXX)
pids=()      # every background process this script started and has not reaped yet
failures=0

cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "$keep_work" = 1 ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() {  # forget PID: drop it from the cleanup list once reaped
    local p keep=()
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]+"${keep[@]}"}")
}

stop() {  # stop PID SIGNAL: signal it, wait at most 5 s, then kill it
    local pid=$1 sig=$2
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget "$pid"
}

# start_gateway NAME ARGS...: sets gw_pid, gw_port, gw_log; fails when it is not listening within 5 s.
start_gateway() {
    local name=$1
    shift
    gw_log=$work/$name.gateway.log
    : > "$gw_log"
    node "$here/gateway.js" --log "$gw_log" "$@" > "$work/$name.gateway.out" 2> "$work/$name.gateway.err" &
    gw_pid=$!
    pids+=("$gw_pid")
    for _ in $(seq 100); do
        if grep -q '^listening ' "$work/$name.gateway.out"; then
            gw_port=$(awk '/^listening /{print $2; exit}' "$work/$name.gateway.out")
            return 0
        fi
        kill -0 "$gw_pid" 2>/dev/null || break
        sleep 0.05
    done
    stop "$gw_pid" KILL
    return 1
}

# start_capture FILE PORT [IFACE]: sets cap_pid once the capture is ready (5 s at most).
start_capture() {
    local file=$1 port=$2 iface=${3:-lo} cmd
    cmd=${CAPTURE_CMD//\{iface\}/$iface}
    cmd=${cmd//\{port\}/$port}
    cmd=${cmd//\{file\}/$file}
    rm -f "$file"
    : > "$work/capture.err"
    # The template goes through the shell, so it may quote (e.g. dumpcap's -f "tcp port {port}").
    bash -c "exec $cmd" 2> "$work/capture.err" > /dev/null &
    cap_pid=$!
    pids+=("$cap_pid")
    for _ in $(seq 100); do
        if grep -qi 'listening on' "$work/capture.err" || [ -s "$file" ]; then
            sleep 0.3
            return 0
        fi
        kill -0 "$cap_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "run-scenarios: capture did not start: $cmd" >&2
    cat "$work/capture.err" >&2
    exit 2
}

stop_capture() {
    sleep 0.3   # the last ACKs
    stop "$cap_pid" INT
}

# client OUT ARGS...: runs the reference client (bounded: it exits by itself within 8 s; 15 s hard limit).
client() {
    local out=$1
    shift
    timeout 15 node "$here/client.js" --port "$gw_port" --token "$TOKEN" "$@" > "$out" 2> "$out.err" || true
}

# gateway_record LOG CLIENT_JSON: prints the gateway's log line for the client's connection (3 s at most).
gateway_record() {
    local log=$1 out=$2 port
    port=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")||"{}");console.log(r.clientPort??"")' "$out" 2>/dev/null || true)
    [ -n "$port" ] || return 0
    for _ in $(seq 60); do
        if grep -q "\"remotePort\":$port," "$log"; then
            grep "\"remotePort\":$port," "$log" | tail -n 1
            return 0
        fi
        sleep 0.05
    done
}

# compare NAME FILE_KEY CLIENT_JSON: checks the client's close code against the gateway's log, prints a
# row, and appends an expected entry to $work/entries.jsonl.
compare() {
    local name=$1 key=$2 out=$3 rec
    rec=$(gateway_record "$gw_log" "$out")
    node "$here/expected.js" entry "$name" "$key" "$out" "$rec" "$gw_port" >> "$work/entries.jsonl" || failures=$((failures + 1))
}

want() {  # want NAME: true when NAME is selected by --only (or there is no --only)
    [ ${#only[@]} -eq 0 ] && return 0
    local o
    for o in "${only[@]}"; do [ "$o" = "$1" ] && return 0; done
    return 1
}

# run_one NAME FILE_KEY [IFACE] -- CLIENT_ARGS...: one scenario, captured when --capture is given.
run_one() {
    local name=$1 key=$2 iface=$3
    shift 4
    local out=$work/$name.client.json
    [ -n "$capture_dir" ] && start_capture "$capture_dir/$key" "$gw_port" "$iface"
    client "$out" "$@"
    gateway_record "$gw_log" "$out" > /dev/null
    [ -n "$capture_dir" ] && stop_capture
    compare "$name" "$key" "$out"
}

: > "$work/entries.jsonl"
printf '%-46s %-26s %-7s %-7s %s\n' scenario cause gateway client reason >&2

# --- every scenario and raw rule, one connection each, against a protocol-3 gateway with a token --------
start_gateway main --port 0 --token "$TOKEN" || { echo "run-scenarios: the gateway did not start" >&2; exit 2; }
while read -r name; do
    want "$name" || continue
    [ "$name" = stale-nonce ] && continue   # two connections: below
    run_one "$name" "$name.pcap" lo -- --scenario "$name"
done < <(node "$here/client.js" --port 1 --list | awk '$1 != "--raw" {print $1}')
while read -r rule; do
    want "raw-$rule" || continue
    run_one "raw-$rule" "raw-$rule.pcap" lo -- --raw "$rule"
done < <(node "$here/client.js" --port 1 --list | awk '$1 == "--raw" {print $2}')

# --- a stale nonce: the second connection signs the first one's challenge; the first ends last ----------
if want stale-nonce; then
    out=$work/stale-nonce.client.json
    [ -n "$capture_dir" ] && start_capture "$capture_dir/stale-nonce.pcap" "$gw_port" lo
    client "$out" --scenario stale-nonce
    node -e 'const fs=require("fs");const r=JSON.parse(fs.readFileSync(process.argv[1],"utf8")||"{}");fs.writeFileSync(process.argv[2],JSON.stringify({...(r.earlier||{}),scenario:"stale-nonce-earlier"}))' "$out" "$work/stale-nonce-earlier.client.json"
    gateway_record "$gw_log" "$out" > /dev/null
    gateway_record "$gw_log" "$work/stale-nonce-earlier.client.json" > /dev/null
    [ -n "$capture_dir" ] && stop_capture
    compare stale-nonce stale-nonce.pcap "$out"
    compare stale-nonce-earlier stale-nonce.pcap "$work/stale-nonce-earlier.client.json"
fi

if [ "$extras" = 1 ]; then
    # --- many interleaved connections in one capture ----------------------------------------------------
    if want interleaved; then
        [ -n "$capture_dir" ] && start_capture "$capture_dir/interleaved.pcap" "$gw_port" lo
        set -- good-v3 good-v2 protocol-4 wrong-nonce unpaired-device tiny-frames not-json raw:client-frame-unmasked
        cpids=()
        for s in "$@"; do
            if [ "${s#raw:}" != "$s" ]; then args=(--raw "${s#raw:}"); else args=(--scenario "$s"); fi
            client "$work/interleaved.${s#raw:}.json" "${args[@]}" &
            cpids+=($!)
            pids+=($!)
        done
        for p in "${cpids[@]}"; do wait "$p" || true; forget "$p"; done
        for s in "$@"; do gateway_record "$gw_log" "$work/interleaved.${s#raw:}.json" > /dev/null; done
        [ -n "$capture_dir" ] && stop_capture
        for s in "$@"; do
            n=${s#raw:}
            [ "$n" != "$s" ] && n=raw-$n
            compare "$n" interleaved.pcap "$work/interleaved.${s#raw:}.json"
        done
    fi

    # --- a Linux cooked capture (-i any) ---------------------------------------------------------------
    want cooked-any && run_one good-v3 cooked-any.pcap any -- --scenario good-v3
    stop "$gw_pid" TERM

    # --- permessage-deflate negotiated --------------------------------------------------------------
    if want good-v3-deflate || want big-preauth-deflate; then
        start_gateway deflate --port 0 --token "$TOKEN" --deflate on || { echo "run-scenarios: deflate gateway did not start" >&2; exit 2; }
        want good-v3-deflate && run_one good-v3 good-v3-deflate.pcap lo -- --scenario good-v3 --deflate on
        want big-preauth-deflate && run_one big-preauth big-preauth-deflate.pcap lo -- --scenario big-preauth --deflate on
        stop "$gw_pid" TERM
    fi

    # --- the NAS report: a protocol-4 client against a protocol-3 gateway on port 42919 ----------------
    if want nas-protocol-mismatch; then
        if ! start_gateway nas --port "$NAS_PORT" --token "$TOKEN"; then
            echo "run-scenarios: port $NAS_PORT is busy; the NAS reproduction uses a free port" >&2
            start_gateway nas --port 0 --token "$TOKEN" || exit 2
        fi
        run_one protocol-4 nas-protocol-mismatch.pcap lo -- --scenario protocol-4
        stop "$gw_pid" TERM
    fi

    # --- a busy gateway: the connect's checks wait 4 s, the 3 s handshake timer fires first -----------
    if want busy-gateway; then
        start_gateway busy --port 0 --token "$TOKEN" --slow-connect 4000 || exit 2
        run_one busy-gateway busy-gateway.pcap lo -- --scenario busy-gateway
        stop "$gw_pid" TERM
    fi

    # --- accepted, then the gateway stops (1012) or dies (no close frame) ------------------------------
    for name in gateway-restart gateway-killed; do
        want "$name" || continue
        start_gateway "$name" --port 0 --token "$TOKEN" || exit 2
        out=$work/$name.client.json
        [ -n "$capture_dir" ] && start_capture "$capture_dir/$name.pcap" "$gw_port" lo
        client "$out" --scenario "$name" --hold 4000 &
        cpid=$!
        pids+=("$cpid")
        sleep 1.5
        if [ "$name" = gateway-restart ]; then
            stop "$gw_pid" TERM
            wait "$cpid" || true
            forget "$cpid"
            [ -n "$capture_dir" ] && stop_capture
            compare "$name" "$name.pcap" "$out"
        else
            stop "$gw_pid" KILL
            wait "$cpid" || true
            forget "$cpid"
            [ -n "$capture_dir" ] && stop_capture
            # A killed gateway logs nothing: the record says what the kernel did (it closed the socket).
            node "$here/expected.js" entry "$name" "$name.pcap" "$out" \
                '{"cause":"connection-dropped","closeCode":1006,"closeReason":null,"closedBy":null,"message":"no close frame: the gateway process was killed (SIGKILL)"}' \
                "$gw_port" >> "$work/entries.jsonl" || failures=$((failures + 1))
        fi
    done

    # --- a TLS client (wss://) on the plain port: node's HTTP parser answers 400 -------------------------
    if want tls-client; then
        start_gateway tls --port 0 --token "$TOKEN" || exit 2
        out=$work/tls-client.client.json
        [ -n "$capture_dir" ] && start_capture "$capture_dir/tls-client.pcap" "$gw_port" lo
        client "$out" --scenario tls-client
        [ -n "$capture_dir" ] && stop_capture
        node "$here/expected.js" entry tls-client tls-client.pcap "$out" \
            '{"cause":"not-websocket","closeCode":null,"closeReason":null,"closedBy":"gateway","message":"HTTP 400 Bad Request to a TLS ClientHello"}' \
            "$gw_port" >> "$work/entries.jsonl" || failures=$((failures + 1))
        stop "$gw_pid" TERM
    fi

    # --- a pcapng: good-v3 converted ------------------------------------------------------------------
    if [ -n "$capture_dir" ] && want good-v3 && [ -s "$capture_dir/good-v3.pcap" ]; then
        editcap -F pcapng "$capture_dir/good-v3.pcap" "$capture_dir/good-v3.pcapng"
        node "$here/expected.js" copy good-v3.pcap good-v3.pcapng < "$work/entries.jsonl" >> "$work/entries.jsonl"
    fi
else
    stop "$gw_pid" TERM
fi

if [ -n "$capture_dir" ]; then
    merge=
    [ ${#only[@]} -gt 0 ] && merge=--merge
    node "$here/expected.js" write "$capture_dir/expected.json" $merge < "$work/entries.jsonl"
    echo "wrote $capture_dir/expected.json" >&2
fi
count=$(wc -l < "$work/entries.jsonl")
if [ "$failures" -gt 0 ]; then
    echo "run-scenarios: $failures of $count connections did not end as the gateway logged" >&2
    exit 1
fi
echo "run-scenarios: all $count connections: the client's close code equals the gateway's" >&2
