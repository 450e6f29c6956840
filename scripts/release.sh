#!/usr/bin/env bash
# Build and pack one Scholion release archive with its SHA-256 checksum.
#
#   bash scripts/release.sh [--target TRIPLE] [--binary PATH] [--out DIR] [--zig]
#
# Without --binary: `cargo build --release --locked --target TRIPLE` (symbols stripped,
# build paths remapped), then pack. With --binary: pack that already-built binary as the
# TRIPLE's archive without building (the tests pack the debug binary this way).
# TRIPLE defaults to this machine's (`rustc -vV`). --zig builds with `cargo zigbuild` (zig as
# the C compiler and linker: cross-compiling to other Linux architectures). Writes into DIR
# (default target/dist):
#
#   scholion-v<version>-<TRIPLE>.tar.gz   (.zip for Windows): a folder of that name holding
#                                          `scholion` (`scholion.exe`), README.md, licence files
#   scholion-v<version>-<TRIPLE>.tar.gz.sha256   "<hex>  <archive name>", as `sha256sum` writes it
#   install.sh                             the installer the README pipes to `sh`, this version
#                                          baked in
#
# The archive is reproducible: the same binary at the same commit packs to the same bytes
# (names sorted, owner 0, every mtime SOURCE_DATE_EPOCH, default the last commit's time;
# gzip without name or time). `.github/workflows/release.yml` runs this script for every
# target on a `v*` tag.
#
# What this machine (Debian, x86_64) can build itself:
#   x86_64-unknown-linux-gnu    always (the host).
#   x86_64-unknown-linux-musl   with `rustup target add x86_64-unknown-linux-musl` and
#                               `apt-get install musl-tools` (musl-gcc compiles mimalloc's C).
#   aarch64-unknown-linux-musl  with --zig, `rustup target add aarch64-unknown-linux-musl` and
#                               `pip install ziglang cargo-zigbuild` (PyPI ships both binaries);
#                               Debian has no aarch64 musl C cross compiler (gcc-aarch64-linux-gnu
#                               targets glibc). Verified on 2026-11-29: a static binary that
#                               builds a reader under qemu-aarch64-static (Debian qemu-user-static).
#                               release.yml builds it natively on an arm64 runner instead.
#   macOS, Windows              not here (no Apple SDK, no MSVC); release.yml builds them on
#                               macOS and Windows runners.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=""
binary=""
zig=""
out="$REPO/target/dist"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --zig) zig=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument \`$1\` (see --help)" >&2; exit 2 ;;
  esac
done

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO/Cargo.toml" | head -n 1)"
if [ -z "$version" ]; then
  echo "error: no version in $REPO/Cargo.toml" >&2
  exit 1
fi
if [ -z "$target" ]; then
  target="$(rustc -vV | sed -n 's/^host: //p')"
fi
exe=scholion
case "$target" in *windows*) exe=scholion.exe ;; esac
name="scholion-v$version-$target"

if [ -z "$binary" ]; then
  case "$zig-$target" in
    -*-linux-musl)
      if ! command -v musl-gcc > /dev/null && ! command -v "${target%%-*}-linux-musl-gcc" > /dev/null; then
        echo "error: building for $target needs a musl C compiler (Debian, x86_64: apt-get install musl-tools)" >&2
        exit 1
      fi ;;
  esac
  if ! rustup target list --installed 2> /dev/null | grep -qx "$target"; then
    echo "error: the Rust standard library for $target is not installed (rustup target add $target)" >&2
    exit 1
  fi
  build=(cargo build)
  if [ -n "$zig" ]; then build=(cargo zigbuild); fi
  echo "== ${build[*]} --release --target $target"
  (
    cd "$REPO"
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols \
      RUSTFLAGS="--remap-path-prefix=$REPO=/scholion --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" \
      "${build[@]}" --release --locked --target "$target"
  )
  binary="$REPO/target/$target/release/$exe"
fi
if [ ! -f "$binary" ]; then
  echo "error: no binary at $binary" >&2
  exit 1
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git -C "$REPO" log -1 --format=%ct 2> /dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

sha256() {
  if command -v sha256sum > /dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi
}

mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/scholion-release.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/$exe"
chmod 755 "$stage/$name/$exe"
# A debug binary carries hundreds of MB of debug info: pack it without (a release build is
# stripped by cargo already).
if [ "$exe" = scholion ] && command -v strip > /dev/null && head -c 4 "$binary" | grep -q 'ELF'; then
  strip "$stage/$name/$exe" 2> /dev/null || true
fi
cp "$REPO/README.md" "$stage/$name/"
for f in "$REPO"/LICENSE*; do
  if [ -f "$f" ]; then cp "$f" "$stage/$name/"; fi
done

case "$target" in
  *windows*)
    archive="$name.zip"
    rm -f "$out/$archive"
    (
      cd "$stage"
      find "$name" -exec touch -d "@$SOURCE_DATE_EPOCH" {} + 2> /dev/null || true
      if command -v zip > /dev/null; then
        find "$name" | LC_ALL=C sort | zip -X -q "$out/$archive" -@
      else
        7z a -tzip -bd "$out/$archive" "$name" > /dev/null
      fi
    )
    ;;
  *)
    archive="$name.tar.gz"
    tar=tar
    if command -v gtar > /dev/null; then tar=gtar; fi
    if "$tar" --version 2> /dev/null | grep -q 'GNU tar'; then
      "$tar" -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w \
        --mtime="@$SOURCE_DATE_EPOCH" --format=gnu -cf - "$name" | gzip -n > "$out/$archive"
    else
      # bsdtar (macOS without GNU tar): not byte-reproducible, still a valid archive.
      tar -C "$stage" -cf - "$name" | gzip -n > "$out/$archive"
    fi
    ;;
esac

(cd "$out" && sha256 "$archive" > "$archive.sha256")
sed "s/@VERSION@/$version/g" "$REPO/scripts/install.sh" > "$out/install.sh"
chmod 755 "$out/install.sh"
echo "packed $out/$archive"
cat "$out/$archive.sha256"
