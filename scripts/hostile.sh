#!/usr/bin/env bash
# Runs wssniff on the hostile captures of tools/hostile/make_hostile.py (issue 8) and prints, for each: its size,
# wssniff's exit code, wall time, peak RSS, connections reported, verdict causes and warnings.
#
#   bash scripts/hostile.sh [--scale small|full] [--keep] [--timeout SECONDS]
#
#   --scale    small (a few MB, as the tests use) or full (the sizes issue 8 names; about 260 MB, default)
#   --keep     keep the temporary directory with the captures and outputs
#   --timeout  seconds allowed per file (default 300); a file that takes longer counts as a hang
# Needs python3, GNU time (/usr/bin/time) and a release build (built here).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scale=full
keep=0
limit=300
while (($#)); do
    case "$1" in
    --scale) scale=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --timeout) limit=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "hostile.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wssniff-hostile.XXXXXX")
if ((keep)); then echo "hostile: keeping $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

echo "hostile: building wssniff (release)" >&2
(cd "$here" && swift build -c release >/dev/null)
wssniff="$here/.build/release/wssniff"

echo "hostile: generating the $scale set" >&2
python3 "$here/tools/hostile/make_hostile.py" "$work" --scale "$scale" > "$work/list.tsv"

echo "| capture | packets | MB | exit | seconds | peak RSS MiB | connections | causes | warnings |"
echo "|---|---|---|---|---|---|---|---|---|"
while IFS=$'\t' read -r name packets bytes _; do
    file="$work/$name.pcap"
    set +e
    /usr/bin/time -f "%e %M" -o "$work/$name.time" timeout "$limit" \
        "$wssniff" analyze --format json --no-hash "$file" > "$work/$name.json" 2> "$work/$name.err"
    status=$?
    set -e
    read -r seconds kib < <(tail -1 "$work/$name.time")
    summary=$(python3 - "$work/$name.json" <<'EOF'
import collections, json, sys
try:
    document = json.load(open(sys.argv[1]))
except Exception as error:
    print(f"- | (no JSON: {error}) | -")
    sys.exit(0)
causes = collections.Counter(c.get("verdict", {}).get("cause", "?") for c in document.get("connections", []))
warnings = document.get("input", {}).get("warnings", [])
text = ", ".join(f"{cause} x{count}" for cause, count in causes.most_common())
path = sys.argv[1][: -len(".json")] + ".pcap: "
first = warnings[0][len(path):] if warnings and warnings[0].startswith(path) else (warnings[0] if warnings else "")
print(f"{len(document.get('connections', []))} | {text} | {first[:140]}{' (+%d more)' % (len(warnings) - 1) if len(warnings) > 1 else ''}")
EOF
)
    mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
    if [[ $status == 124 ]]; then status="124 (timeout)"; fi
    echo "| $name | $packets | $mb | $status | $seconds | $mib | $summary |"
done < "$work/list.tsv"
