# Shared settings for the project's scripts: one Cargo target directory and one target triple for
# cargo, maturin and napi, so the three builds reuse each other's artifacts.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
DEBUG_DIR="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"
export SEPAY_MOCK_BIN="${SEPAY_MOCK_BIN:-$DEBUG_DIR/sepay-einvoice-mock}"

# start_mock: builds (if needed) and starts the mock on a free port; sets MOCK_PID and
# SEPAY_EINVOICE_BASE_URL plus the mock's credentials.
start_mock() {
  [ -x "$SEPAY_MOCK_BIN" ] || cargo build -q -p sepay-einvoice-mock
  local out
  out="$(mktemp)"
  "$SEPAY_MOCK_BIN" --port 0 >"$out" 2>&1 &
  MOCK_PID=$!
  for _ in $(seq 1 100); do
    if [ -s "$out" ] && head -n1 "$out" | grep -q '^http'; then break; fi
    sleep 0.1
  done
  SEPAY_EINVOICE_BASE_URL="$(head -n1 "$out")"
  case "$SEPAY_EINVOICE_BASE_URL" in http*) ;; *) echo "mock server did not start: $(cat "$out")" >&2; return 1 ;; esac
  export SEPAY_EINVOICE_BASE_URL SEPAY_EINVOICE_CLIENT_ID=mock_client_id SEPAY_EINVOICE_CLIENT_SECRET=mock_client_secret
}

stop_mock() {
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
  MOCK_PID=
}
