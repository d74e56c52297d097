#!/usr/bin/env bash
# Installs the Debian packages wssniff needs to build and test. Idempotent and non-interactive:
# it installs only what is missing, and does nothing when everything is there.
#   scripts/setup.sh          build dependencies (libpcap, libsodium, zlib, libcrypto for file hashing, pkg-config)
#   scripts/setup.sh --test   also the test tools (tshark, tcpdump, setcap, Node.js with ws, GNU time, Python websockets,
#                             strace)
set -euo pipefail

packages=(libpcap-dev libsodium-dev zlib1g-dev libssl-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(tshark tcpdump libcap2-bin nodejs node-ws time python3 strace)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
# nodejs may come from another source than Debian's archive; a working node is what matters.
if [[ " ${missing[*]} " == *" nodejs "* ]] && command -v node >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}")
fi
read -r -a missing <<< "${missing[*]}"

if (( ${#missing[@]} > 0 )); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    # tshark's package asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [[ "${1:-}" == "--test" ]]; then
    if ! python3 -c 'import websockets' 2>/dev/null; then
        echo "setup: installing Python websockets" >&2
        python3 -m pip install --quiet 'websockets>=12' >&2
    fi
fi
