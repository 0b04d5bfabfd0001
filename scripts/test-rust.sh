#!/usr/bin/env bash
# Every Rust check: formatting, clippy (all crates, all targets, warnings denied), unit,
# integration, conformance and doc tests.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --all-targets
cargo test --doc -p sepay-einvoice
