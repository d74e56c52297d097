#!/usr/bin/env bash
# wssniff benchmark (issue 7): wssniff analyze against the bare libpcap loop, tcpdump and tshark, on
# deterministic synthetic gateway captures generated into a temporary directory (never the repository).
#
#   bash bench/run.sh [--size 100M|1G|both] [--mss 65483|1448|both] [--runs N] [--tshark-runs N] [--quick]
#                     [--package-dir DIR] [--keep]
#
#   --size         capture size (default both: 100 MB and 1 GB; also any number of bytes or NNM / NNG)
#   --mss          TCP segment size: 65483 as on lo, 1448 as on Ethernet, or both (default both)
#   --runs         timed runs of each tool per file; medians are reported (default 3)
#   --tshark-runs  timed runs of tshark, which reads only the 100 MB (or smaller) files (default 1)
#   --quick        one 20 MB capture at MSS 65483, one run each: checks the script works
#   --package-dir  the wssniff package to build (default: this repository)
#   --keep         keep the temporary directory (captures, JSON, raw timings) and print its path
#
# Speeds and ratios use the median wall time; the CPU column (user + system) is less disturbed by other load on a
# shared machine. Peak RSS is the largest of the runs.
# Needs gcc, libpcap-dev, zlib (dev), libssl-dev, libsodium-dev, tcpdump, tshark; the tools missing from PATH are
# skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
package_dir=$(cd "$here/.." && pwd)
sizes=(100M 1G)
msses=(65483 1448)
runs=3
tshark_runs=1
keep=0

while (($#)); do
    case "$1" in
    --size)
        case "$2" in both) sizes=(100M 1G) ;; *) sizes=("$2") ;; esac
        shift 2 ;;
    --mss)
        case "$2" in both) msses=(65483 1448) ;; *) msses=("$2") ;; esac
        shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --tshark-runs) tshark_runs=$2; shift 2 ;;
    --quick) sizes=(20M); msses=(65483); runs=1; tshark_runs=1; shift ;;
    --package-dir) package_dir=$(cd "$2" && pwd); shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

to_bytes() {
    case "$1" in
    *G) echo $((${1%G} * 1000000000)) ;;
    *M) echo $((${1%M} * 1000000)) ;;
    *) echo "$1" ;;
    esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/wssniff-bench.XXXXXX")
if ((keep)); then
    echo "bench: keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

log() { echo "bench: $*" >&2; }

# --- build -------------------------------------------------------------------------------------------------------
log "building wssniff (release) in $package_dir"
(cd "$package_dir" && swift build -c release >"$work/swift-build.log" 2>&1) || {
    tail -30 "$work/swift-build.log" >&2
    exit 1
}
wssniff="$(cd "$package_dir" && swift build -c release --show-bin-path)/wssniff"
log "compiling the C tools"
gcc -O2 -Wall -o "$work/gen_capture" "$here/gen_capture.c" -lz -lm
gcc -O2 -Wall -o "$work/pcap_loop" "$here/pcap_loop.c" -lpcap
gcc -O2 -Wall -o "$work/peak_rss" "$here/peak_rss.c"
gcc -O2 -Wall -o "$work/floors" "$here/floors.c" -lcrypto -lsodium

have() { command -v "$1" >/dev/null 2>&1; }

# measure TAG RUN CMD...: one timed run, stdout to /dev/null; appends "tag run seconds kib status cpu" to timings
measure() {
    local tag=$1 run=$2
    shift 2
    "$work/peak_rss" "$work/one" "$@" >/dev/null 2>"$work/stderr-$tag" || true
    read -r secs kib status cpu <"$work/one"
    echo "$tag $run $secs $kib $status $cpu" >>"$work/timings"
    if [[ $status != 0 ]]; then
        log "$tag exited with $status: $(tail -3 "$work/stderr-$tag" | tr '\n' ' ')"
    fi
}

