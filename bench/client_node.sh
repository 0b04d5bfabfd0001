#!/usr/bin/env bash
# Node client throughput (sepay-einvoice Client vs hand-rolled fetch) against the release mock;
# writes bench/results/client-node.txt.
#
#   bash bench/client_node.sh [requests] [concurrency]      (defaults 10000, 32)
#
# Builds the addon in release for the run, then restores the debug build that
# bindings-node/scripts/test.sh and `make test` use (both write the same file,
# bindings-node/sepay-einvoice.<platform>.node).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

N="${1:-10000}"
CONCURRENCY="${2:-32}"
OUT="bench/results/client-node.txt"

bash bindings-node/scripts/npm-ci.sh

echo "building the mock (release)…" >&2
cargo build -q --release -p sepay-einvoice-mock
export SEPAY_MOCK_BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/sepay-einvoice-mock"
# Drafts spend no quota, but keep it out of the way as bench/client_rust.rs does.
export SEPAY_MOCK_QUOTA="${SEPAY_MOCK_QUOTA:-1000000}"

restore_debug() {
  echo "restoring the debug addon…" >&2
  npm run --silent build >/dev/null 2>&1 || echo "warning: 'npm run build' (debug) failed; run it by hand" >&2
}
cleanup() {
  stop_mock || true
  restore_debug
}
trap cleanup EXIT

echo "building the addon (release)…" >&2
npm run --silent build:release >/dev/null

start_mock
echo "mock: $SEPAY_EINVOICE_BASE_URL" >&2

SEPAY_BENCH_ADDON_PROFILE=release node bench/client_node.mjs "$N" "$CONCURRENCY" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
