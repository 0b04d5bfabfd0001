#!/usr/bin/env bash
# Rust client throughput against the in-process mock (release build); writes bench/results/client-rust.txt.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
cargo build -q --release -p sepay-einvoice --example client_rust
"$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/examples/client_rust" "${1:-20000}" "${2:-32}" bench/results/client-rust.txt
