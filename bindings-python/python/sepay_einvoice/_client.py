"""``Client`` (blocking) and ``AsyncClient`` (asyncio): thin façades over the Rust core.

Every method hands its arguments to the core as JSON and turns the JSON answer into typed
objects. HTTP, retries, token handling, validation and polling all happen in Rust.
"""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Generic,
    Iterator,
    Mapping,
    Optional,
    Type,
    TypeVar,
    Union,
)

from . import _native
from ._models import (
    CreateInvoice,
    CreateInvoiceLike,
    FileType,
    Invoice,
    InvoiceFile,
    Job,
    JobStatus,
    Page,
    ProviderAccount,
    ProviderAccountDetail,
    Source,
    TokenInfo,
    Totals,
    Usage,
    _dumps,
    _dumps_args,
    _loads,
    _page,
)


#: Called with every status a wait sees (``Pending`` included).
StatusCallback = Callable[[JobStatus], Any]
#: A job object, or the dict ``Job.to_dict()`` produced.
JobLike = Union[Job, Mapping[str, Any]]

_C = TypeVar("_C", bound="_BaseClient")
_T = TypeVar("_T")


def _binding() -> str:
    return f"python/{sys.version_info.major}.{sys.version_info.minor}"


def _file_type(value: Union[FileType, str]) -> str:
    return value.value if isinstance(value, FileType) else str(value)


def _source(value: Union[Source, str, None]) -> Optional[str]:
    if value is None:
        return None
    return value.value if isinstance(value, Source) else str(value)


def _wait_args(timeout: float, poll_interval: float, max_poll_interval: float) -> Dict[str, Any]:
    return {
        "timeout": timeout,
        "poll_interval": poll_interval,
        "max_poll_interval": max_poll_interval,
    }


class _Op(Generic[_T]):
    """One core operation: its name, its arguments and how to decode its answer; for a create
    from a ``CreateInvoice``, the object's reference-code memory (shared with the core, which
    claims the code in it before anything is sent)."""

    __slots__ = ("name", "args", "decode", "on_status", "sent")

    def __init__(
        self,
        name: str,
        args: Dict[str, Any],
        decode: Callable[[Any], _T],
        on_status: Optional[StatusCallback] = None,
        sent: Optional[_native.SentReference] = None,
    ) -> None:
        self.name = name
        self.args = args
        self.decode = decode
        self.on_status = on_status
        self.sent = sent


def _sent_of(request: CreateInvoiceLike) -> Optional[_native.SentReference]:
    """A typed request's memory of its reference code (plain dicts have none)."""
    return request._sent_reference() if isinstance(request, CreateInvoice) else None


def _json(cls: Any) -> Callable[[Any], Any]:
    return lambda text: cls._from_json(_loads(text))


def _file(answer: Any) -> InvoiceFile:
    file_type, file_name, content = answer
    return InvoiceFile._from_json({"file_type": file_type, "file_name": file_name, "content": content})


def _none(answer: Any) -> None:
    return None


# The operations, shared by both clients (which differ only in how they wait).


def _authenticate() -> _Op[TokenInfo]:
    return _Op("authenticate", {}, _json(TokenInfo))


def _list_provider_accounts(page: Optional[int], per_page: Optional[int]) -> _Op[Page[ProviderAccount]]:
    return _Op(
        "list_provider_accounts",
        {"page": page, "per_page": per_page},
        lambda text: _page(text, ProviderAccount),
    )


def _get_provider_account(id: str) -> _Op[ProviderAccountDetail]:
    return _Op("get_provider_account", {"id": id}, _json(ProviderAccountDetail))


def _create_invoice(request: CreateInvoiceLike) -> _Op[Job]:
    return _Op("create_invoice", {"request": request}, _json(Job), sent=_sent_of(request))


def _issue_invoice(reference_code: str) -> _Op[Job]:
    return _Op("issue_invoice", {"reference_code": reference_code}, _json(Job))


