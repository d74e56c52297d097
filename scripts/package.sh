#!/usr/bin/env bash
# Builds the self-contained wssniff binary and the Debian package into dist/ (git-ignored):
#   dist/wssniff                     stripped, the Swift standard library and libpcap, libsodium, zlib and libcrypto
#                                    linked in; it needs only glibc (2.35+), libstdc++ and libgcc_s
#   dist/wssniff.unstripped          the same with its symbols
#   dist/share/...                   the man page wssniff(1) and the bash, zsh and fish completions
#   dist/wssniff_VERSION_ARCH.deb    all of the above for /usr (dpkg -i / dpkg -r)
# Usage: bash scripts/package.sh            (as root or with sudo available: installs the build dependencies once)
# Environment: WSSNIFF_SCRATCH (default .build-release), the SwiftPM scratch directory of the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$root/dist
scratch=${WSSNIFF_SCRATCH:-$root/.build-release}
multiarch=$(gcc -print-multiarch)
libdir=/usr/lib/$multiarch

bash scripts/setup.sh
mkdir -p "$dist/static"
# libpcap: Debian's source without D-Bus and RDMA (their static libraries are missing or drag in libsystemd).
bash scripts/build-libpcap.sh "$dist/static"
# The others: Debian's own static archives. libstdc++ stays shared: Debian 12's libstdc++.a calls arc4random, which
# would raise the oldest glibc the binary runs on from 2.35 to 2.36 (Ubuntu 22.04 and RHEL 9 have libstdc++ but not
# glibc 2.36). SwiftPM links what the pkg-config files say
# (-L/usr/lib/MULTIARCH -lsodium, where the .so wins), so the build gets its own .pc files, found first through
# PKG_CONFIG_PATH, that point at this directory of archives only. Their Cflags are Debian's, so the compile does not
# change (libpcap's name the D-Bus headers, through libpcap.pc's Requires.private; libpcap.h does not use them).
for archive in libsodium.a libz.a libcrypto.a; do
    ln -sf "$libdir/$archive" "$dist/static/$archive"
done
rm -f "$dist/static/libstdc++.a"
mkdir -p "$dist/static/pkgconfig"
for module in libpcap:pcap libsodium:sodium zlib:z libcrypto:crypto; do
    name=${module%%:*}
    printf '%s\n' "Name: $name" "Description: $name, static, for scripts/package.sh" \
        "Version: $(pkg-config --modversion "$name")" "Cflags: $(pkg-config --cflags "$name")" \
        "Libs: -L$dist/static -l${module#*:}" > "$dist/static/pkgconfig/$name.pc"
done
export PKG_CONFIG_PATH=$dist/static/pkgconfig

# The commit --version prints, given to Package.swift in the environment: nothing is written into the tree.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown ]] && ! git diff --quiet HEAD 2>/dev/null; then commit+="-dirty"; fi
echo "package: building wssniff at $commit (release; the first build takes a while)" >&2
start=$SECONDS
WSSNIFF_GIT_COMMIT=$commit swift build -c release --product wssniff --scratch-path "$scratch" \
    --static-swift-stdlib \
    -Xlinker -L"$dist/static" -Xlinker -ldl -Xlinker -lpthread >&2
echo "package: built in $((SECONDS - start)) s" >&2
binary=$(swift build -c release --scratch-path "$scratch" --show-bin-path)/wssniff
cp "$binary" "$dist/wssniff.unstripped"
strip --strip-all -o "$dist/wssniff" "$binary"

# Only glibc (libc, libm, ld.so) may remain dynamic; anything else means a library was not linked in.
needed=$(objdump -p "$dist/wssniff" | awk '/NEEDED/ { print $2 }')
depends=()
for library in $needed; do
    case $library in
        libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
        libstdc++.so.*) depends+=("libstdc++6") ;;
        libgcc_s.so.*) depends+=("libgcc-s1") ;;
        *) echo "package: dist/wssniff still links $library dynamically" >&2; exit 1 ;;
    esac
done
glibc=$(objdump -T "$dist/wssniff" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
depends=("libc6 (>= $glibc)" "${depends[@]}")

# The man page, from the command definitions (swift-argument-parser's generate-manual, run on the binary), with
# the exit status section filled in; the completions, from the binary itself.
swift build -c release --product generate-manual --scratch-path "$scratch" --static-swift-stdlib >&2
generator=$(swift build -c release --scratch-path "$scratch" --show-bin-path)/generate-manual
version=$("$dist/wssniff" --version | awk 'NR == 1 { print $2 }')
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
rm -rf "$dist/share" && mkdir -p "$dist/share/man/man1" "$dist/share/bash-completion/completions" \
    "$dist/share/zsh/vendor-completions" "$dist/share/fish/vendor_completions.d"
"$generator" "$dist/wssniff" --date "$date" --section 1 -o "$dist/share/man/man1"
# generate-manual ends the page with ".Ex -std" and no newline: end that line, then add the statuses.
sed -i -e '$a\' "$dist/share/man/man1/wssniff.1"
cat scripts/wssniff-exit-status.mdoc >> "$dist/share/man/man1/wssniff.1"
"$dist/wssniff" --generate-completion-script bash > "$dist/share/bash-completion/completions/wssniff"
"$dist/wssniff" --generate-completion-script zsh > "$dist/share/zsh/vendor-completions/_wssniff"
"$dist/wssniff" --generate-completion-script fish > "$dist/share/fish/vendor_completions.d/wssniff.fish"

# The Debian package.
arch=$(dpkg --print-architecture)
stage=$dist/deb/wssniff_${version}_$arch
rm -rf "$stage" && mkdir -p "$stage/DEBIAN"
bash scripts/install.sh --from "$dist" --prefix /usr --destdir "$stage"
docdir=$stage/usr/share/doc/wssniff
mkdir -p "$docdir"
gzip -9n "$stage/usr/share/man/man1/wssniff.1"
bash scripts/copyright.sh "$root" > "$docdir/copyright"
find "$stage" -type d -exec chmod 0755 {} +
size=$(du -sk --exclude=DEBIAN "$stage" | awk '{ print $1 }')
(IFS=,; deps="${depends[*]}"; cat > "$stage/DEBIAN/control" <<CONTROL
Package: wssniff
Version: $version
Architecture: $arch
Maintainer: wssniff developers <wssniff@localhost>
Installed-Size: $size
Depends: ${deps//,/, }
Suggests: libcap2-bin
Section: net
Priority: optional
Homepage: https://github.com/openclaw/openclaw
Description: explain OpenClaw Gateway WebSocket handshakes from the wire
 wssniff reads pcap/pcapng captures or captures live traffic with libpcap,
 reassembles TCP, dissects the WebSocket upgrade and frames, follows the
 OpenClaw gateway handshake and verifies the Ed25519 device proof, and says
 why each connection closed. Capturing needs root, or once:
 setcap cap_net_raw,cap_net_admin=eip /usr/bin/wssniff
CONTROL
)
deb=$dist/wssniff_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2

echo "package: $dist/wssniff ($(stat -c %s "$dist/wssniff") bytes stripped," \
    "$(stat -c %s "$dist/wssniff.unstripped") unstripped), oldest glibc $glibc" >&2
echo "package: $deb ($(stat -c %s "$deb") bytes), Depends: ${depends[*]}" >&2
ldd "$dist/wssniff" >&2
