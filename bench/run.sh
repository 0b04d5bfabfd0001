#!/usr/bin/env bash
# The benchmark harness: builds what the mode needs, then runs bench/harness.py and
# bench/report.py. Method and meaning of every number: docs/PERFORMANCE.md.
#
#   bash bench/run.sh full    # make bench:       release builds, 5 runs per client, W5 with 10,000 waits
#   bash bench/run.sh quick   # make bench-quick: release builds, 3 runs, smaller sizes (~3-4 min)
#   bash bench/run.sh smoke   # make bench-smoke: debug builds (what `make test` built), 1 tiny run
#
# full and quick write bench/results/latest.{json,md} and bench/results/w*.png (latest.json says
# which mode made it) and refresh the generated block of docs/PERFORMANCE.md. smoke writes to
# target/bench/smoke/ only, so it never changes the work tree.
#
# Everything installed lives under target/bench/: a Python venv with bench/requirements.txt and
# the SDK's release wheel, the Node peers from bench/node/package-lock.json (npm ci), the release
# addon packaged like the npm package. Needs Rust, Python >= 3.9, Node >= 20.17 and wrk (installed
# with apt-get when missing and running as root).
#
# SEPAY_BENCH_SDK_SRC=DIR builds the SDK (wheel, addon, Rust worker) from another source tree, in
# the Cargo target directory SEPAY_BENCH_SDK_TARGET (it must not be this tree's: cargo names a
# workspace crate's artifacts by its path inside the workspace, so the two trees' crates would
# overwrite each other), and SEPAY_BENCH_OUT=DIR writes the results there instead
# (bench/baseline.sh uses all three); the mock, the peers and the harness always come from this
# tree.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

MODE="${1:-quick}"
case "$MODE" in full|quick|smoke) ;; *) echo "usage: bash bench/run.sh full|quick|smoke" >&2; exit 2 ;; esac

WORK="$CARGO_TARGET_DIR/bench"
mkdir -p "$WORK"
t_start=$SECONDS
say() { printf '== [%3ds] %s\n' "$((SECONDS - t_start))" "$*" >&2; }

ensure_wrk

# --- the Python venv: peers, matplotlib, maturin -------------------------------------------------
VENV="$WORK/venv"
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "${PYTHON:-python3}" -m venv "$VENV"; }
want="$(sha256sum bench/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$VENV/.bench-requirements" 2>/dev/null)" != "$want" ]; then
  say "pip install -r bench/requirements.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r bench/requirements.txt
  echo "$want" >"$VENV/.bench-requirements"
fi

