"""Private native module (PyO3). Values cross as canonical JSON strings; use the public API."""

from typing import Any, Awaitable, Callable, Optional, Tuple, Union

from typing_extensions import Self, final

__all__ = [
    "NativeClient",
    "NativeInvoiceStream",
    "SentReference",
    "__version__",
    "canonical_job",
    "drain",
    "mask",
    "reset_log_cache",
    "runtime_pid",
    "totals",
]
__version__: str

_Answer = Union[str, None, Tuple[str, str, bytes]]

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
    ) -> Self: ...
    def call(
        self,
        op: str,
        args: str,
        on_status: Optional[Callable[[str], Any]] = None,
        sent: Optional[SentReference] = None,
    ) -> _Answer: ...
    def call_async(
        self,
        op: str,
        args: str,
        on_status: Optional[Callable[[str], Any]] = None,
        sent: Optional[SentReference] = None,
    ) -> Awaitable[_Answer]: ...
    def iter_invoices(self, args: str) -> NativeInvoiceStream: ...
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

def totals(request: str) -> str: ...
def mask(value: str) -> str: ...
def canonical_job(job: str) -> str: ...
def reset_log_cache() -> None: ...
def runtime_pid() -> int: ...
def drain(timeout: float = 2.0) -> None: ...
