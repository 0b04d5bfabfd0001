"""The bundled mock of the SePay eInvoice API, for testing your own code. No Rust needed.

``MockServer`` starts the same stateful mock the SDK's own tests use (``sepay-einvoice-mock``)
inside this process, from the SDK's native module, on a free loopback port::

    from sepay_einvoice.testing import MockServer

    with MockServer(pending_ms=0) as mock:
        client = mock.client()                  # a Client pointed at the mock
        ...                                     # exercise your code
        assert mock.stats()["requests"]["create_invoice"]["200"] == 1

The mock accepts ``mock.client_id`` / ``mock.client_secret``, serves the seeded provider accounts
(``ACCOUNT_MATBAO`` is sandbox-like: no restrictions), answers jobs ``Pending`` once (or for
``pending_ms``) and then ``Success``, and can inject faults. Its routes, triggers (``[mock:fail]``
in ``notes`` fails a job) and control API are described in the mock's README.

A pytest plugin (``sepay_einvoice.pytest_plugin``, loaded automatically when the package is
installed) provides the fixtures ``sepay_mock`` (a fresh server per test) and
``sepay_mock_session`` (one server for the session).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any, Dict, List, Literal, Optional, Type

from ._client import AsyncClient, Client
from ._native import (
    ACCOUNT_BKAV,
    ACCOUNT_MATBAO,
    ACCOUNT_MIFI,
    NativeMockServer,
)

__all__ = [
    "ACCOUNT_BKAV",
    "ACCOUNT_MATBAO",
    "ACCOUNT_MIFI",
    "MockControlError",
    "MockServer",
]

#: Seconds a control call (``reset()``, ``fault()``, ``stats()``, ...) may take.
_CONTROL_TIMEOUT = 30.0


class MockControlError(RuntimeError):
    """The mock refused a control call (``fault()``, ``config()``, ...), e.g. a misspelt key or a
    bad value. ``status`` is the HTTP status, ``body`` the mock's answer (its ``error.message``
    names the offending key)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        message = body
        if isinstance(body, dict):
            message = (body.get("error") or {}).get("message", body)
        super().__init__(f"mock {method} {path}: {status} {message}")
        self.status = status
        self.body = body


