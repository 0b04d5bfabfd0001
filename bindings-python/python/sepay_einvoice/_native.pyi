"""Private native module (PyO3). Values cross as canonical JSON strings; use the public API."""

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union

from typing_extensions import Self, final

__all__ = [
    "ACCOUNT_BKAV",
    "ACCOUNT_MATBAO",
    "ACCOUNT_MIFI",
    "DEFAULTS",
    "Deliveries",
    "NativeCall",
    "NativeClient",
    "NativeInvoiceStream",
    "NativeMockServer",
    "NativeTask",
    "SentReference",
    "__version__",
    "canonical_job",
    "drain",
    "log_directives",
    "mask",
    "build_model",
    "register_models",
    "reset_log_cache",
    "init_log_bridge",
    "runtime_pid",
    "totals",
]
__version__: str
DEFAULTS: Dict[str, Any]
ACCOUNT_MATBAO: str
ACCOUNT_BKAV: str
ACCOUNT_MIFI: str

_Answer = Union[str, None, Tuple[str, str, bytes]]

@final
class NativeCall:
    def wait(self) -> _Answer: ...
    def awaitable(self) -> Awaitable[_Answer]: ...
    def start(self, future: asyncio.Future[Any], deliveries: Deliveries) -> NativeTask: ...

@final
class Deliveries:
    def __new__(cls) -> Self: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

@final
class NativeTask:
    def cancel(self) -> None: ...

_OnStatus = Optional[Callable[[str], Any]]

@final
class NativeClient:
    def __new__(
        cls,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        call_timeout: Optional[float] = None,
        binding: Optional[str] = None,
        max_response_bytes: Optional[int] = None,
        max_download_bytes: Optional[int] = None,
        account_checks: Optional[bool] = None,
        account_cache_ttl: Optional[float] = None,
        strict_rules: Optional[bool] = None,
        max_in_flight: Optional[int] = None,
    ) -> Self: ...
    def authenticate(self) -> NativeCall: ...
    def list_provider_accounts(
        self, page: Optional[int] = None, per_page: Optional[int] = None
    ) -> NativeCall: ...
    def get_provider_account(self, id: str) -> NativeCall: ...
    def create_invoice(self, request: str, sent: Optional[SentReference] = None) -> NativeCall: ...
    def issue_invoice(self, reference_code: str) -> NativeCall: ...
    def check_status(self, job: str) -> NativeCall: ...
    def wait_for_status(
        self,
        job: str,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: _OnStatus = None,
    ) -> NativeCall: ...
    def create_invoice_and_wait(
        self,
        request: str,
        sent: Optional[SentReference] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: _OnStatus = None,
    ) -> NativeCall: ...
    def issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: _OnStatus = None,
    ) -> NativeCall: ...
    def replace_invoice(
        self,
        original_invoice_reference_code: str,
        request: str,
        sent: Optional[SentReference] = None,
    ) -> NativeCall: ...
    def adjust_invoice(
        self,
        original_invoice_reference_code: str,
        adjustment_type: str,
        request: str,
        sent: Optional[SentReference] = None,
    ) -> NativeCall: ...
    def replace_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        request: str,
        sent: Optional[SentReference] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: _OnStatus = None,
    ) -> NativeCall: ...
    def adjust_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        adjustment_type: str,
        request: str,
        sent: Optional[SentReference] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: _OnStatus = None,
    ) -> NativeCall: ...
    def preflight(self, request: str) -> NativeCall: ...
    def get_invoice(self, reference_code: str) -> NativeCall: ...
    def list_invoices(
        self,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        source: Optional[str] = None,
    ) -> NativeCall: ...
    def iter_invoices(
        self, per_page: Optional[int] = None, source: Optional[str] = None
    ) -> NativeInvoiceStream: ...
    def download_invoice(self, reference_code: str, file_type: str) -> NativeCall: ...
    def delete_draft(self, reference_code: str) -> NativeCall: ...
    def get_usage(self) -> NativeCall: ...
    def issue_batch(
        self,
        rows: List[Tuple[Any, str]],
        journal: str,
        batch: Optional[str] = None,
        concurrency: Optional[int] = None,
        draft: Optional[bool] = None,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: _OnStatus = None,
    ) -> NativeCall: ...
    def resume_batch(
        self,
        journal: str,
        batch: Optional[str] = None,
        concurrency: Optional[int] = None,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: _OnStatus = None,
        retry_failed: bool = False,
    ) -> NativeCall: ...
    def batch_status(self, journal: str, batch: Optional[str] = None) -> NativeCall: ...
    def base_url(self) -> str: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

@final
class SentReference:
    def __new__(cls) -> Self: ...
    @property
    def code(self) -> Optional[str]: ...
    def forget(self) -> None: ...

@final
class NativeInvoiceStream:
    def next(self) -> Optional[str]: ...
    def anext(self) -> Awaitable[Optional[str]]: ...

@final
class NativeMockServer:
    def __new__(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        token_ttl: Optional[float] = None,
        pending_polls: Optional[int] = None,
        pending_ms: Optional[int] = None,
        quota: Optional[int] = None,
        seed: Optional[int] = None,
        manual_invoices: Optional[int] = None,
        success_key_everywhere: Optional[bool] = None,
        file_ready_ms: Optional[int] = None,
        file_not_ready: Optional[str] = None,
    ) -> Self: ...
    @property
    def url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def running(self) -> bool: ...
    def stop(self) -> None: ...

def totals(request: str) -> str: ...
def mask(value: str) -> str: ...
def canonical_job(job: str) -> str: ...
def reset_log_cache() -> None: ...
def init_log_bridge() -> None: ...
def log_directives(spec: Optional[str] = None) -> Tuple[List[Tuple[str, int]], List[str]]: ...
def runtime_pid() -> int: ...
def drain(timeout: float = 2.0) -> None: ...
def register_models(classes: Dict[str, type]) -> None: ...
def build_model(name: str, text: str) -> Any: ...
