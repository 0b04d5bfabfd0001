#!/usr/bin/env bash
# The full invoice flow — token, accounts, create draft, wait, issue, wait, get, download, list,
# usage — against the bundled mock server, in Rust, then Python and Node.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

echo "== building the mock server and the Rust example (debug)"
cargo build -q -p sepay-einvoice-mock -p sepay-einvoice --example quickstart
start_mock
trap stop_mock EXIT
echo "== mock server at $SEPAY_EINVOICE_BASE_URL"

echo; echo "== Rust"
"$DEBUG_DIR/examples/quickstart"

if [ -f bindings-python/scripts/demo.sh ]; then
  echo; echo "== Python"
  bash bindings-python/scripts/demo.sh
fi
if [ -f bindings-node/scripts/demo.sh ]; then
  echo; echo "== Node"
  bash bindings-node/scripts/demo.sh
fi
echo; echo "== demo finished"
