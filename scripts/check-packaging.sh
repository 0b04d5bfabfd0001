#!/usr/bin/env bash
# Packaging hygiene (part of `make test`): what a registry would receive.
#   - LICENSE-MIT and LICENSE-APACHE at the root and, identical, in every published package's
#     directory; inside the .crate files, the npm tarball and (pyproject `license-files`) the wheel;
#   - only the four library/CLI crates are publishable, and they package and build from their
#     .crate files alone, in dependency order (cargo verifies the later ones against the earlier
#     ones' .crate files, so nothing has to be on crates.io first).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

fail=0
problem() { echo "packaging: $*" >&2; fail=1; }

CRATES=(core mock-server batch cli)
PUBLISHED_DIRS=("${CRATES[@]}" bindings-python bindings-node)
LICENSES=(LICENSE-MIT LICENSE-APACHE)

for f in "${LICENSES[@]}"; do
  [ -f "$f" ] || { problem "$f missing at the root"; continue; }
  for d in "${PUBLISHED_DIRS[@]}"; do
    cmp -s "$f" "$d/$f" || problem "$d/$f is missing or differs from the root's $f"
  done
done
grep -q 'Copyright (c) the sepay-einvoice authors' LICENSE-MIT || problem "LICENSE-MIT: copyright line"

# Publishable crates: exactly these four (xtask and the binding crates have publish = false).
publishable="$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(" ".join(sorted(p["name"] for p in m["packages"] if p.get("publish") != [])))')"
want="sepay-einvoice sepay-einvoice-batch sepay-einvoice-cli sepay-einvoice-mock"
[ "$publishable" = "$want" ] || problem "publishable crates are '$publishable', expected '$want'"

# Each .crate holds both licence files.
for p in sepay-einvoice sepay-einvoice-mock sepay-einvoice-batch sepay-einvoice-cli; do
  list="$(cargo package -p "$p" --list --allow-dirty 2>/dev/null)"
  for f in "${LICENSES[@]}"; do
    grep -qx "$f" <<<"$list" || problem "$f is not in the $p crate"
  done
done

# The four crates package and build from their .crate files (`cargo publish --dry-run` does the
# same and then stops before uploading).
if ! cargo package --allow-dirty -q -p sepay-einvoice -p sepay-einvoice-mock \
    -p sepay-einvoice-batch -p sepay-einvoice-cli; then
  problem "cargo package (with verification) failed"
fi

# The npm tarball (`files` in package.json).
packed="$(npm pack --dry-run --json 2>/dev/null | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  for (const f of JSON.parse(s)[0].files) console.log(f.path) })')"
for f in "${LICENSES[@]}"; do
  grep -qx "$f" <<<"$packed" || problem "$f is not in the npm package (package.json files)"
done

# The wheel: maturin copies pyproject's license-files into .dist-info/licenses/.
python3 - <<'EOF' || fail=1
import re, sys
text = open("pyproject.toml", encoding="utf-8").read()
m = re.search(r'^license-files\s*=\s*\[([^\]]*)\]', text, re.M)
files = re.findall(r'"([^"]+)"', m.group(1)) if m else []
if sorted(files) != ["LICENSE-APACHE", "LICENSE-MIT"]:
    print(f"packaging: pyproject.toml license-files is {files}", file=sys.stderr)
    sys.exit(1)
if not re.search(r'^license\s*=\s*"MIT OR Apache-2.0"', text, re.M):
    print('packaging: pyproject.toml license must be "MIT OR Apache-2.0"', file=sys.stderr)
    sys.exit(1)
EOF

if [ "$fail" -ne 0 ]; then
  echo "packaging: FAILED" >&2
  exit 1
fi
echo "packaging: licences in every package, 4 crates package and build from their .crate files"
