#!/usr/bin/env bash
# Live capture under load (issue 7): the reference gateway (tools/gateway/gateway.js) on lo, `wssniff capture`
# writing every packet and printing each connection as it ends (jsonl), and tools/gateway/load.js driving health
# requests and responses at each given rate. Prints, per rate, what the load achieved and what wssniff captured,
# wrote and the kernel dropped (pcap_stats). Needs root (live capture) and Node.js with Debian's node-ws.
#
#   sudo bash bench/live.sh [--rates 20000,40000,80000,0] [--connections 4] [--duration 5] [--port 42919]
#
#   --rates        messages per second to aim for, requests + responses together; 0: as fast as the gateway answers
#   --connections  gateway connections the load spreads over
#   --duration     seconds of load per rate
# Extra arguments after -- go to `wssniff capture` (e.g. -- --buffer-size 64).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rates=20000,40000,80000,0
connections=4
duration=5
port=42919
extra=()
while (($#)); do
    case "$1" in
    --rates) rates=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "live.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
if [[ $(id -u) -ne 0 ]]; then echo "live.sh: live capture needs root" >&2; exit 77; fi
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

work=$(mktemp -d "${TMPDIR:-/tmp}/wssniff-live.XXXXXX")
cleanup() {
    [[ -n "${gateway_pid:-}" ]] && kill "$gateway_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

(cd "$here" && swift build -c release >/dev/null)
wssniff="$here/.build/release/wssniff"

node "$here/tools/gateway/gateway.js" --port "$port" --token bench-token --log "$work/gateway.log" > "$work/gateway.out" &
gateway_pid=$!
for _ in $(seq 50); do grep -q listening "$work/gateway.out" 2>/dev/null && break; sleep 0.1; done

echo "| target msg/s | achieved msg/s | messages | packets captured | written | kernel dropped | connections printed |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -r -a rate_list <<< "$rates"
for rate in "${rate_list[@]}"; do
    "$wssniff" capture -i lo --port "$port" -w "$work/live.pcap" --format jsonl ${extra[@]+"${extra[@]}"} \
        > "$work/events.jsonl" 2> "$work/capture.err" &
    capture_pid=$!
    for _ in $(seq 50); do grep -q "capturing on" "$work/capture.err" 2>/dev/null && break; sleep 0.1; done
    load=$(node "$here/tools/gateway/load.js" --port "$port" --token bench-token --connections "$connections" \
        --duration "$duration" --rate "$rate")
    sleep 1
    kill -INT "$capture_pid"
    wait "$capture_pid" || true
    summary=$(tail -1 "$work/capture.err")
    captured=$(sed -n 's/.*: \([0-9]*\) packets captured.*/\1/p' <<< "$summary")
    written=$(sed -n 's/.*captured, \([0-9]*\) written.*/\1/p' <<< "$summary")
    dropped=$(sed -n 's/.*received, \([0-9]*\) dropped.*/\1/p' <<< "$summary")
    read -r achieved messages < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["messagesPerSecond"], d["requests"]+d["responses"])' "$load")
    printed=$(wc -l < "$work/events.jsonl")
    echo "| ${rate/#0/max} | $achieved | $messages | ${captured:-?} | ${written:-?} | ${dropped:-?} | $printed |"
done
