#!/bin/sh
# Install Scholion @VERSION@ from its GitHub release: download the archive for this machine
# (Linux x86_64 or aarch64, macOS x86_64 or arm64), check its SHA-256, and put `scholion`
# into ~/.local/bin. Each release attaches this script with its version filled in:
#
#   curl -fsSL https://github.com/scholion/scholion/releases/download/v@VERSION@/install.sh | sh
#
# Settings (environment): SCHOLION_INSTALL_DIR (default ~/.local/bin); SCHOLION_RELEASES
# (where the archives are, default the project's GitHub releases; a mirror or a test server).
# Needs only sh, curl or wget, tar, gzip and sha256sum or shasum: no Rust toolchain.
set -eu

version="@VERSION@"
releases="${SCHOLION_RELEASES:-https://github.com/scholion/scholion/releases/download}"
bindir="${SCHOLION_INSTALL_DIR:-$HOME/.local/bin}"

fail() {
  echo "error: $*" >&2
  exit 1
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  *) fail "no prebuilt Scholion for $(uname -s) $(uname -m); build it from source: cargo install --locked --git https://github.com/scholion/scholion --tag v$version" ;;
esac
name="scholion-v$version-$target"
url="$releases/v$version/$name.tar.gz"

download() {
  if command -v curl > /dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget > /dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "neither curl nor wget is installed"
  fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
download "$url" "$tmp/$name.tar.gz" || fail "cannot download $url"
download "$url.sha256" "$tmp/$name.tar.gz.sha256" || fail "cannot download $url.sha256"
expected="$(cut -d ' ' -f 1 "$tmp/$name.tar.gz.sha256")"
if command -v sha256sum > /dev/null 2>&1; then
  actual="$(sha256sum "$tmp/$name.tar.gz" | cut -d ' ' -f 1)"
else
  actual="$(shasum -a 256 "$tmp/$name.tar.gz" | cut -d ' ' -f 1)"
fi
[ "$expected" = "$actual" ] ||
  fail "checksum mismatch for $url: expected $expected, got $actual; nothing installed"

tar -xzf "$tmp/$name.tar.gz" -C "$tmp"
mkdir -p "$bindir"
# Copy beside the old binary, then rename over it: a running `scholion` is not disturbed.
cp "$tmp/$name/scholion" "$bindir/.scholion.new"
chmod 755 "$bindir/.scholion.new"
mv -f "$bindir/.scholion.new" "$bindir/scholion"
echo "installed $("$bindir/scholion" --version) to $bindir/scholion"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on your PATH; add it, e.g. export PATH=\"$bindir:\$PATH\"" ;;
esac
