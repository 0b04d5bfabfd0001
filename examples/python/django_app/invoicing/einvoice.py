"""Where the client lives in a Django project: one ``sepay_einvoice.Client`` per process, built on
first use and shared by every request and thread (it is thread-safe, pools connections and caches
the token).

Fork safety: gunicorn ``--preload`` and Celery's prefork pool build the app in a parent process
and fork workers. The client may even be created before the fork: each child rebuilds its own
connections and runtime on first use, so nothing needs to be done in ``post_fork`` hooks.
"""

from __future__ import annotations

import threading
from typing import Optional

import sepay_einvoice as se

_client: Optional[se.Client] = None
_lock = threading.Lock()


def get_client() -> se.Client:
    global _client
    with _lock:
        if _client is None:
            _client = se.Client.from_env()
        return _client
