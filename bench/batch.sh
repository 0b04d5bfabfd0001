#!/usr/bin/env bash
# Batch issuance: the journaled runner vs a plain loop (release build, in-process mock);
# writes bench/results/batch.json. Arguments: [rows] [concurrency] [pending ms].
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
cargo build -q --release -p sepay-einvoice-batch --example batch_rust
"$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/examples/batch_rust" "${1:-2000}" "${2:-64}" "${3:-1000}" bench/results/batch.json
