#!/usr/bin/env bash
# Prints the Debian copyright file of the wssniff package (scripts/package.sh): wssniff, and the libraries linked
# into its binary with their licenses, taken from the copyright files of the Debian packages they come from.
set -euo pipefail
root=${1:-.}
cat <<'HEADER'
Upstream-Name: wssniff
Comment: The wssniff binary has these libraries linked in statically: the Swift standard library and runtime
 (Apache-2.0 with the Runtime Library Exception, https://swift.org/LICENSE.txt), swift-argument-parser
 (Apache-2.0 with the Runtime Library Exception), libpcap (BSD-3-Clause), libsodium (ISC), zlib (Zlib) and
 OpenSSL's libcrypto (Apache-2.0). Their notices follow, from the Debian packages the build used.

Files: *
Copyright: the wssniff developers
License: none-yet
 The wssniff repository does not state a license yet.
HEADER
for package in libpcap0.8 libsodium23 zlib1g libssl3; do
    file=/usr/share/doc/$package/copyright
    [[ -f $file ]] || continue
    printf '\nComment: ---- %s (from Debian package %s) ----\n' "$(basename "$file")" "$package"
    sed 's/^/ /' "$file"
done
parser=$root/.build/checkouts/swift-argument-parser/LICENSE.txt
if [[ -f $parser ]]; then
    printf '\nComment: ---- swift-argument-parser LICENSE.txt ----\n'
    sed 's/^$/./; s/^/ /' "$parser"
fi
