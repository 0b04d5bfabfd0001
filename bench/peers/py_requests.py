"""Peer: `requests`, as its best users write it: one `Session` shared by every thread, an
`HTTPAdapter` whose pool holds at least one connection per thread (keep-alive), the token fetched
once, answers parsed into dataclasses (`py_model.invoice_from`)."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from py_model import Invoice, basic_auth, invoice_from


class RequestsPeer:
    def __init__(self, base_url: str, pool: int) -> None:
        self._base = base_url.rstrip("/")
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool, 1))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        r = self._session.post(f"{self._base}/v1/token", headers={"Authorization": basic_auth()}, timeout=30)
        r.raise_for_status()
        self._session.headers["Authorization"] = "Bearer " + r.json()["data"]["access_token"]

    def get_invoice(self, reference_code: str) -> Invoice:
        r = self._session.get(f"{self._base}/v1/invoices/{reference_code}", timeout=30)
        r.raise_for_status()
        return invoice_from(r.json()["data"])

    def close(self) -> None:
        self._session.close()
