#!/usr/bin/env bash
# Proves that dist/wssniff and dist/wssniff_*.deb (bash scripts/package.sh) run on a Debian system with no Swift
# toolchain and none of the libraries wssniff links: a minimal Debian root made with debootstrap gets only the
# binary, the package and one sample capture, and under chroot:
#   - dist/wssniff --version names the four libraries as linked in (static), and analyze gives the sample's
#     expected verdict (samples/expected.json), from a file, from -r and from a pipe (analyze -);
#   - dpkg -i installs the package: /usr/bin/wssniff, the man page, the completions; it runs from there, also
#     `capture -w - | analyze -` on lo; dpkg -r removes every file it installed.
# Needs root (debootstrap, chroot). The first run downloads a minbase root (~40 MB, a few minutes) into
# WSSNIFF_ROOT_CACHE (default /var/tmp/wssniff-debootstrap/SUITE); later runs copy it (seconds).
# WSSNIFF_TEST_SUITE picks the Debian release of the root (default bookworm: glibc 2.36).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "test-package: needs root (debootstrap, chroot)" >&2; exit 77; fi
suite=${WSSNIFF_TEST_SUITE:-bookworm}
cache=${WSSNIFF_ROOT_CACHE:-/var/tmp/wssniff-debootstrap/$suite}
sample=nas-protocol-mismatch.pcap
deb=$(ls dist/wssniff_*.deb 2>/dev/null | tail -n 1 || true)
if [[ ! -x dist/wssniff || -z $deb ]]; then
    echo "test-package: run bash scripts/package.sh first (no dist/wssniff or dist/wssniff_*.deb)" >&2
    exit 66
fi
expected=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["cause"])' \
    samples/expected.json "$sample")

if [[ ! -d $cache ]]; then
    command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
    echo "test-package: debootstrap --variant=minbase $suite (first run only)" >&2
    rm -rf "$cache.new" && mkdir -p "$(dirname "$cache")"
    debootstrap --variant=minbase "$suite" "$cache.new" http://deb.debian.org/debian >&2
    mv "$cache.new" "$cache"
fi

root=$(mktemp -d /var/tmp/wssniff-root.XXXXXX)
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
cp -a "$cache/." "$root/"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
failures=0
check() { # check DESCRIPTION COMMAND...: runs COMMAND, counts a failure when it fails.
    local description=$1
    shift
    if "$@"; then echo "ok: $description"; else echo "FAILED: $description" >&2; failures=$((failures + 1)); fi
}

# The root has no Swift and none of the libraries: the binary has to carry them.
for library in libswiftCore libpcap libsodium; do
    check "the root has no $library" bash -c "! find '$root/usr/lib' '$root/lib' -name '$library*' | grep -q ."
done
mkdir "$root/test"
cp dist/wssniff "samples/$sample" "$deb" "$root/test/"

version=$(in_root /test/wssniff --version)
echo "$version"
for library in libpcap libsodium zlib libcrypto; do
    check "--version: $library linked in" grep -q "^$library: .*(static)$" <<< "$version"
done
check "-V prints the same" test "$(in_root /test/wssniff -V)" == "$version"
analysis=$(in_root /test/wssniff analyze "/test/$sample")
check "analyze: verdict $expected" grep -q "^ *verdict: $expected:" <<< "$analysis"
check "analyze -r: the same output" test "$(in_root /test/wssniff analyze -r "/test/$sample")" == "$analysis"
check "analyze - (pipe): verdict $expected" \
    bash -c "chroot '$root' /test/wssniff analyze - < 'samples/$sample' | grep -q '^ *verdict: $expected:'"
status=0
in_root /test/wssniff analyze /test/missing.pcap 2>/dev/null || status=$?
check "a missing file exits 66" test "$status" -eq 66

# The package.
check "dpkg -i" in_root dpkg -i "/test/$(basename "$deb")"
installed=$(in_root dpkg -L wssniff)
for file in /usr/bin/wssniff /usr/share/man/man1/wssniff.1.gz /usr/share/bash-completion/completions/wssniff \
    /usr/share/zsh/vendor-completions/_wssniff /usr/share/fish/vendor_completions.d/wssniff.fish \
    /usr/share/doc/wssniff/copyright; do
    check "installed: $file" test -f "$root$file"
done
check "man page: has EXIT STATUS" bash -c "zcat '$root/usr/share/man/man1/wssniff.1.gz' | grep -qx '\\.It 77'"
check "man page: .Ex on its own line" bash -c "zcat '$root/usr/share/man/man1/wssniff.1.gz' | grep -qx '\\.Ex -std'"
check "installed: --version" test "$(in_root wssniff --version)" == "$version"
check "installed: analyze - (pipe)" \
    bash -c "chroot '$root' /usr/bin/wssniff analyze - < 'samples/$sample' | grep -q '^ *verdict: $expected:'"
# capture -w - into analyze -, on lo (root in the chroot, dropping to nobody): a refused connection to port 9 is
# its SYN and RST, through the pipe.
capture=$(in_root bash -c '(sleep 1; exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null &
    wssniff capture -i lo --port 9 -c 2 --duration 10 -w - 2>/dev/null | wssniff analyze -' || true)
check "installed: capture -c 2 -w - | analyze -" grep -q "^2 packets" <<< "$capture"
check "dpkg -r" in_root dpkg -r wssniff
for file in $installed; do
    [[ $file == /usr/share/doc/wssniff || $file == /. ]] && continue
    if [[ -f $root$file ]]; then check "removed: $file" false; fi
done
check "dpkg -r: nothing left" bash -c "! chroot '$root' dpkg -s wssniff >/dev/null 2>&1"

if ((failures > 0)); then
    echo "test-package: $failures check(s) failed" >&2
    exit 1
fi
echo "test-package: every check passed ($suite root)"
