# Sourced by test.sh and demo.sh: a venv at the repo root with the build tools, and the extension
# built in debug mode into it. Honours CARGO_TARGET_DIR / CARGO_BUILD_TARGET (default: the repo's
# target/ and the host triple, as the other scripts use, so cargo, maturin and napi share artifacts).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
DEBUG_DIR="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"

# setup_venv REQUIREMENTS...: creates/uses .venv at the repo root and installs what is missing.
setup_venv() {
  local python="${PYTHON:-python3}"
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    echo "== creating $ROOT/.venv"
    "$python" -m venv "$ROOT/.venv"
  fi
  # shellcheck disable=SC1091
  source "$ROOT/.venv/bin/activate"   # maturin develop needs an active venv
  if ! python -m pip install -q --disable-pip-version-check "$@"; then
    echo "pip install failed" >&2
    return 1
  fi
}

# build_extension: `maturin develop` (debug) of bindings-python into the venv.
build_extension() {
  echo "== building the Python extension (debug, target $CARGO_BUILD_TARGET)"
  maturin develop --quiet 2>&1 | grep -v '^📦\|^🔗\|^🐍\|^⚠️  Warning: CPython 3' || true
  python -c "import sepay_einvoice" || { echo "the extension did not build" >&2; return 1; }
}

# build_mock: sets SEPAY_MOCK_BIN (building the mock when it is not given).
build_mock() {
  if [ -z "${SEPAY_MOCK_BIN:-}" ] || [ ! -x "${SEPAY_MOCK_BIN}" ]; then
    echo "== building the mock server"
    cargo build -q -p sepay-einvoice-mock
    export SEPAY_MOCK_BIN="$DEBUG_DIR/sepay-einvoice-mock"
  fi
  [ -x "$SEPAY_MOCK_BIN" ] || { echo "mock server binary missing: $SEPAY_MOCK_BIN" >&2; return 1; }
}
