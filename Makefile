# The two commands a fresh machine needs: `make demo` and `make test`.
SHELL := /bin/bash
.PHONY: dist test-install verify-arm64 demo test generate test-rust test-python test-node soak bench bench-quick bench-smoke bench-mock bench-batch clean

demo:
	bash scripts/demo.sh

test: test-rust test-python test-node

# Regenerates everything derived from the Rust model: the JSON Schema (schema/), the Python data
# classes (bindings-python/python/sepay_einvoice/_models.py) and the TypeScript model
# (bindings-node/models.d.ts). `make test` fails while any of them is stale.
generate:
	source scripts/env.sh && cargo run -q -p xtask -- generate

test-rust:
	bash scripts/test-rust.sh

test-python:
	@if [ -f bindings-python/scripts/test.sh ]; then bash bindings-python/scripts/test.sh; else echo "python binding not present"; fi

test-node:
	@if [ -f bindings-node/scripts/test.sh ]; then bash bindings-node/scripts/test.sh; else echo "node binding not present"; fi

# The exactly-once soak at full size (1000 create-and-wait calls per language under mixed faults);
# results in bench/results/soak-<lang>.json. A reduced run (200 calls) is part of `make test`.
soak:
	bash tests/soak/run.sh full

# Every client against its peers on one release mock (docs/PERFORMANCE.md): bench/results/latest.json,
# latest.md and w*.png, and the generated tables of docs/PERFORMANCE.md. bench-quick: the same at a
# smaller size (about 4.5 min after the release builds); bench-smoke: a tiny run on the debug builds
# `make test` made, into target/bench/smoke/ (proves the harness works; no numbers to keep).
bench:
	bash bench/run.sh full

bench-quick:
	bash bench/run.sh quick

bench-smoke:
	bash bench/run.sh smoke

bench-mock:
	bash bench/mock_rps.sh

bench-batch:
	bash bench/batch.sh

clean:
	cargo clean

# Release packages that install without Rust (dist/python wheels, dist/npm tarballs).
dist:
	bash scripts/dist.sh all

# The packages installed and run outside the repository without cargo/rustc (x86_64 glibc).
test-install:
	bash scripts/test-install.sh

# The aarch64 glibc wheel and npm packages from `make dist`, run under qemu (needs apt and root).
verify-arm64:
	bash scripts/verify-arm64.sh
