#!/usr/bin/env bash
# Runs the Node quick start against $SEPAY_EINVOICE_BASE_URL (the Makefile starts the mock).
# Credentials default to the mock's. Honours CARGO_TARGET_DIR / CARGO_BUILD_TARGET for the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

: "${SEPAY_EINVOICE_BASE_URL:?set SEPAY_EINVOICE_BASE_URL (e.g. the mock server URL)}"
export SEPAY_EINVOICE_BASE_URL
export SEPAY_EINVOICE_CLIENT_ID="${SEPAY_EINVOICE_CLIENT_ID:-mock_client_id}"
export SEPAY_EINVOICE_CLIENT_SECRET="${SEPAY_EINVOICE_CLIENT_SECRET:-mock_client_secret}"

# Build (or bring up to date: a no-op build takes a few seconds) the addon, debug.
# node_modules as package-lock.json pins it (`npm ci`: never rewrites the lockfile).
bash bindings-node/scripts/npm-ci.sh
npm run --silent build > /dev/null

echo "== Node quick start"
node examples/node/quickstart.mjs
