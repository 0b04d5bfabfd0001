#!/usr/bin/env bash
# Runs the exactly-once soak (see tests/soak/README.md) for one or more languages.
#   bash tests/soak/run.sh reduced [rust|python|node ...]   # N=200, C=32; results in $CARGO_TARGET_DIR/soak/
#   bash tests/soak/run.sh full    [rust|python|node ...]   # N=1000, C=32; results in bench/results/soak-<lang>.json
# No language given: all three. The mock, the Python extension (debug, into .venv) and the Node
# addon (debug) are built when missing.
# Exits non-zero if any runner fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$ROOT"

size="${1:-reduced}"
shift || true
langs=("$@")
[ "${#langs[@]}" -gt 0 ] || langs=(rust python node)

spec_size() { python3 -c "import json,sys; print(json.load(open('tests/soak/soak.json'))['sizes'][sys.argv[1]][sys.argv[2]])" "$size" "$1"; }
case "$size" in
  reduced | full) ;;
  *) echo "usage: $0 [reduced|full] [rust|python|node ...]" >&2; exit 2 ;;
esac
export SEPAY_SOAK_CALLS="${SEPAY_SOAK_CALLS:-$(spec_size calls)}"
export SEPAY_SOAK_CONCURRENCY="${SEPAY_SOAK_CONCURRENCY:-$(spec_size concurrency)}"
out_for() {
  if [ "$size" = full ]; then echo "bench/results/soak-$1.json"; else echo "$CARGO_TARGET_DIR/soak/soak-$1.json"; fi
}

[ -x "$SEPAY_MOCK_BIN" ] || cargo build -q -p sepay-einvoice-mock
export SEPAY_MOCK_BIN
# The runners start their own mock; don't let a caller's settings leak in.
unset SEPAY_EINVOICE_BASE_URL SEPAY_EINVOICE_CLIENT_ID SEPAY_EINVOICE_CLIENT_SECRET SEPAY_EINVOICE_ENV

status=0
for lang in "${langs[@]}"; do
  echo "== soak ($lang, $size: $SEPAY_SOAK_CALLS calls at concurrency $SEPAY_SOAK_CONCURRENCY)"
  out="$(out_for "$lang")"
  case "$lang" in
    rust)
      SEPAY_SOAK_OUT="$out" cargo test -q -p sepay-einvoice --test soak || status=1 ;;
    python)
      py="$ROOT/.venv/bin/python"
      if ! "$py" -c "import sepay_einvoice" 2>/dev/null; then
        ( source bindings-python/scripts/_setup.sh && setup_venv -r bindings-python/requirements-dev.txt && build_extension ) \
          || { echo "could not build the Python extension" >&2; status=1; continue; }
      fi
      SEPAY_SOAK_OUT="$out" "$py" tests/soak/soak_python.py || status=1 ;;
    node)
      if ! node -e "require('./bindings-node/index.cjs')" 2>/dev/null; then
        ( bash bindings-node/scripts/npm-ci.sh && npm run build ) \
          || { echo "could not build the Node addon" >&2; status=1; continue; }
      fi
      SEPAY_SOAK_OUT="$out" node tests/soak/soak_node.mjs || status=1 ;;
    *) echo "unknown language $lang" >&2; status=1 ;;
  esac
done
exit "$status"
