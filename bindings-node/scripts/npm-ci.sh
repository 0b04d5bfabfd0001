#!/usr/bin/env bash
# Installs node_modules exactly as package-lock.json pins it: `npm ci` never rewrites the lockfile
# and fails when it is out of sync with package.json, so `make test` and `make demo` leave the
# work tree as they found it. Skipped when node_modules was installed from the same package.json
# and lockfile already. Then checks the installed packages' `engines` against the Node versions
# the repository claims (check-engines.mjs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

stamp=node_modules/.sepay-einvoice-installed
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund
node bindings-node/scripts/check-engines.mjs
echo "$want" > "$stamp"
