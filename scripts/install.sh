#!/usr/bin/env bash
# Installs wssniff, its man page and its bash, zsh and fish completions under a prefix, `make install` style.
#   PREFIX=/usr/local bash scripts/install.sh           after `swift build -c release` (or scripts/package.sh)
#   bash scripts/install.sh --prefix ~/.local           another prefix; DESTDIR= or --destdir stages it elsewhere
#   bash scripts/install.sh --uninstall                 removes what it installs
#   bash scripts/install.sh --binary FILE               installs FILE as the binary (the rest generated from it)
# It installs dist/wssniff when scripts/package.sh built it (self-contained), else .build/release/wssniff (which
# links the system's libpcap, libsodium, zlib and libcrypto). The man page and completions come from dist/share,
# or are generated from the binary (the man page with swift-argument-parser's generate-manual).
# Files: PREFIX/bin/wssniff, PREFIX/share/man/man1/wssniff.1, PREFIX/share/bash-completion/completions/wssniff,
# PREFIX/share/zsh/vendor-completions/_wssniff (zsh: add it to fpath outside /usr), and
# PREFIX/share/fish/vendor_completions.d/wssniff.fish.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
from=""
uninstall=false
binary=""
while (( $# > 0 )); do
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        --uninstall) uninstall=true; shift ;;
        *) echo "install.sh: unknown argument $1 (see the comment at the top)" >&2; exit 64 ;;
    esac
done
files=(bin/wssniff share/man/man1/wssniff.1 share/bash-completion/completions/wssniff
    share/zsh/vendor-completions/_wssniff share/fish/vendor_completions.d/wssniff.fish)
target=$destdir$prefix

if $uninstall; then
    for file in "${files[@]}"; do rm -f "$target/$file" "$target/$file.gz"; done
    echo "install.sh: removed wssniff from $target" >&2
    exit 0
fi

if [[ -z $from && -z $binary && -x dist/wssniff ]]; then from=dist; fi
if [[ -n $from ]]; then
    binary=$from/wssniff
elif [[ -z $binary ]]; then
    binary=.build/release/wssniff
    if [[ ! -x $binary ]]; then
        echo "install.sh: build first: swift build -c release (or bash scripts/package.sh)" >&2
        exit 66
    fi
fi
install -d "$target/bin" "$target/share/man/man1" "$target/share/bash-completion/completions" \
    "$target/share/zsh/vendor-completions" "$target/share/fish/vendor_completions.d"
install -m 0755 "$binary" "$target/bin/wssniff"
if [[ -n $from && -f $from/share/man/man1/wssniff.1 ]]; then
    for file in "${files[@]:1}"; do install -m 0644 "$from/$file" "$target/$file"; done
else
    swift build --product generate-manual >&2
    manual=$(mktemp -d)
    trap 'rm -rf "$manual"' EXIT
    "$(swift build --show-bin-path)/generate-manual" "$binary" --section 1 -o "$manual"
    # generate-manual ends the page with ".Ex -std" and no newline: end that line, then add the statuses.
    sed -e '$a\' "$manual/wssniff.1" | cat - scripts/wssniff-exit-status.mdoc > "$target/share/man/man1/wssniff.1"
    "$binary" --generate-completion-script bash > "$target/share/bash-completion/completions/wssniff"
    "$binary" --generate-completion-script zsh > "$target/share/zsh/vendor-completions/_wssniff"
    "$binary" --generate-completion-script fish > "$target/share/fish/vendor_completions.d/wssniff.fish"
    chmod 0644 "$target"/share/man/man1/wssniff.1 "$target"/share/*/*/*wssniff*
fi
echo "install.sh: installed wssniff in $target/bin" >&2