class MockServer:
    """The bundled mock server, running in this process until ``close()`` (or the end of a
    ``with`` block).

    It starts at once, on ``host`` (127.0.0.1) and ``port`` (0: a free port), on a thread of its
    own. Settings left ``None`` take the mock's defaults:

    - ``pending_polls`` (1): polls of a job's check endpoint answered ``Pending`` before it
      resolves; ``pending_ms`` (1000): a job resolves this long after creation, polled or not,
      whichever comes first. ``pending_ms=0`` makes jobs complete at once.
    - ``quota`` (1000): issuances left. ``token_ttl`` (86400): token lifetime in seconds.
    - ``client_id`` / ``client_secret`` (``mock_client_id`` / ``mock_client_secret``): the
      credentials the mock accepts; read them back from ``.client_id`` / ``.client_secret``.
    - ``seed`` (42), ``manual_invoices`` (3), ``success_key_everywhere`` (False),
      ``file_ready_ms`` (0) and ``file_not_ready`` (``"empty"`` or ``"error"``): see the mock's
      README.

    Raises ``OSError`` when it cannot listen and ``ValueError`` for a bad setting.
    """

    def __init__(
        self,
        *,
        pending_ms: Optional[int] = None,
        pending_polls: Optional[int] = None,
        quota: Optional[int] = None,
        token_ttl: Optional[int] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: Optional[int] = None,
        manual_invoices: Optional[int] = None,
        success_key_everywhere: Optional[bool] = None,
        file_ready_ms: Optional[int] = None,
        file_not_ready: Optional[Literal["empty", "error"]] = None,
    ) -> None:
        self._native = NativeMockServer(
            host=host,
            port=port,
            client_id=client_id,
            client_secret=client_secret,
            token_ttl=token_ttl,
            pending_polls=pending_polls,
            pending_ms=pending_ms,
            quota=quota,
            seed=seed,
            manual_invoices=manual_invoices,
            success_key_everywhere=success_key_everywhere,
            file_ready_ms=file_ready_ms,
            file_not_ready=file_not_ready,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (no trailing slash): the client's ``base_url``."""
        return self._native.url

    @property
    def client_id(self) -> str:
        """The ``client_id`` the mock accepts."""
        return self._native.client_id

    @property
    def client_secret(self) -> str:
        """The ``client_secret`` the mock accepts."""
        return self._native.client_secret

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return not self._native.running

    def close(self) -> None:
        """Stops the server: it lets requests in flight finish (a few seconds at most), then
        returns. Calling it again does nothing."""
        self._native.stop()

    def __enter__(self) -> MockServer:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running"
        return f"<MockServer {self.url} {state}>"

    # -- clients -----------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> Client:
        """A blocking ``Client`` pointed at the mock with its credentials; ``kwargs`` are
        ``Client``'s other settings (``timeout``, ``max_retries``, ...)."""
        return Client(**self._client_settings(kwargs))

    def async_client(self, **kwargs: Any) -> AsyncClient:
        """An ``AsyncClient`` pointed at the mock with its credentials; ``kwargs`` as for
        ``client()``."""
        return AsyncClient(**self._client_settings(kwargs))

    def _client_settings(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        settings: Dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "base_url": self.url,
        }
        settings.update(kwargs)
        return settings

    # -- control API -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the startup state: configuration, seeded data, tokens, faults, stats and
        invoice numbering."""
        self._control("POST", "/_mock/reset")

    def config(
        self,
        *,
        pending_ms: Optional[int] = None,
        pending_polls: Optional[int] = None,
        quota: Optional[int] = None,
        token_ttl: Optional[int] = None,
        success_key_everywhere: Optional[bool] = None,
        file_ready_ms: Optional[int] = None,
        file_not_ready: Optional[Literal["empty", "error"]] = None,
    ) -> Dict[str, Any]:
        """Changes the settings given (the others stay) and returns the whole configuration.
        ``quota`` sets the issuances left now; ``token_ttl`` is in seconds (new tokens only).
        With no argument it only reads the configuration."""
        body = {
            "pending_ms": pending_ms,
            "pending_polls": pending_polls,
            "quota": quota,
            "token_ttl_secs": token_ttl,
            "success_key_everywhere": success_key_everywhere,
            "file_ready_ms": file_ready_ms,
            "file_not_ready": file_not_ready,
        }
        changes = {k: v for k, v in body.items() if v is not None}
        answer: Dict[str, Any] = self._control("POST", "/_mock/config", changes)
        return answer

    def fault(
        self,
        *,
        kind: Literal[
            "status", "latency", "drop", "malformed", "oversize", "endless", "redirect", "body"
        ],
        route: str = "*",
        **options: Any,
    ) -> int:
        """Adds a fault rule and returns its id. ``kind``: ``status``, ``latency``, ``drop``,
        ``malformed``, ``oversize``, ``endless``, ``redirect`` or ``body``; ``route``: a route id
        (``create_invoice``, ``token``, ...) or ``"*"`` for every API request. ``options`` are the
        rule's other keys, e.g. ``status=503, retry_after=1, times=1``, ``latency_ms=200,
        when="after"``, ``probability=0.1``; ``except_=["token"]`` stands for the key
        ``except``. A misspelt key or a bad value raises ``MockControlError``.

        ``mock.fault(route="create_invoice", kind="status", status=503, times=1)``
        """
        rule: Dict[str, Any] = {"route": route, "kind": kind}
        for key, value in options.items():
            rule["except" if key == "except_" else key] = value
        answer = self._control("POST", "/_mock/faults", rule)
        return int(answer["id"])

    def faults(self) -> List[Dict[str, Any]]:
        """The fault rules, each with its ``id``, every key, ``fired`` and the ``times`` left."""
        answer: List[Dict[str, Any]] = self._control("GET", "/_mock/faults")
        return answer

    def clear_faults(self) -> None:
        """Removes every fault rule."""
        self._control("DELETE", "/_mock/faults")

    def stats(self) -> Dict[str, Any]:
        """``GET /_mock/stats``: ``requests`` (per route id, per status sent, plus ``dropped``),
        ``requests_total``, ``invoices``, ``jobs``, ``pending_jobs``, ``rejected_duplicates``,
        ``tokens_issued`` and ``quota_remaining``."""
        answer: Dict[str, Any] = self._control("GET", "/_mock/stats")
        return answer

    def invoices(self) -> List[Dict[str, Any]]:
        """Every stored invoice (drafts and the seeded manual ones included), oldest first, each
        as the API's detail view (snake_case JSON)."""
        answer: List[Dict[str, Any]] = self._control("GET", "/_mock/invoices")
        return answer

    def expire_tokens(self) -> None:
        """Expires every token issued so far: the next API call gets 401 and logs in again."""
        self._control("POST", "/_mock/tokens/expire")

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            # The URL is the mock's own loopback address: never a proxy.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(req, timeout=_CONTROL_TIMEOUT) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                parsed: Any = json.loads(payload)
            except ValueError:
                parsed = payload.decode("utf-8", "replace")
            raise MockControlError(method, path, e.code, parsed) from None
        return json.loads(raw) if raw else None
