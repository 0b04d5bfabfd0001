#!/usr/bin/env bash
# Node binding: install, build (debug), then conformance + node --test + tsc + example tests.
# Works from a fresh clone with Rust and Node installed. Honours CARGO_TARGET_DIR and
# CARGO_BUILD_TARGET (default: the repository's target/), and SEPAY_MOCK_BIN (else the mock is
# built with cargo). Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# napi always builds with --target <host>; use the same triple for the mock so they share artifacts.
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"

step() { printf '\n== node: %s\n' "$*"; }

step "npm ci (node_modules as package-lock.json pins it; the lockfile is never rewritten)"
bash bindings-node/scripts/npm-ci.sh

step "the release workflows parse (GitHub rejects a workflow that is not valid YAML)"
node -e '
  const fs = require("fs"), yaml = require("js-yaml");
  for (const f of fs.readdirSync(".github/workflows").filter((f) => /\.ya?ml$/.test(f))) {
    yaml.load(fs.readFileSync(".github/workflows/" + f, "utf8"), { filename: f });
    console.log(".github/workflows/" + f + ": ok");
  }'

step "build the addon (debug)"
npm run build

step "the addon's own unit tests (cargo test --lib)"
cargo test -q -p sepay-einvoice-node --lib

if [ -z "${SEPAY_MOCK_BIN:-}" ]; then
  step "build the mock server"
  cargo build -p sepay-einvoice-mock
  if [ -n "${CARGO_BUILD_TARGET:-}" ]; then
    SEPAY_MOCK_BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/sepay-einvoice-mock"
  else
    SEPAY_MOCK_BIN="$CARGO_TARGET_DIR/debug/sepay-einvoice-mock"
  fi
fi
export SEPAY_MOCK_BIN

status=0

step "conformance scenarios, with the secret scan (SDK logs at trace)"
# Run directly (not under --test) so the summary line prints on its own line. The SDK's logs go
# to stderr from Rust; the scan checks them and every error/client the runner inspected.
scan_dir="$(mktemp -d)"
conf_log="$scan_dir/conformance.log"
SEPAY_EINVOICE_LOG=trace SEPAY_SCAN_SECRETS_FILE="$scan_dir/secrets.json" \
  node bindings-node/__test__/conformance.test.mjs > "$conf_log" 2>&1 || status=1
grep -E '^(FAILED|not ok)' "$conf_log" || true
grep -E '^conformance \(node\): ' "$conf_log" || { echo "conformance (node): no summary"; tail -20 "$conf_log"; status=1; }
node bindings-node/__test__/secret-scan.mjs "$conf_log" "$scan_dir/secrets.json" || status=1
rm -rf "$scan_dir"

step "bad-input corpus"
# Run directly (not under --test) so the summary prints on its own line.
bad_log="$(mktemp)"
node bindings-node/__test__/bad-input.test.mjs > "$bad_log" 2>&1 || status=1
grep -E '^(FAILED|skipped|bad-input \(node\): )' "$bad_log" || { echo "bad-input (node): no summary"; tail -20 "$bad_log"; status=1; }
rm -f "$bad_log"

step "node --test api + faults + corrections + batch"
node --test bindings-node/__test__/api.test.mjs bindings-node/__test__/faults.test.mjs bindings-node/__test__/corrections.test.mjs bindings-node/__test__/batch.test.mjs || status=1

step "soak (reduced: see tests/soak/README.md)"
node tests/soak/soak_node.mjs || status=1

step "tsc --noEmit --strict"
npx tsc -p bindings-node/tsconfig.json || status=1

step "examples: express-app (against sepay-einvoice/testing)"
node --test examples/node/express-app/app.test.mjs || status=1

step "testing helpers (sepay-einvoice/testing), with the quick start against the in-process mock"
node --test bindings-node/__test__/testing.test.mjs || status=1

if [ "$status" -ne 0 ]; then
  echo "node: FAILED" >&2
else
  echo "node: all passed"
fi
exit "$status"