# --- the Node peers (npm ci into target/bench/node) ----------------------------------------------
PEERS="$WORK/node"
want="$(cat bench/node/package.json bench/node/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$PEERS/.bench-installed" 2>/dev/null)" != "$want" ]; then
  say "npm ci (bench/node/package-lock.json) into $PEERS"
  rm -rf "$PEERS" && mkdir -p "$PEERS"
  cp bench/node/package.json bench/node/package-lock.json "$PEERS/"
  (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$PEERS/.bench-installed"
fi

# --- the SDK and the mock ---------------------------------------------------------------------------
PY_PATH=""
if [ "$MODE" = smoke ]; then
  PROFILE=debug
  OUT="$WORK/smoke"
  say "debug builds (no-ops after make test)"
  cargo build -q -p sepay-einvoice-mock
  MOCK_BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/sepay-einvoice-mock"
  cargo build -q --example client_rust
  RUST_WORKER="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/examples/client_rust"
  # The module `maturin develop` put next to the Python sources (make test does), taken first.
  if ! ls bindings-python/python/sepay_einvoice/_native*.so >/dev/null 2>&1; then
    say "building the Python extension (debug, maturin develop)"
    VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --quiet >/dev/null
  fi
  PY_PATH="$ROOT/bindings-python/python"
  # The addon `npm run build` put in bindings-node/ (make test does); the repository is the package.
  if ! ls bindings-node/sepay-einvoice.*.node >/dev/null 2>&1; then
    say "building the Node addon (debug)"
    bash bindings-node/scripts/npm-ci.sh
    npm run --silent build >/dev/null
  fi
  NODE_SDK="$ROOT"
else
  PROFILE=release
  OUT="$ROOT/bench/results"
  SRC="${SEPAY_BENCH_SDK_SRC:-$ROOT}"
  SDK_TARGET="${SEPAY_BENCH_SDK_TARGET:-$CARGO_TARGET_DIR}"
  if [ "$SRC" != "$ROOT" ] && [ "$SDK_TARGET" = "$CARGO_TARGET_DIR" ]; then
    echo "SEPAY_BENCH_SDK_SRC needs a SEPAY_BENCH_SDK_TARGET of its own" >&2; exit 2
  fi
  say "release build: the mock"
  cargo build -q --release -p sepay-einvoice-mock
  MOCK_BIN="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release/sepay-einvoice-mock"

  say "release build: the Rust worker (bench/rust, at the root Cargo.lock's versions)"
  cp "$SRC/Cargo.lock" "$SRC/bench/rust/Cargo.lock"
  CARGO_TARGET_DIR="$SDK_TARGET" cargo build -q --release --manifest-path "$SRC/bench/rust/Cargo.toml"
  RUST_WORKER="$WORK/sepay-einvoice-bench"
  cp "$SDK_TARGET/$CARGO_BUILD_TARGET/release/sepay-einvoice-bench" "$RUST_WORKER"

  say "release build: the Python wheel (maturin build --release), installed into $VENV"
  rm -rf "$WORK/wheels"
  # As scripts/dist.sh builds it, without the cross-compiling: --target decides, not the variable.
  (cd "$SRC" && CARGO_TARGET_DIR="$SDK_TARGET" CARGO_BUILD_TARGET= "$VENV/bin/maturin" build --release --strip --target "$CARGO_BUILD_TARGET" \
    --compatibility linux --out "$WORK/wheels" --quiet >/dev/null)
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WORK"/wheels/*.whl

  say "release build: the Node addon (napi build --release), packaged into $WORK/node-sdk"
  bash bindings-node/scripts/npm-ci.sh   # the napi CLI (this tree's node_modules)
  triple="$CARGO_BUILD_TARGET"
  rm -rf "$WORK/addon" && mkdir -p "$WORK/addon"
  (cd "$SRC" && CARGO_TARGET_DIR="$SDK_TARGET" CARGO_BUILD_TARGET= "$ROOT/node_modules/.bin/napi" build --platform --release --strip \
    --target "$triple" --manifest-path bindings-node/Cargo.toml --package-json-path package.json \
    --output-dir "$WORK/addon" --no-js --dts "$WORK/addon/native.d.ts" >/dev/null)
  NODE_SDK="$WORK/node-sdk"
  rm -rf "$NODE_SDK" && mkdir -p "$NODE_SDK/bindings-node"
  # The files of the published package (package.json "files"), with the release addon.
  cp "$SRC/package.json" "$NODE_SDK/"
  cp "$SRC"/bindings-node/{index.cjs,index.mjs,index.d.ts,models.d.ts,native.js,native.d.ts} "$NODE_SDK/bindings-node/"
  cp "$SRC"/bindings-node/testing.* "$NODE_SDK/bindings-node/"
  cp "$WORK"/addon/*.node "$NODE_SDK/bindings-node/"
fi
OUT="${SEPAY_BENCH_OUT:-$OUT}"
for f in "$MOCK_BIN" "$RUST_WORKER"; do [ -x "$f" ] || { echo "missing build output: $f" >&2; exit 1; }; done

export SEPAY_BENCH_PROFILE="$PROFILE" SEPAY_BENCH_MOCK_BIN="$MOCK_BIN" SEPAY_BENCH_RUST_WORKER="$RUST_WORKER"
export SEPAY_BENCH_PYTHON="$VENV/bin/python" SEPAY_BENCH_PYTHONPATH="$PY_PATH"
export SEPAY_BENCH_NODE_SDK="$NODE_SDK" SEPAY_BENCH_NODE_PEERS="$PEERS" SEPAY_BENCH_NODE="$(command -v node)"

say "running the $MODE benchmark ($PROFILE builds)"
mkdir -p "$OUT"
# In the background so that a TERM to this script reaches the harness, which stops the mock.
"$VENV/bin/python" bench/harness.py "$MODE" --out "$OUT" --label "${SEPAY_BENCH_LABEL:-}" &
harness=$!
trap 'kill -TERM "$harness" 2>/dev/null || true; wait "$harness" 2>/dev/null || true' INT TERM
status=0
wait "$harness" || status=$?
trap - INT TERM
[ "$status" -eq 0 ] || { echo "bench: the $MODE run failed (logs in $WORK/logs/$MODE)" >&2; exit "$status"; }

doc=()
[ "$OUT" = "$ROOT/bench/results" ] && doc=(--doc docs/PERFORMANCE.md --readme README.md)
"$VENV/bin/python" bench/report.py "$OUT" "${doc[@]}"
say "done: $OUT/latest.md"
