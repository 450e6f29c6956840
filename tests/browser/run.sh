#!/usr/bin/env bash
# Browser tests of the built-in theme, on the bundled reader.
#
#   SCHOLION=target/release/scholion bash tests/browser/run.sh [TEST_FILE...]
#
# Installs what it needs from Debian (chromium, a Java runtime) and npm (playwright-core,
# axe-core, vnu-jar; pinned in package-lock.json, no install scripts, no browser download),
# builds the reader twice into a temporary folder (under /reader/ and at the root /), serves
# both with a tiny Node server on 127.0.0.1, and runs the tests with `node --test`.
# Screenshots go to target/screenshots/. Nothing leaves this machine.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SCHOLION="${SCHOLION:-target/release/scholion}"
case "$SCHOLION" in
  /*) ;;
  *) if [ -e "$PWD/$SCHOLION" ]; then SCHOLION="$PWD/$SCHOLION"; else SCHOLION="$REPO/$SCHOLION"; fi ;;
esac
if [ ! -x "$SCHOLION" ]; then
  echo "error: no scholion binary at $SCHOLION (cargo build --release, or set SCHOLION)" >&2
  exit 1
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian)"
  apt_install chromium fonts-liberation
fi
if ! command -v java >/dev/null 2>&1; then
  echo "== installing a Java runtime (Debian) for the Nu checker"
  apt_install default-jre-headless
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing node and npm (Debian)"
  apt_install nodejs npm
fi

if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  echo "error: playwright-core needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

echo "== npm ci (tests/browser)"
cd "$HERE"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -f package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
else
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/scholion-browser.XXXXXX")"
# Formatted-citation cache of the builds below: inside the work folder, gone with it.
export SCHOLION_CACHE_DIR="$WORK/cache"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Start a server on a free loopback port first (the port goes into --base-url), then build.
serve() { # DIR PREFIX NAME
  node "$HERE/lib/server.js" "$1" "$2" 0 >"$WORK/$3.port" 2>"$WORK/$3.log" &
  PIDS+=("$!")
  for _ in $(seq 1 100); do
    if grep -q '^listening ' "$WORK/$3.port" 2>/dev/null; then
      sed -n 's/^listening //p' "$WORK/$3.port"
      return 0
    fi
    sleep 0.1
  done
  echo "error: the test server did not start" >&2
  cat "$WORK/$3.log" >&2
  return 1
}
READER_PORT="$(serve "$WORK/reader" /reader/ reader)"
ROOT_PORT="$(serve "$WORK/root" / root)"
COMPANION_PORT="$(serve "$WORK/companion" / companion)"
export READER_URL="http://127.0.0.1:$READER_PORT/reader/"
export ROOT_URL="http://127.0.0.1:$ROOT_PORT/"
export COMPANION_URL="http://127.0.0.1:$COMPANION_PORT/"
export READER_DIR="$WORK/reader" ROOT_DIR="$WORK/root" COMPANION_DIR="$WORK/companion"
export CHROMIUM=/usr/bin/chromium
export SCHOLION
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$REPO/target/screenshots}"

echo "== building the bundled reader with $SCHOLION"
"$SCHOLION" build "$REPO" --out "$READER_DIR" --base-url "$READER_URL"
"$SCHOLION" build "$REPO" --out "$ROOT_DIR" --base-url "$ROOT_URL"
"$SCHOLION" build "$REPO/tests/fixtures/companion" --out "$COMPANION_DIR" --base-url "$COMPANION_URL"

echo "== node --test"
if [ "$#" -gt 0 ]; then TESTS=("$@"); else TESTS=("$HERE"/*.test.js); fi
# One file at a time: 2 cores, and each file drives its own Chromium.
node --test --test-concurrency=1 "${TESTS[@]}"