def _check_status(job: JobLike) -> _Op[JobStatus]:
    return _Op("check_status", {"job": job}, _json(JobStatus))


def _waiting(
    name: str,
    args: Dict[str, Any],
    timeout: float,
    poll_interval: float,
    max_poll_interval: float,
    on_status: Optional[StatusCallback],
    sent: Optional[_native.SentReference] = None,
) -> _Op[Invoice]:
    args = {**args, **_wait_args(timeout, poll_interval, max_poll_interval)}
    return _Op(name, args, _json(Invoice), on_status, sent)


def _get_invoice(reference_code: str) -> _Op[Invoice]:
    return _Op("get_invoice", {"reference_code": reference_code}, _json(Invoice))


def _list_invoices(
    page: Optional[int], per_page: Optional[int], source: Union[Source, str, None]
) -> _Op[Page[Invoice]]:
    args = {"page": page, "per_page": per_page, "source": _source(source)}
    return _Op("list_invoices", args, lambda text: _page(text, Invoice))


def _download_invoice(reference_code: str, type: Union[FileType, str]) -> _Op[InvoiceFile]:
    args = {"reference_code": reference_code, "type": _file_type(type)}
    return _Op("download_invoice", args, _file)


def _delete_draft(reference_code: str) -> _Op[None]:
    return _Op("delete_draft", {"reference_code": reference_code}, _none)


def _get_usage() -> _Op[Usage]:
    return _Op("get_usage", {}, _json(Usage))


def _stream_args(per_page: Optional[int], source: Union[Source, str, None]) -> str:
    return _dumps({"per_page": per_page, "source": _source(source)})


def totals(request: CreateInvoiceLike) -> Totals:
    """Previews line amounts, tax and total of a create request locally (no request is sent),
    with the same rules the API applies."""
    return Totals._from_json(_loads(_native.totals(_dumps(request))))


class _BaseClient:
    _native: _native.NativeClient

    def __init__(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        call_timeout: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        max_download_bytes: Optional[int] = None,
    ) -> None:
        """Settings left as ``None`` fall back to ``SEPAY_EINVOICE_CLIENT_ID``,
        ``SEPAY_EINVOICE_CLIENT_SECRET``, ``SEPAY_EINVOICE_ENV`` (``sandbox``/``production``) and
        ``SEPAY_EINVOICE_BASE_URL``. ``timeout`` bounds one HTTP attempt, ``call_timeout`` (default
        120 s) a whole call with its retries. ``max_response_bytes`` (default 8 MiB) and
        ``max_download_bytes`` (default 64 MiB) cap what one answer may hold: a longer or endless
        body raises ``DecodeError`` instead of filling memory. Raises ``ValidationError`` for a
        missing or bad setting."""
        _native.reset_log_cache()
        self._native = _native.NativeClient(
            client_id,
            client_secret,
            environment,
            base_url,
            timeout,
            max_retries,
            call_timeout,
            _binding(),
            max_response_bytes,
            max_download_bytes,
        )

    @classmethod
    def from_env(cls: Type[_C]) -> _C:
        """A client configured entirely from the ``SEPAY_EINVOICE_*`` environment variables."""
        return cls()

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        return self._native.base_url()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._native.closed

    def totals(self, request: CreateInvoiceLike) -> Totals:
        """Local preview of a create request's amounts (see :func:`sepay_einvoice.totals`)."""
        return totals(request)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled: create one client per process "
            "(pickle the Job instead to hand work to another process)"
        )


