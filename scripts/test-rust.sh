#!/usr/bin/env bash
# Every Rust check: formatting, clippy (all crates, all targets, warnings denied), the generated
# files being up to date, unit, integration, conformance and doc tests.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The schema and the bindings' data layer are generated from the Rust model: fail when stale.
cargo run -q -p xtask -- generate --check
cargo test -q -p xtask
# The PostgreSQL journal's tests (several workers) run against a throwaway local cluster.
source "$ROOT/scripts/postgres.sh"
trap stop_postgres EXIT
start_postgres
cargo test --all-targets
cargo test --doc -p sepay-einvoice -p sepay-einvoice-batch
# What a registry would receive: licences in every package, the crates build from their .crate files.
bash "$ROOT/scripts/check-packaging.sh"
# No reference to a file that is not in the repository (READMEs, docs/).
python3 "$ROOT/scripts/check-doc-refs.py"
