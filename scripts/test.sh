#!/usr/bin/env bash
# The whole test suite, on a fresh machine: formatting, lints, unit and integration tests
# (real projects built by the real binary), then the browser suite (headless Chromium,
# the W3C Nu checker, axe-core), which installs what it needs from Debian and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

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
echo "== cargo test"
cargo test --all-targets
if [ -f tests/browser/run.sh ]; then
  echo "== browser tests"
  cargo build --quiet
  SCHOLION="$PWD/target/debug/scholion" bash tests/browser/run.sh
fi
