#!/usr/bin/env bash
# Runs the Node quick start against $SEPAY_EINVOICE_BASE_URL (the Makefile starts the mock).
# Credentials default to the mock's; the addon is built when it is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

: "${SEPAY_EINVOICE_BASE_URL:?set SEPAY_EINVOICE_BASE_URL (e.g. the mock server URL)}"
export SEPAY_EINVOICE_BASE_URL
export SEPAY_EINVOICE_CLIENT_ID="${SEPAY_EINVOICE_CLIENT_ID:-mock_client_id}"
export SEPAY_EINVOICE_CLIENT_SECRET="${SEPAY_EINVOICE_CLIENT_SECRET:-mock_client_secret}"

if ! ls bindings-node/*.node > /dev/null 2>&1; then
  [ -d node_modules/@napi-rs/cli ] || npm install --no-audit --no-fund
  npm run build
fi

echo "== Node quick start"
node examples/node/quickstart.mjs