class Client(_BaseClient):
    """The blocking client, for Django, Flask, Celery and scripts.

    Safe to share between threads; the GIL is released while a call waits, and Ctrl-C interrupts
    a wait. After ``os.fork()`` (gunicorn ``preload_app``, Celery prefork) the child rebuilds its
    connections on first use.
    """

    def _run(self, op: _Op[_T]) -> _T:
        callback = None
        if op.on_status is not None:
            user = op.on_status

            def callback(text: str) -> None:
                user(JobStatus._from_json(_loads(text)))

        return op.decode(self._native.call(op.name, _dumps_args(op.args), callback, op.sent))

    def close(self) -> None:
        """Releases the connection pool. Later calls raise ``APIConnectionError``."""
        self._native.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def authenticate(self) -> TokenInfo:
        """Fetches (or reuses) an access token, checking the credentials early."""
        return self._run(_authenticate())

    def list_provider_accounts(
        self, page: Optional[int] = None, per_page: Optional[int] = None
    ) -> Page[ProviderAccount]:
        """One page of provider accounts."""
        return self._run(_list_provider_accounts(page, per_page))

    def get_provider_account(self, id: str) -> ProviderAccountDetail:
        """A provider account with its templates and series."""
        return self._run(_get_provider_account(id))

    def create_invoice(self, request: CreateInvoiceLike) -> Job:
        """Creates an invoice (a draft when ``is_draft``) and returns the job to wait on.
        Exactly one invoice results, whatever retries happen; a ``CreateInvoice`` object
        remembers its reference code, so sending the same object again after an error finds
        the invoice instead of creating a second one."""
        return self._run(_create_invoice(request))

    def issue_invoice(self, reference_code: str) -> Job:
        """Issues a draft; returns the job to wait on."""
        return self._run(_issue_invoice(reference_code))

    def check_status(self, job: JobLike) -> JobStatus:
        """Asks the API once where a job stands."""
        return self._run(_check_status(job))

    def wait_for_status(
        self,
        job: JobLike,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """Polls until the job succeeds (returning the invoice); raises ``InvoiceFailedError`` or
        ``WaitTimeoutError`` (whose ``job`` resumes the wait). Ctrl-C interrupts it."""
        return self._run(
            _waiting("wait_for_status", {"job": job}, timeout, poll_interval, max_poll_interval, on_status)
        )

    def create_invoice_and_wait(
        self,
        request: CreateInvoiceLike,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``create_invoice`` then ``wait_for_status``."""
        args = {"request": request}
        return self._run(
            _waiting(
                "create_invoice_and_wait",
                args,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
                _sent_of(request),
            )
        )

    def issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``issue_invoice`` then ``wait_for_status``."""
        args = {"reference_code": reference_code}
        return self._run(
            _waiting("issue_invoice_and_wait", args, timeout, poll_interval, max_poll_interval, on_status)
        )

    def get_invoice(self, reference_code: str) -> Invoice:
        """One invoice with its lines."""
        return self._run(_get_invoice(reference_code))

    def list_invoices(
        self,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        source: Union[Source, str, None] = None,
    ) -> Page[Invoice]:
        """One page of invoices."""
        return self._run(_list_invoices(page, per_page, source))

    def iter_invoices(
        self, per_page: Optional[int] = None, source: Union[Source, str, None] = None
    ) -> Iterator[Invoice]:
        """Every invoice, fetching pages as needed."""
        stream = self._native.iter_invoices(_stream_args(per_page, source))
        while True:
            text = stream.next()
            if text is None:
                return
            yield Invoice._from_json(_loads(text))

    def download_invoice(
        self, reference_code: str, type: Union[FileType, str] = FileType.PDF
    ) -> InvoiceFile:
        """Downloads an issued invoice as PDF or XML (``content`` holds the bytes)."""
        return self._run(_download_invoice(reference_code, type))

    def delete_draft(self, reference_code: str) -> None:
        """Deletes a draft for good."""
        self._run(_delete_draft(reference_code))

    def get_usage(self) -> Usage:
        """Remaining issuance quota."""
        return self._run(_get_usage())


class AsyncClient(_BaseClient):
    """The asyncio client, for FastAPI, Starlette and other async code.

    Create it once (e.g. in the app's lifespan) and share it. Cancelling a task that awaits a
    call cancels the request in Rust. ``on_status`` callbacks run on the event loop.
    """

    async def _run(self, op: _Op[_T]) -> _T:
        callback = None
        if op.on_status is not None:
            user = op.on_status
            loop = asyncio.get_running_loop()

            def deliver(text: str) -> None:
                user(JobStatus._from_json(_loads(text)))

            def callback(text: str) -> None:
                # Called from a runtime thread: hand the status to the event loop.
                loop.call_soon_threadsafe(deliver, text)

        return op.decode(
            await self._native.call_async(op.name, _dumps_args(op.args), callback, op.sent)
        )

    async def close(self) -> None:
        """Releases the connection pool. Later calls raise ``APIConnectionError``."""
        self._native.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    async def authenticate(self) -> TokenInfo:
        """Fetches (or reuses) an access token, checking the credentials early."""
        return await self._run(_authenticate())

    async def list_provider_accounts(
        self, page: Optional[int] = None, per_page: Optional[int] = None
    ) -> Page[ProviderAccount]:
        """One page of provider accounts."""
        return await self._run(_list_provider_accounts(page, per_page))

    async def get_provider_account(self, id: str) -> ProviderAccountDetail:
        """A provider account with its templates and series."""
        return await self._run(_get_provider_account(id))

    async def create_invoice(self, request: CreateInvoiceLike) -> Job:
        """Creates an invoice (a draft when ``is_draft``) and returns the job to wait on.
        Exactly one invoice results, whatever retries happen; a ``CreateInvoice`` object
        remembers its reference code, so sending the same object again after an error finds
        the invoice instead of creating a second one."""
        return await self._run(_create_invoice(request))

    async def issue_invoice(self, reference_code: str) -> Job:
        """Issues a draft; returns the job to wait on."""
        return await self._run(_issue_invoice(reference_code))

    async def check_status(self, job: JobLike) -> JobStatus:
        """Asks the API once where a job stands."""
        return await self._run(_check_status(job))

    async def wait_for_status(
        self,
        job: JobLike,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """Polls until the job succeeds (returning the invoice); raises ``InvoiceFailedError`` or
        ``WaitTimeoutError`` (whose ``job`` resumes the wait). Ctrl-C interrupts it."""
        return await self._run(
            _waiting("wait_for_status", {"job": job}, timeout, poll_interval, max_poll_interval, on_status)
        )

    async def create_invoice_and_wait(
        self,
        request: CreateInvoiceLike,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``create_invoice`` then ``wait_for_status``."""
        args = {"request": request}
        return await self._run(
            _waiting(
                "create_invoice_and_wait",
                args,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
                _sent_of(request),
            )
        )

    async def issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 5.0,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``issue_invoice`` then ``wait_for_status``."""
        args = {"reference_code": reference_code}
        return await self._run(
            _waiting("issue_invoice_and_wait", args, timeout, poll_interval, max_poll_interval, on_status)
        )

    async def get_invoice(self, reference_code: str) -> Invoice:
        """One invoice with its lines."""
        return await self._run(_get_invoice(reference_code))

    async def list_invoices(
        self,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        source: Union[Source, str, None] = None,
    ) -> Page[Invoice]:
        """One page of invoices."""
        return await self._run(_list_invoices(page, per_page, source))

    async def iter_invoices(
        self, per_page: Optional[int] = None, source: Union[Source, str, None] = None
    ) -> AsyncIterator[Invoice]:
        """Every invoice, fetching pages as needed (``async for``)."""
        stream = self._native.iter_invoices(_stream_args(per_page, source))
        while True:
            text = await stream.anext()
            if text is None:
                return
            yield Invoice._from_json(_loads(text))

    async def download_invoice(
        self, reference_code: str, type: Union[FileType, str] = FileType.PDF
    ) -> InvoiceFile:
        """Downloads an issued invoice as PDF or XML (``content`` holds the bytes)."""
        return await self._run(_download_invoice(reference_code, type))

    async def delete_draft(self, reference_code: str) -> None:
        """Deletes a draft for good."""
        await self._run(_delete_draft(reference_code))

    async def get_usage(self) -> Usage:
        """Remaining issuance quota."""
        return await self._run(_get_usage())
