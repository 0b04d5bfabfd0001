#!/usr/bin/env bash
# The Python binding's whole test run, from a fresh clone with Rust and Python 3:
# venv + tools, extension (debug), mock server, then pytest (conformance sync/async, runtime,
# models, errors, stubs), mypy --strict, stubtest and the example apps' tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

setup_venv -r bindings-python/requirements-dev.txt
build_extension
build_mock
export SEPAY_MOCK_BIN
# The tests start their own mock server; don't let a caller's settings leak in.
unset SEPAY_EINVOICE_BASE_URL SEPAY_EINVOICE_CLIENT_ID SEPAY_EINVOICE_CLIENT_SECRET SEPAY_EINVOICE_ENV

status=0
run() {
  echo; echo "== $*"
  if ! "$@"; then status=1; echo "FAILED: $*" >&2; fi
}

run python -m pytest -q -p no:cacheprovider bindings-python/tests
run python tests/soak/soak_python.py
run python -m mypy --strict --no-incremental examples/python/quickstart.py
run python -m mypy --strict --no-incremental bindings-python/python/sepay_einvoice
run bash -c "cd / && python -m mypy.stubtest sepay_einvoice --allowlist '$ROOT/bindings-python/stubtest-allowlist.txt'"
run python -m pytest -q -p no:cacheprovider examples/python/fastapi_app
run bash -c "cd examples/python/django_app && EINVOICE_POLL_INTERVAL=0.1 python manage.py test"

echo
if [ "$status" -eq 0 ]; then echo "== python: all green"; else echo "== python: FAILURES (see above)"; fi
exit "$status"
