"""Peers: `httpx`, sync (`httpx.Client`, shared by every thread) and async (`httpx.AsyncClient`),
as their best users write them: one client, `Limits` with a pool of at least the concurrency
(keep-alive), the token fetched once, answers parsed into dataclasses (`py_model.invoice_from`)."""

from __future__ import annotations

import httpx

from py_model import Invoice, basic_auth, invoice_from


def _limits(pool: int) -> httpx.Limits:
    return httpx.Limits(max_connections=max(pool, 1), max_keepalive_connections=max(pool, 1))


class HttpxPeer:
    def __init__(self, base_url: str, pool: int) -> None:
        self._http = httpx.Client(base_url=base_url, limits=_limits(pool), timeout=30.0)
        r = self._http.post("/v1/token", headers={"Authorization": basic_auth()})
        r.raise_for_status()
        self._http.headers["Authorization"] = "Bearer " + r.json()["data"]["access_token"]

    def get_invoice(self, reference_code: str) -> Invoice:
        r = self._http.get(f"/v1/invoices/{reference_code}")
        r.raise_for_status()
        return invoice_from(r.json()["data"])

    def close(self) -> None:
        self._http.close()


class HttpxAsyncPeer:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @classmethod
    async def open(cls, base_url: str, pool: int) -> HttpxAsyncPeer:
        http = httpx.AsyncClient(base_url=base_url, limits=_limits(pool), timeout=30.0)
        r = await http.post("/v1/token", headers={"Authorization": basic_auth()})
        r.raise_for_status()
        http.headers["Authorization"] = "Bearer " + r.json()["data"]["access_token"]
        return cls(http)

    async def get_invoice(self, reference_code: str) -> Invoice:
        r = await self._http.get(f"/v1/invoices/{reference_code}")
        r.raise_for_status()
        return invoice_from(r.json()["data"])

    async def close(self) -> None:
        await self._http.aclose()
