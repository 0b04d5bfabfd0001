#!/usr/bin/env bash
# The quickstart flow in Python (sync, then asyncio) against the server at
# $SEPAY_EINVOICE_BASE_URL (the Makefile's `make demo` starts the mock and sets it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

: "${SEPAY_EINVOICE_BASE_URL:?start the mock server first (make demo does) and export SEPAY_EINVOICE_BASE_URL}"
export SEPAY_EINVOICE_CLIENT_ID="${SEPAY_EINVOICE_CLIENT_ID:-mock_client_id}"
export SEPAY_EINVOICE_CLIENT_SECRET="${SEPAY_EINVOICE_CLIENT_SECRET:-mock_client_secret}"

setup_venv "maturin>=1.9.4,<2"
build_extension
python examples/python/quickstart.py
python examples/python/quickstart.py --async