median() { # median of the numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$work/timings"
: >"$work/summary"
files=()

# --- captures ----------------------------------------------------------------------------------------------------
for size in "${sizes[@]}"; do
    for mss in "${msses[@]}"; do
        name="gw-$size-mss$mss"
        log "generating $name.pcap"
        "$work/gen_capture" "$work/$name.pcap" "$(to_bytes "$size")" "$mss" >"$work/$name.truth"
        files+=("$name")
    done
done

# --- ground truth check (not timed) ------------------------------------------------------------------------------
truth() { awk -v k="$2" '$1 == k { print $2 }' "$work/$1.truth"; }
checks_ok=1
for name in "${files[@]}"; do
    log "checking wssniff's totals on $name.pcap against the ground truth"
    "$wssniff" analyze --format json "$work/$name.pcap" >"$work/$name.json"
    got=$(jq -r '[.input.packets, (.connections | length),
        ([.connections[].websocket | select(. != null) | .frameCount] | add // 0),
        ([.connections[].websocket | select(. != null) | .clientMessages] | add // 0),
        ([.connections[].websocket | select(. != null) | .serverMessages] | add // 0),
        ([.connections[] | select(.verdict.cause == "accepted")] | length)] | @tsv' "$work/$name.json")
    read -r g_packets g_conns g_frames g_cmsg g_smsg g_accepted <<<"$got"
    want="$(truth "$name" packets) $(truth "$name" connections) $(truth "$name" frames) $(truth "$name" client_messages) $(truth "$name" server_messages) $(truth "$name" connections)"
    if [[ "$g_packets $g_conns $g_frames $g_cmsg $g_smsg $g_accepted" == "$want" ]]; then
        verdict="OK"
    else
        verdict="MISMATCH"
        checks_ok=0
    fi
    printf '%s: ground truth %s: packets %s/%s, connections %s/%s, frames %s/%s, client messages %s/%s, server messages %s/%s, accepted %s/%s (wssniff/generator)\n' \
        "$name" "$verdict" "$g_packets" "$(truth "$name" packets)" "$g_conns" "$(truth "$name" connections)" \
        "$g_frames" "$(truth "$name" frames)" "$g_cmsg" "$(truth "$name" client_messages)" \
        "$g_smsg" "$(truth "$name" server_messages)" "$g_accepted" "$(truth "$name" connections)" >>"$work/summary"
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# --- timed runs, interleaved so drift hits every tool alike ------------------------------------------------------
for name in "${files[@]}"; do
    f="$work/$name.pcap"
    cat "$f" >/dev/null # into the page cache
    small=0
    (($(stat -c %s "$f") <= 200000000)) && small=1
    log "timing $name ($runs runs)"
    for ((r = 1; r <= runs; r++)); do
        measure "$name:wssniff" "$r" "$wssniff" analyze --format json "$f"
        measure "$name:wssniff--frames" "$r" "$wssniff" analyze --format json --frames "$f"
        measure "$name:wssniff--sha256" "$r" "$wssniff" analyze --format json --sha256 "$f"
        measure "$name:libpcap-loop" "$r" "$work/pcap_loop" "$f"
        if have tcpdump; then measure "$name:tcpdump" "$r" tcpdump -r "$f" -w /dev/null; fi
    done
    # The library work wssniff cannot avoid on this file (bench/floors.c), timed alone.
    "$work/floors" "$f" "$(truth "$name" connections)" >"$work/$name.floors"
    if have tshark && ((small)); then
        for ((r = 1; r <= tshark_runs; r++)); do
            log "timing $name: tshark run $r (slow)"
            measure "$name:tshark" "$r" tshark -r "$f" -o tcp.reassemble_out_of_order:TRUE \
                -o tcp.try_heuristic_first:TRUE -Y websocket -T fields -e websocket.opcode
        done
    fi
done

# --- report ------------------------------------------------------------------------------------------------------
echo
echo "wssniff benchmark: $(nproc) cores (load average before: $load_before), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory; medians of $runs runs (tshark: $tshark_runs)"
echo "wssniff: $("$wssniff" --version 2>/dev/null || true) at $(git -C "$package_dir" rev-parse --short HEAD 2>/dev/null || echo '?')"
for name in "${files[@]}"; do
    f="$work/$name.pcap"
    bytes=$(stat -c %s "$f")
    packets=$(truth "$name" packets)
    echo
    echo "### $name.pcap: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $packets packets, $(truth "$name" connections) connections, $(truth "$name" frames) frames, $(truth "$name" messages) messages"
    echo
    echo "| tool | runs | median s | MB/s | M packets/s | peak RSS MiB | median CPU s |"
    echo "|---|---|---|---|---|---|---|"
    for tool in wssniff wssniff--frames wssniff--sha256 libpcap-loop tcpdump tshark; do
        tag="$name:$tool"
        n=$(awk -v t="$tag" '$1 == t' "$work/timings" | wc -l)
        ((n)) || continue
        secs=$(awk -v t="$tag" '$1 == t { print $3 }' "$work/timings" | median)
        kib=$(awk -v t="$tag" '$1 == t { print $4 }' "$work/timings" | sort -g | tail -1)
        cpu=$(awk -v t="$tag" '$1 == t { print $6 }' "$work/timings" | median)
        bad=$(awk -v t="$tag" '$1 == t && $5 != 0' "$work/timings" | wc -l)
        echo "$tag $secs $kib $cpu" >>"$work/medians"
        label=$tool
        [[ $tool == wssniff ]] && label="wssniff analyze --format json"
        [[ $tool == wssniff--frames ]] && label="wssniff analyze --format json --frames"
        [[ $tool == wssniff--sha256 ]] && label="wssniff analyze --format json --sha256 (with the SHA-256 pass)"
        ((bad)) && label="$label (FAILED $bad runs)"
        awk -v l="$label" -v n="$n" -v s="$secs" -v b="$bytes" -v p="$packets" -v k="$kib" -v c="$cpu" \
            'BEGIN { printf "| %s | %d | %.3f | %.0f | %.3f | %.1f | %.3f |\n", l, n, s, b / 1e6 / s, p / 1e6 / s, k / 1024, c }'
    done
    med() { awk -v t="$name:$1" '$1 == t { print $2 }' "$work/medians"; }
    rss() { awk -v t="$name:$1" '$1 == t { print $3 }' "$work/medians"; }
    cpu() { awk -v t="$name:$1" '$1 == t { print $4 }' "$work/medians"; }
    w=$(med wssniff); wf=$(med wssniff--frames); l=$(med libpcap-loop); t=$(med tshark); rw=$(rss wssniff)
    cw=$(cpu wssniff); cl=$(cpu libpcap-loop); ct=$(cpu tshark)
    sha=$(awk '$1 == "sha256" { print $2 }' "$work/$name.floors")
    ver=$(awk '$1 == "verify" { print $2 }' "$work/$name.floors")
    both=$(awk '$1 == "together" { print $2 }' "$work/$name.floors")
    echo
    awk -v w="$w" -v wf="$wf" -v l="$l" -v t="$t" -v p="$packets" -v rw="$rw" -v cw="$cw" -v cl="$cl" -v ct="$ct" \
        -v sha="$sha" -v ver="$ver" -v both="$both" -v cores="$(nproc)" -v conns="$(truth "$name" connections)" 'function ok(c) { return c ? "met" : "NOT met" }
    BEGIN {
        pps = p / w
        printf "- wssniff packets/s: %.2f M (target >= 3 M: %s)\n", pps / 1e6, ok(pps >= 3e6)
        printf "- wssniff / libpcap loop: %.1f%% of the loop'"'"'s speed (target >= 30%%: %s; by CPU time %.1f%%)\n", 100 * l / w, ok(l / w >= 0.3), 100 * cl / cw
        if (t != "") printf "- tshark / wssniff: %.1fx (target >= 50x: %s; by CPU time %.1fx)\n", t / w, ok(t / w >= 50), ct / cw
        printf "- wssniff peak RSS: %.1f MiB (target <= 64 MiB: %s)\n", rw / 1024, ok(rw <= 65536)
        printf "- --frames / summary: %.2fx (target <= 2x: %s)\n", wf / w, ok(wf / w <= 2)
        budget = l / 0.3
        printf "- unavoidable library work, timed alone: SHA-256 of the file %.3f s (one sequential pass), %d Ed25519 verifications %.3f s, both on two threads %.3f s; at 30%% of the loop the run has %.3f s (%.3f CPU s on %d cores): the SHA-256 takes %.0f%% of that time, the two %.0f%% of the CPU time\n", sha, conns, ver, both, budget, budget * cores, cores, 100 * sha / budget, 100 * (sha + ver) / (budget * cores)
        if (t != "") printf "- at 50x tshark the run has %.3f s; the SHA-256 alone takes %.3f s%s\n", t / 50, sha, (sha > t / 50) ? ": 50x cannot be met while input.sha256 is computed" : ""
    }'
done
echo
cat "$work/summary"
((checks_ok)) && echo "wssniff's totals match the generator's ground truth on every file." ||
    echo "wssniff's totals DIFFER from the generator's ground truth (see above)."
