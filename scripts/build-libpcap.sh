#!/usr/bin/env bash
# Builds a static libpcap for the self-contained binary (scripts/package.sh), from Debian's own source package.
#
# Debian's libpcap.a is built with D-Bus and RDMA capture, so linking it statically drags in libdbus-1 and
# libsystemd (Debian ships no libsystemd.a) and libibverbs. This build is Debian's libpcap (same upstream version,
# Debian's patches applied) with the D-Bus, RDMA, Bluetooth, USB and netlink (monitor mode) capture types off:
# wssniff captures on ordinary network interfaces only.
#
#   scripts/build-libpcap.sh OUTDIR    writes OUTDIR/libpcap.a and OUTDIR/libpcap.version (nothing if they are there)
# Needs root (or sudo) once, to add a deb-src entry for Debian's archive and install flex, bison and dpkg-dev.
set -euo pipefail
out=$(realpath -m "${1:?usage: scripts/build-libpcap.sh OUTDIR}")
[[ -f "$out/libpcap.a" ]] && exit 0
work=${WSSNIFF_LIBPCAP_WORK:-/var/tmp/wssniff-libpcap}

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
need=()
for package in flex bison dpkg-dev gcc make; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
sources=/etc/apt/sources.list.d/wssniff-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "build-libpcap: adding $sources (Debian's source archive, for apt-get source libpcap)" >&2
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" "Suites: $codename" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $sudo tee "$sources" >/dev/null
    $sudo apt-get update -qq
fi
if (( ${#need[@]} > 0 )); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

rm -rf "$work" && mkdir -p "$work" && cd "$work"
# The source of the libpcap the system's libpcap-dev is built from (its version is printed by --version).
apt-get source -qq libpcap >&2
cd "$(find . -maxdepth 1 -type d -name 'libpcap-*' | head -n 1)"
CFLAGS="-O2 -fPIC" ./configure --quiet --disable-shared --enable-static --disable-dbus --disable-rdma \
    --disable-bluetooth --disable-usb --disable-netmap --without-libnl --without-dpdk >&2
make -s -j"$(nproc)" libpcap.a >&2
mkdir -p "$out"
cp libpcap.a "$out/libpcap.a"
cat VERSION > "$out/libpcap.version" 2>/dev/null || true
echo "build-libpcap: $out/libpcap.a" >&2
