#!/usr/bin/env bash
# Python client throughput (AsyncClient, blocking Client from threads, hand-rolled httpx) against
# the mock server, everything in release mode; writes bench/results/client-python.txt.
# Usage: bash bench/client_python.sh [N]   (N get_invoice calls, N/4 create_invoice; default 10000)
# Note: `maturin develop --release` replaces the debug extension in .venv (test.sh rebuilds it).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
[ -x "$ROOT/.venv/bin/python" ] || "$PYTHON" -m venv "$ROOT/.venv"
# shellcheck disable=SC1091
source "$ROOT/.venv/bin/activate"   # maturin develop needs an active venv
python -m pip install -q --disable-pip-version-check maturin httpx

echo "== building the Python extension (release)" >&2
maturin develop --release --quiet 2>&1 | grep -v '^📦\|^🔗\|^🐍\|^⚠️  Warning: CPython 3' >&2 || true
python -c "import sepay_einvoice" || { echo "the extension did not build" >&2; exit 1; }

echo "== building the mock server (release)" >&2
cargo build -q --release -p sepay-einvoice-mock
export SEPAY_MOCK_BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/sepay-einvoice-mock"

start_mock
trap stop_mock EXIT
python bench/client_python.py "${1:-10000}" bench/results/client-python.txt
