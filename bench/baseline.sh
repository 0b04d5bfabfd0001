#!/usr/bin/env bash
# The "before" of a performance change: runs the benchmark (quick mode unless told otherwise) with
# the SDK built from an earlier commit, and writes bench/results/baseline.json. The harness,
# peers and mock are this tree's, so the two runs differ only in the SDK. `make bench` compares
# with it where a target is relative to the SDK's own earlier figure (Node main-thread CPU).
#
#   bash bench/baseline.sh REV [quick|full]
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

REV="${1:?usage: bash bench/baseline.sh REV [quick|full]}"
MODE="${2:-quick}"
commit="$(git rev-parse --verify "$REV^{commit}")"
SRC="$CARGO_TARGET_DIR/bench/baseline-src"
OUT="$CARGO_TARGET_DIR/bench/baseline"
# A target directory of its own: cargo names a workspace crate's artifacts by its path relative to
# the workspace, so the exported tree's `core` would overwrite (and be mistaken for) this tree's.
BASE_TARGET="$CARGO_TARGET_DIR/bench/baseline-target"

echo "== the SDK at ${commit:0:10} into $SRC" >&2
rm -rf "$SRC" "$OUT" && mkdir -p "$SRC" "$OUT"
git archive "$commit" | tar -x -C "$SRC"
# This tree's Rust worker (bench/rust, bench/client_rust.rs, bench/peers/), built against that SDK.
rm -rf "$SRC/bench" && mkdir -p "$SRC/bench"
cp -r bench/rust bench/peers bench/client_rust.rs "$SRC/bench/"

SEPAY_BENCH_SDK_TARGET="$BASE_TARGET" SEPAY_BENCH_SDK_SRC="$SRC" SEPAY_BENCH_OUT="$OUT" SEPAY_BENCH_SDK_COMMIT="$commit" SEPAY_BENCH_LABEL="baseline: the SDK at ${commit:0:10}" \
  bash bench/run.sh "$MODE"
python3 - "$OUT/latest.json" bench/results/baseline.json "$commit" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1], encoding="utf-8"))
res["baseline_of"] = f"commit {sys.argv[3][:10]}"
res.pop("targets", None)  # targets belong to a run, not to its baseline
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
EOF
echo "== wrote bench/results/baseline.json (SDK at ${commit:0:10}, $MODE mode)" >&2
