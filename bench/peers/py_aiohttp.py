"""Peers: `aiohttp`, as its best users write it: one `ClientSession` with a `TCPConnector` whose
limit is at least the concurrency (keep-alive), the token fetched once, answers parsed into
dataclasses (`py_model.invoice_from`).

`create_and_wait_fixed` is the "fixed 2 s poller" of W3/W5: create, then poll the job's check
endpoint every `interval` seconds until it is no longer pending, then read the invoice (what
`create_invoice_and_wait` returns too). It never polls at once, and it never learns.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import aiohttp

from py_model import Invoice, JobFailed, basic_auth, create_body, invoice_from


class AiohttpPeer:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")

    @classmethod
    async def open(cls, base_url: str, pool: int) -> AiohttpPeer:
        connector = aiohttp.TCPConnector(limit=max(pool, 1), limit_per_host=max(pool, 1))
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120))
        base = base_url.rstrip("/")
        async with session.post(f"{base}/v1/token", headers={"Authorization": basic_auth()}) as r:
            r.raise_for_status()
            token = (await r.json())["data"]["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"  # sent with every request from now on
        return cls(session, base)

    async def _get(self, path: str) -> Dict[str, Any]:
        async with self._session.get(self._base + path) as r:
            r.raise_for_status()
            data: Dict[str, Any] = (await r.json())["data"]
            return data

    async def get_invoice(self, reference_code: str) -> Invoice:
        return invoice_from(await self._get(f"/v1/invoices/{reference_code}"))

    async def create_and_wait_fixed(self, n: int, issued: str, interval: float = 2.0, max_polls: int = 60) -> Invoice:
        body = create_body(n, issued)
        async with self._session.post(f"{self._base}/v1/invoices/create", json=body) as r:
            r.raise_for_status()
            tracking = (await r.json())["data"]["tracking_code"]
        for _ in range(max_polls):
            await asyncio.sleep(interval)
            status = await self._get(f"/v1/invoices/create/check/{tracking}")
            if status["status"] == "Success":
                return await self.get_invoice(body["reference_code"])
            if status["status"] == "Failed":
                raise JobFailed(f"{tracking}: {status.get('message')}")
        raise TimeoutError(f"{tracking} still pending after {max_polls} polls")

    async def close(self) -> None:
        await self._session.close()
