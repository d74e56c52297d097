#!/usr/bin/env bash
# Runs wssniff's libFuzzer targets (Fuzz/), each for a bounded time, seeded from samples/, and prints per target the
# time it ran, its executions per second, its coverage and what it found. See docs/reliability.md.
#
#   bash scripts/fuzz.sh [--time SECONDS] [--jobs N] [--debug] [TARGET...]
#
# --time: seconds per target (default 300). --jobs: targets run at once (default 1). --debug: an -Onone build in
# .build-fuzz-debug (slower, but `assert`s run and failed checks print their message; logs in logs-debug/).
# TARGET: a subset of the seven targets (default all). Corpora grow in .build-fuzz-out/corpus/TARGET and are kept
# between runs; crashes, timeouts and out-of-memory inputs go to .build-fuzz-out/artifacts/TARGET/. Exits 1 when
# any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(FuzzCaptureReader FuzzTCPReassembly FuzzHTTPUpgrade FuzzWebSocketFrames FuzzGatewayJSON FuzzProofVerify
    FuzzReportSanitizer)
seconds=300
config=release
jobs=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --debug) config=debug; shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    Fuzz*) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1 (targets: ${ALL_TARGETS[*]})" >&2; exit 64 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

scratch=.build-fuzz
logs=logs
if [ "$config" = debug ]; then
    scratch=.build-fuzz-debug
    logs=logs-debug
fi
# Outside the scratch path: SwiftPM may empty that when the build configuration changes.
out=.build-fuzz-out
echo "== building ${targets[*]} ($config, -sanitize=fuzzer,address)"
for target in "${targets[@]}"; do
    WSSNIFF_FUZZ=1 swift build -c "$config" --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$target" 2>&1 |
        grep -E 'error|warning: unre|Build of' || true
    [ -x "$scratch/$config/$target" ] || { echo "fuzz.sh: $target did not build" >&2; exit 1; }
done

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
echo "== seeds from samples/"
python3 scripts/fuzz/seeds.py samples "$seeds"

# The Swift runtime's backtracer would wait on a crash; libFuzzer and ASan report crashes themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"

run_one() {
    local target=$1
    local corpus="$out/corpus/$target" artifacts="$out/artifacts/$target/" log="$out/$logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    local start end
    start=$(date +%s)
    "$scratch/$config/$target" "$corpus" "$seeds/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts" >"$log" 2>&1 || true
    end=$(date +%s)
    echo "$((end - start))" >"$log.seconds"
}

running=0
for target in "${targets[@]}"; do
    echo "== $target: ${seconds}s"
    run_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

found=0
printf '\n%-20s %8s %10s %8s %8s %8s %s\n' target seconds exec/s cov ft corpus findings
for target in "${targets[@]}"; do
    log="$out/$logs/$target.log"
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    pattern='deadly signal|ERROR: (Address|Leak)Sanitizer: [a-z-]+|ERROR: libFuzzer: (timeout|out-of-memory)[a-z -]*'
    findings=$(grep -E -o "$pattern" "$log" | sort -u | paste -sd, - || true)
    artifacts=$(find "$out/artifacts/$target" -type f | wc -l)
    [ -z "$findings" ] || found=1
    printf '%-20s %8s %10s %8s %8s %8s %s\n' "$target" "$(cat "$log.seconds")" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "${findings:-none}${findings:+ ($artifacts in $out/artifacts/$target)}"
done
echo "logs: $out/$logs/"
exit "$found"
