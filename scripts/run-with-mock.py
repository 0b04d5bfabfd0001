"""Runs a Python script (the quick start) against the mock shipped inside the installed wheel:
``python run-with-mock.py quickstart.py``. Used by scripts/test-install.sh and
scripts/verify-arm64.sh, outside the repository, where only the wheel is installed."""

import os
import platform
import runpy
import sys

from sepay_einvoice.testing import MockServer

print(f"== CPython {platform.python_version()} on {platform.machine()}", flush=True)
with MockServer() as mock:
    os.environ.update(
        SEPAY_EINVOICE_BASE_URL=mock.url,
        SEPAY_EINVOICE_CLIENT_ID=mock.client_id,
        SEPAY_EINVOICE_CLIENT_SECRET=mock.client_secret,
    )
    try:
        runpy.run_path(sys.argv[1], run_name="__main__")
    except SystemExit as e:
        if e.code not in (0, None):
            raise
