#!/usr/bin/env bash
# A tiny supervisor for the reference gateway, as a NAS app manager runs OpenClaw: it restarts the gateway whenever
# it exits, and writes the config again before each start, putting `gateway.auth` back and dropping the Control UI
# flags, whatever the user changed. Each start rewrites the file another way, in turn:
#   start 1: written in place; start 2: written to a temporary and renamed over; start 3 and on: deleted, then
#   written anew.
# The gateway's PID file (one line per start) is FILE.pids; stop with SIGTERM (the gateway is stopped too).
#
# Usage: supervisor.sh --config FILE --port N --token T [--log FILE] [--pause SECONDS]
#   --pause: how long the gateway stays down between an exit and the next start (default 1)
set -u
config= port= token= log=/dev/null pause=1
while [ $# -gt 0 ]; do
    case "$1" in
        --config) config=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --token) token=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        --pause) pause=$2; shift 2 ;;
        *) echo "supervisor.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
[ -n "$config" ] && [ -n "$port" ] && [ -n "$token" ] || { echo "usage: supervisor.sh --config FILE --port N --token T" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
child=
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM INT

generated() {
    cat <<JSON5
// Written by the app manager on every start.
{
  gateway: {
    port: $port,
    mode: 'local',
    auth: { mode: 'token', token: '$token' },
    controlUi: { allowInsecureAuth: false },
  },
}
JSON5
}

start=0
while true; do
    start=$((start + 1))
    umask 077
    case $start in
        1) generated > "$config" ;;
        2) generated > "$config.tmp" && mv -f "$config.tmp" "$config" ;;
        *) rm -f "$config"; sleep 0.2; generated > "$config" ;;
    esac
    node "$here/gateway.js" --port "$port" --token "$token" --log "$log" > "$config.out" 2>&1 &
    child=$!
    echo "$child" >> "$config.pids"
    wait "$child"
    child=
    sleep "$pause"
done
