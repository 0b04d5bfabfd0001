"""``Client`` (blocking) and ``AsyncClient`` (asyncio): thin façades over the Rust core.

Every method calls the native method of the same name with typed arguments (requests and
stored jobs as JSON text) and turns the JSON answer into typed objects. Defaults, HTTP, retries,
token handling, validation and polling all live in Rust: a setting left ``None`` takes the
core's default (``sepay_einvoice.DEFAULTS`` lists them).
"""

from __future__ import annotations

import sys
import weakref
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Generic,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    TYPE_CHECKING,
    Type,
    TypeVar,
    Union,
)

if TYPE_CHECKING:
    import asyncio

    from ._batch import BatchEntry, BatchReport, BatchRowLike, ProgressCallback

from . import _models as _models_module
from . import _native
from ._native import NativeCall, NativeInvoiceStream, SentReference
from ._models import (
    AdjustmentType,
    CreateInvoice,
    CreateInvoiceLike,
    FileType,
    Invoice,
    Job,
    JobStatus,
    Preflight,
    ProviderAccount,
    ProviderAccountDetail,
    Source,
    TokenInfo,
    Totals,
    Usage,
)
from ._model_base import _dumps_at, _loads
# `_batch` (the batch rows and reports) is imported by the batch methods when first used: most
# applications never run a batch, and its classes are a tenth of the package's import time.
from ._results import InvoiceFile, Page, _page


#: Called with every status a wait sees (``Pending`` included).
StatusCallback = Callable[[JobStatus], Any]
#: A job object, or the dict ``Job.to_dict()`` produced.
JobLike = Union[Job, Mapping[str, Any]]
#: The core's defaults for every setting left ``None``.
DEFAULTS: Mapping[str, Any] = dict(_native.DEFAULTS)

# Results of these classes are built by the native layer, without JSON text.
_native.register_models(
    {
        name: cls
        for name, cls in vars(_models_module).items()
        if isinstance(cls, type) and "_decode_spec" in vars(cls)
    }
)

_C = TypeVar("_C", bound="_BaseClient")
_T = TypeVar("_T")


def _binding() -> str:
    return f"python/{sys.version_info.major}.{sys.version_info.minor}"


def _text(value: Any) -> Any:
    """An enum member as its value; anything else as given (the native layer checks types)."""
    return value.value if isinstance(value, (FileType, Source, AdjustmentType)) else value


def _request(request: CreateInvoiceLike) -> str:
    return _dumps_at(request, "")


def _job(job: JobLike) -> str:
    return _dumps_at(job, "job")


def _sent(request: CreateInvoiceLike) -> Optional[SentReference]:
    """A typed request's memory of its reference code (plain dicts have none)."""
    return request._sent_reference() if isinstance(request, CreateInvoice) else None


class _Op(Generic[_T]):
    """A native call and how to decode its answer."""

    __slots__ = ("call", "decode")

    def __init__(self, call: NativeCall, decode: Callable[[Any], _T]) -> None:
        self.call = call
        self.decode = decode


def _json(cls: Any) -> Callable[[Any], Any]:
    """The decoder of a native answer: registered classes arrive built (see ``_native``'s
    ``register_models``), anything else as JSON text."""

    def decode(answer: Any) -> Any:
        if isinstance(answer, str):
            return cls._from_json(_loads(answer))
        return answer

    return decode


_invoice = _json(Invoice)


def _file(answer: Any) -> InvoiceFile:
    file_type, file_name, content = answer
    return InvoiceFile._from_json({"file_type": file_type, "file_name": file_name, "content": content})


def _none(answer: Any) -> None:
    return None


def totals(request: CreateInvoiceLike) -> Totals:
    """Previews line amounts, tax and total of a create request locally (no request is sent),
    with the same rules the API applies."""
    return Totals._from_json(_loads(_native.totals(_request(request))))


_LOOP_DELIVERIES: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Optional[_native.Deliveries]]" = (
    weakref.WeakKeyDictionary()
)


def _deliveries(loop: asyncio.AbstractEventLoop) -> Optional[_native.Deliveries]:
    """The loop's results queue (one per event loop, watched by the loop itself), or ``None``
    where the loop cannot watch a socket (Windows' proactor loop) or the platform has none."""
    try:
        return _LOOP_DELIVERIES[loop]
    except KeyError:
        pass
    except TypeError:  # a loop that cannot be weakly referenced: the fallback
        return None
    deliveries: Optional[_native.Deliveries] = None
    make = getattr(_native, "Deliveries", None)
    if make is not None:
        made = make()
        try:
            loop.add_reader(made.fileno(), made.drain)
            deliveries = made
        except NotImplementedError:
            pass
    _LOOP_DELIVERIES[loop] = deliveries
    return deliveries


class _BaseClient:
    """The operations, built once for both clients; they differ only in how a call is run and
    how a status reaches ``on_status``."""

    _native: _native.NativeClient

    def __init__(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        call_timeout: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        max_download_bytes: Optional[int] = None,
        account_checks: bool = True,
        account_cache_ttl: Optional[float] = None,
        strict_rules: bool = False,
        max_in_flight: Optional[int] = None,
    ) -> None:
        """Settings left as ``None`` fall back to ``SEPAY_EINVOICE_CLIENT_ID``,
        ``SEPAY_EINVOICE_CLIENT_SECRET``, ``SEPAY_EINVOICE_ENV`` (``sandbox``/``production``) and
        ``SEPAY_EINVOICE_BASE_URL`` (an explicit ``environment`` wins over that variable; an
        explicit ``base_url`` over everything), then to the core's defaults (``DEFAULTS``): ``timeout``
        bounds one HTTP attempt (30 s), ``call_timeout`` a whole call with its retries (120 s),
        ``max_retries`` (2); ``max_response_bytes`` (8 MiB) and ``max_download_bytes`` (64 MiB)
        cap what one answer may hold: a longer or endless body raises ``DecodeError`` instead of
        filling memory. ``account_checks`` checks a create, replace or adjust against its provider
        account before sending it (active, template/series pair, approval date), reading the
        account at most once per ``account_cache_ttl`` seconds (300); ``strict_rules`` turns the
        warnings of rules whose legal basis may be extended (the 8 % VAT window) into errors.
        ``max_in_flight`` (100) caps the requests this client has on the wire at once, and so its
        connections: further calls and waits queue, inside their own deadlines.
        Raises ``ValidationError`` for a missing or bad setting."""
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
            account_checks=account_checks,
            account_cache_ttl=account_cache_ttl,
            strict_rules=strict_rules,
            max_in_flight=max_in_flight,
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

    def _deliver(self, on_status: Optional[StatusCallback]) -> Optional[Callable[[str], None]]:
        """The native status callback for ``on_status`` (overridden by ``AsyncClient``)."""
        if on_status is None:
            return None
        user = on_status

        def deliver(text: str) -> None:
            user(JobStatus._from_json(_loads(text)))

        return deliver

    def _deliver_progress(
        self, on_progress: Optional[ProgressCallback]
    ) -> Optional[Callable[[str], None]]:
        """The native progress callback for ``on_progress`` (overridden by ``AsyncClient``)."""
        from ._batch import _progress

        return _progress(on_progress)

    # The operations.

    def _authenticate(self) -> _Op[TokenInfo]:
        return _Op(self._native.authenticate(), _json(TokenInfo))

    def _list_provider_accounts(
        self, page: Optional[int], per_page: Optional[int]
    ) -> _Op[Page[ProviderAccount]]:
        return _Op(
            self._native.list_provider_accounts(page, per_page),
            lambda text: _page(text, ProviderAccount),
        )

    def _get_provider_account(self, id: str) -> _Op[ProviderAccountDetail]:
        return _Op(self._native.get_provider_account(id), _json(ProviderAccountDetail))

    def _create_invoice(self, request: CreateInvoiceLike) -> _Op[Job]:
        return _Op(self._native.create_invoice(_request(request), _sent(request)), _json(Job))

    def _issue_invoice(self, reference_code: str) -> _Op[Job]:
        return _Op(self._native.issue_invoice(reference_code), _json(Job))

    def _check_status(self, job: JobLike) -> _Op[JobStatus]:
        return _Op(self._native.check_status(_job(job)), _json(JobStatus))

    def _wait_for_status(
        self,
        job: JobLike,
        timeout: Optional[float],
        poll_interval: Optional[float],
        max_poll_interval: Optional[float],
        on_status: Optional[StatusCallback],
    ) -> _Op[Invoice]:
        call = self._native.wait_for_status(
            _job(job), timeout, poll_interval, max_poll_interval, self._deliver(on_status)
        )
        return _Op(call, _json(Invoice))

    def _create_invoice_and_wait(
        self,
        request: CreateInvoiceLike,
        timeout: Optional[float],
        poll_interval: Optional[float],
        max_poll_interval: Optional[float],
        on_status: Optional[StatusCallback],
    ) -> _Op[Invoice]:
        call = self._native.create_invoice_and_wait(
            _request(request),
            _sent(request),
            timeout,
            poll_interval,
            max_poll_interval,
            self._deliver(on_status),
        )
        return _Op(call, _json(Invoice))

    def _issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: Optional[float],
        poll_interval: Optional[float],
        max_poll_interval: Optional[float],
        on_status: Optional[StatusCallback],
    ) -> _Op[Invoice]:
        call = self._native.issue_invoice_and_wait(
            reference_code, timeout, poll_interval, max_poll_interval, self._deliver(on_status)
        )
        return _Op(call, _json(Invoice))

    def _replace_invoice(
        self, original_invoice_reference_code: str, request: CreateInvoiceLike
    ) -> _Op[Job]:
        call = self._native.replace_invoice(
            original_invoice_reference_code, _request(request), _sent(request)
        )
        return _Op(call, _json(Job))

    def _adjust_invoice(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
    ) -> _Op[Job]:
        call = self._native.adjust_invoice(
            original_invoice_reference_code, _text(adjustment_type), _request(request), _sent(request)
        )
        return _Op(call, _json(Job))

    def _replace_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        request: CreateInvoiceLike,
        timeout: Optional[float],
        poll_interval: Optional[float],
        max_poll_interval: Optional[float],
        on_status: Optional[StatusCallback],
    ) -> _Op[Invoice]:
        call = self._native.replace_invoice_and_wait(
            original_invoice_reference_code,
            _request(request),
            _sent(request),
            timeout,
            poll_interval,
            max_poll_interval,
            self._deliver(on_status),
        )
        return _Op(call, _json(Invoice))

    def _adjust_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
        timeout: Optional[float],
        poll_interval: Optional[float],
        max_poll_interval: Optional[float],
        on_status: Optional[StatusCallback],
    ) -> _Op[Invoice]:
        call = self._native.adjust_invoice_and_wait(
            original_invoice_reference_code,
            _text(adjustment_type),
            _request(request),
            _sent(request),
            timeout,
            poll_interval,
            max_poll_interval,
            self._deliver(on_status),
        )
        return _Op(call, _json(Invoice))

    def _preflight(self, request: CreateInvoiceLike) -> _Op[Preflight]:
        return _Op(self._native.preflight(_request(request)), _json(Preflight))

    def _get_invoice(self, reference_code: str) -> _Op[Invoice]:
        return _Op(self._native.get_invoice(reference_code), _json(Invoice))

    def _list_invoices(
        self, page: Optional[int], per_page: Optional[int], source: Union[Source, str, None]
    ) -> _Op[Page[Invoice]]:
        return _Op(
            self._native.list_invoices(page, per_page, _text(source)),
            lambda text: _page(text, Invoice),
        )

    def _iter(
        self, per_page: Optional[int], source: Union[Source, str, None]
    ) -> NativeInvoiceStream:
        return self._native.iter_invoices(per_page, _text(source))

    def _download_invoice(self, reference_code: str, type: Union[FileType, str]) -> _Op[InvoiceFile]:
        return _Op(self._native.download_invoice(reference_code, _text(type)), _file)

    def _delete_draft(self, reference_code: str) -> _Op[None]:
        return _Op(self._native.delete_draft(reference_code), _none)

    def _get_usage(self) -> _Op[Usage]:
        return _Op(self._native.get_usage(), _json(Usage))

    def _issue_batch(
        self,
        rows: Iterable[BatchRowLike],
        journal: str,
        batch: Optional[str],
        concurrency: int,
        draft: Optional[bool],
        row_timeout: Optional[float],
        wait_timeout: Optional[float],
        poll_interval: Optional[float],
        worker: Optional[str],
        lease: Optional[float],
        on_progress: Optional[ProgressCallback],
    ) -> _Op[BatchReport]:
        from ._batch import _report, _rows

        call = self._native.issue_batch(
            _rows(rows),
            journal,
            batch,
            concurrency,
            draft,
            row_timeout,
            wait_timeout,
            poll_interval,
            worker,
            lease,
            self._deliver_progress(on_progress),
        )
        return _Op(call, _report)

    def _resume_batch(
        self,
        journal: str,
        batch: Optional[str],
        concurrency: int,
        row_timeout: Optional[float],
        wait_timeout: Optional[float],
        poll_interval: Optional[float],
        worker: Optional[str],
        lease: Optional[float],
        on_progress: Optional[ProgressCallback],
        retry_failed: bool,
    ) -> _Op[BatchReport]:
        from ._batch import _report

        call = self._native.resume_batch(
            journal,
            batch,
            concurrency,
            row_timeout,
            wait_timeout,
            poll_interval,
            worker,
            lease,
            self._deliver_progress(on_progress),
            retry_failed,
        )
        return _Op(call, _report)

    def _batch_status(self, journal: str, batch: Optional[str]) -> _Op[List[BatchEntry]]:
        from ._batch import _entries

        return _Op(self._native.batch_status(journal, batch), _entries)


class Client(_BaseClient):
    """The blocking client, for Django, Flask, Celery and scripts.

    Safe to share between threads; the GIL is released while a call waits, and Ctrl-C interrupts
    a wait. After ``os.fork()`` (gunicorn ``preload_app``, Celery prefork) the child rebuilds its
    connections on first use.
    """

    def _run(self, op: _Op[_T]) -> _T:
        return op.decode(op.call.wait())

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
        return self._run(self._authenticate())

    def list_provider_accounts(
        self, page: Optional[int] = None, per_page: Optional[int] = None
    ) -> Page[ProviderAccount]:
        """One page of provider accounts."""
        return self._run(self._list_provider_accounts(page, per_page))

    def get_provider_account(self, id: str) -> ProviderAccountDetail:
        """A provider account with its templates and series."""
        return self._run(self._get_provider_account(id))

    def create_invoice(self, request: CreateInvoiceLike) -> Job:
        """Creates an invoice (a draft when ``is_draft``) and returns the job to wait on.
        Exactly one invoice results, whatever retries happen; a ``CreateInvoice`` object
        remembers its reference code, so sending the same object again after an error finds
        the invoice instead of creating a second one."""
        return self._run(self._create_invoice(request))

    def issue_invoice(self, reference_code: str) -> Job:
        """Issues a draft; returns the job to wait on."""
        return self._run(self._issue_invoice(reference_code))

    def check_status(self, job: JobLike) -> JobStatus:
        """Asks the API once where a job stands."""
        return self._run(self._check_status(job))

    def wait_for_status(
        self,
        job: JobLike,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """Polls until the job succeeds (returning the invoice); raises ``InvoiceFailedError`` or
        ``WaitTimeoutError`` (whose ``job`` resumes the wait). Ctrl-C interrupts it. Defaults:
        ``timeout`` 120 s; without ``poll_interval`` the client polls when the job is likely done,
        as learned from its earlier jobs (pauses at most ``max_poll_interval``, 5 s); with it,
        at once and then every ``poll_interval`` growing ×1.5 to ``max_poll_interval`` (raised
        to ``poll_interval`` when that is longer and no maximum is given)."""
        return self._run(
            self._wait_for_status(job, timeout, poll_interval, max_poll_interval, on_status)
        )

    def create_invoice_and_wait(
        self,
        request: CreateInvoiceLike,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``create_invoice`` then ``wait_for_status``."""
        return self._run(
            self._create_invoice_and_wait(request, timeout, poll_interval, max_poll_interval, on_status)
        )

    def issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``issue_invoice`` then ``wait_for_status``."""
        return self._run(
            self._issue_invoice_and_wait(
                reference_code, timeout, poll_interval, max_poll_interval, on_status
            )
        )

    def replace_invoice(
        self, original_invoice_reference_code: str, request: CreateInvoiceLike
    ) -> Job:
        """Replaces an issued invoice with ``request``, the corrected invoice in full; returns the
        job to wait on. Sent like a create: validated first, exactly once (the request object
        remembers its own reference code). An invoice is replaced once; a refusal because of the
        original raises ``CorrectionRefusedError`` (``api_code`` says why)."""
        return self._run(self._replace_invoice(original_invoice_reference_code, request))

    def adjust_invoice(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
    ) -> Job:
        """Adjusts an issued invoice; ``request``'s lines carry only the difference (positive for
        ``increase``, a negative ``unit_price`` for ``decrease``, either for ``combined``, no
        amount for ``info``). The original stays in force and can be adjusted again. Returns the
        job to wait on; exactly once, like a create."""
        return self._run(
            self._adjust_invoice(original_invoice_reference_code, adjustment_type, request)
        )

    def replace_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        request: CreateInvoiceLike,
        *,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``replace_invoice`` then ``wait_for_status``."""
        return self._run(
            self._replace_invoice_and_wait(
                original_invoice_reference_code,
                request,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
            )
        )

    def adjust_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
        *,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``adjust_invoice`` then ``wait_for_status``."""
        return self._run(
            self._adjust_invoice_and_wait(
                original_invoice_reference_code,
                adjustment_type,
                request,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
            )
        )

    def preflight(self, request: CreateInvoiceLike) -> Preflight:
        """Checks a create request without sending it and returns every problem at once: the
        field rules, the dated legal rules and (unless ``account_checks`` is off) the provider
        account's. Errors would stop ``create_invoice``; warnings would not. Nothing is created
        and no reference code is taken."""
        return self._run(self._preflight(request))

    def get_invoice(self, reference_code: str) -> Invoice:
        """One invoice with its lines."""
        return self._run(self._get_invoice(reference_code))

    def list_invoices(
        self,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        source: Union[Source, str, None] = None,
    ) -> Page[Invoice]:
        """One page of invoices."""
        return self._run(self._list_invoices(page, per_page, source))

    def iter_invoices(
        self, per_page: Optional[int] = None, source: Union[Source, str, None] = None
    ) -> Iterator[Invoice]:
        """Every invoice, fetching pages as needed."""
        stream = self._iter(per_page, source)
        while True:
            text = stream.next()
            if text is None:
                return
            yield _invoice(text)

    def download_invoice(
        self, reference_code: str, type: Union[FileType, str] = FileType.PDF
    ) -> InvoiceFile:
        """Downloads an issued invoice as PDF or XML (``content`` holds the bytes)."""
        return self._run(self._download_invoice(reference_code, type))

    def delete_draft(self, reference_code: str) -> None:
        """Deletes a draft for good."""
        self._run(self._delete_draft(reference_code))

    def get_usage(self) -> Usage:
        """Remaining issuance quota."""
        return self._run(self._get_usage())

    def issue_batch(
        self,
        rows: Iterable[BatchRowLike],
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        draft: Optional[bool] = None,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Issues many invoices, each exactly once, across crashes and re-runs.

        Every row is journaled in ``journal`` (``"sqlite:PATH"``, one process at a time, or
        ``"postgres://…"``, shared by several workers) under ``batch`` (default ``"default"``)
        **before** its create is sent, with the reference code it will use; each later step is
        recorded as it happens. Running the same rows again (after Ctrl-C, a crash, an outage)
        sends no second invoice: a row that may already exist is looked up by its reference
        code first, and a row whose content changed since it was journaled is refused
        (``outcome == "refused"``), never silently re-issued. ``rows``: ``(key, request)``
        pairs or ``BatchRow`` objects, keys unique (an order id); ``draft`` overrides every
        row's ``is_draft`` when not ``None``. ``concurrency`` rows are worked at once; a row
        may take ``row_timeout`` seconds (600) and its job is waited for ``wait_timeout``
        seconds, polling from every ``poll_interval`` seconds; ``worker`` and ``lease`` (60 s)
        name this worker's claims on a shared journal. ``on_progress`` gets the counts at the
        start and after every row (what it raises is logged, not raised).

        Each row's own failure is in its result; the call raises only when the batch cannot
        run: ``ValidationError`` (unusable rows or options, ``field`` names it; nothing is
        sent) or ``BatchError`` (the journal, a lost lease, the API refusing the whole run)."""
        return self._run(
            self._issue_batch(
                rows,
                journal,
                batch,
                concurrency,
                draft,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
            )
        )

    def resume_batch(
        self,
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Works the rows already journaled under ``batch`` (default ``"default"``) without
        their input: after an interruption, or on another worker sharing a PostgreSQL
        journal. Options and errors as for ``issue_batch``."""
        return self._run(
            self._resume_batch(
                journal,
                batch,
                concurrency,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
                False,
            )
        )

    def retry_failed_batch(
        self,
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Puts the rows of ``batch`` that failed for certain back to pending (with their
        reference codes) and works them again, as ``resume_batch`` does: after the cause is
        fixed (a quota raised, an account approved). Options and errors as for
        ``issue_batch``."""
        return self._run(
            self._resume_batch(
                journal,
                batch,
                concurrency,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
                True,
            )
        )

    def batch_status(self, journal: str, batch: Optional[str] = None) -> List[BatchEntry]:
        """Every row the journal holds for ``batch`` (every batch when ``None``), in input
        order, with where it stands. Sends nothing. Raises ``BatchError`` when the journal
        cannot be read (a SQLite journal in use by a running batch)."""
        return self._run(self._batch_status(journal, batch))


class AsyncClient(_BaseClient):
    """The asyncio client, for FastAPI, Starlette and other async code.

    Create it once (e.g. in the app's lifespan) and share it. Cancelling a task that awaits a
    call cancels the request in Rust. ``on_status`` and ``on_progress`` callbacks run on the
    event loop.
    """

    async def _run(self, op: _Op[_T]) -> _T:
        # asyncio is imported where it is used: the package imports without it (it costs a
        # third of a cold import), and a running loop has imported it already.
        import asyncio

        loop = asyncio.get_running_loop()
        deliveries = _deliveries(loop)
        if deliveries is None:
            return op.decode(await op.call.awaitable())
        future: asyncio.Future[Any] = loop.create_future()
        task = op.call.start(future, deliveries)
        try:
            answer = await future
        except BaseException:  # cancelled, or the coroutine closed: the request stops too
            task.cancel()
            raise
        return op.decode(answer)

    def _deliver(self, on_status: Optional[StatusCallback]) -> Optional[Callable[[str], None]]:
        # Called from a runtime thread: the status is handed to the event loop.
        direct = super()._deliver(on_status)
        if direct is None:
            return None
        import asyncio

        loop = asyncio.get_running_loop()
        deliver = direct

        def callback(text: str) -> None:
            loop.call_soon_threadsafe(deliver, text)

        return callback

    def _deliver_progress(
        self, on_progress: Optional[ProgressCallback]
    ) -> Optional[Callable[[str], None]]:
        # Called from a runtime thread: the counts are handed to the event loop.
        direct = super()._deliver_progress(on_progress)
        if direct is None:
            return None
        import asyncio

        loop = asyncio.get_running_loop()
        deliver = direct

        def callback(text: str) -> None:
            loop.call_soon_threadsafe(deliver, text)

        return callback

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
        return await self._run(self._authenticate())

    async def list_provider_accounts(
        self, page: Optional[int] = None, per_page: Optional[int] = None
    ) -> Page[ProviderAccount]:
        """One page of provider accounts."""
        return await self._run(self._list_provider_accounts(page, per_page))

    async def get_provider_account(self, id: str) -> ProviderAccountDetail:
        """A provider account with its templates and series."""
        return await self._run(self._get_provider_account(id))

    async def create_invoice(self, request: CreateInvoiceLike) -> Job:
        """Creates an invoice (a draft when ``is_draft``) and returns the job to wait on.
        Exactly one invoice results, whatever retries happen; a ``CreateInvoice`` object
        remembers its reference code, so sending the same object again after an error (or a
        cancellation) finds the invoice instead of creating a second one."""
        return await self._run(self._create_invoice(request))

    async def issue_invoice(self, reference_code: str) -> Job:
        """Issues a draft; returns the job to wait on."""
        return await self._run(self._issue_invoice(reference_code))

    async def check_status(self, job: JobLike) -> JobStatus:
        """Asks the API once where a job stands."""
        return await self._run(self._check_status(job))

    async def wait_for_status(
        self,
        job: JobLike,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """Polls until the job succeeds (returning the invoice); raises ``InvoiceFailedError`` or
        ``WaitTimeoutError`` (whose ``job`` resumes the wait); cancelling the task stops it.
        Defaults as for ``Client.wait_for_status``."""
        return await self._run(
            self._wait_for_status(job, timeout, poll_interval, max_poll_interval, on_status)
        )

    async def create_invoice_and_wait(
        self,
        request: CreateInvoiceLike,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``create_invoice`` then ``wait_for_status``."""
        return await self._run(
            self._create_invoice_and_wait(request, timeout, poll_interval, max_poll_interval, on_status)
        )

    async def issue_invoice_and_wait(
        self,
        reference_code: str,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``issue_invoice`` then ``wait_for_status``."""
        return await self._run(
            self._issue_invoice_and_wait(
                reference_code, timeout, poll_interval, max_poll_interval, on_status
            )
        )

    async def replace_invoice(
        self, original_invoice_reference_code: str, request: CreateInvoiceLike
    ) -> Job:
        """Replaces an issued invoice with ``request``, the corrected invoice in full; returns the
        job to wait on. Sent like a create: validated first, exactly once (the request object
        remembers its own reference code). An invoice is replaced once; a refusal because of the
        original raises ``CorrectionRefusedError`` (``api_code`` says why)."""
        return await self._run(self._replace_invoice(original_invoice_reference_code, request))

    async def adjust_invoice(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
    ) -> Job:
        """Adjusts an issued invoice; ``request``'s lines carry only the difference (positive for
        ``increase``, a negative ``unit_price`` for ``decrease``, either for ``combined``, no
        amount for ``info``). The original stays in force and can be adjusted again. Returns the
        job to wait on; exactly once, like a create."""
        return await self._run(
            self._adjust_invoice(original_invoice_reference_code, adjustment_type, request)
        )

    async def replace_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        request: CreateInvoiceLike,
        *,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``replace_invoice`` then ``wait_for_status``."""
        return await self._run(
            self._replace_invoice_and_wait(
                original_invoice_reference_code,
                request,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
            )
        )

    async def adjust_invoice_and_wait(
        self,
        original_invoice_reference_code: str,
        adjustment_type: Union[AdjustmentType, str],
        request: CreateInvoiceLike,
        *,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        on_status: Optional[StatusCallback] = None,
    ) -> Invoice:
        """``adjust_invoice`` then ``wait_for_status``."""
        return await self._run(
            self._adjust_invoice_and_wait(
                original_invoice_reference_code,
                adjustment_type,
                request,
                timeout,
                poll_interval,
                max_poll_interval,
                on_status,
            )
        )

    async def preflight(self, request: CreateInvoiceLike) -> Preflight:
        """Checks a create request without sending it and returns every problem at once: the
        field rules, the dated legal rules and (unless ``account_checks`` is off) the provider
        account's. Errors would stop ``create_invoice``; warnings would not. Nothing is created
        and no reference code is taken."""
        return await self._run(self._preflight(request))

    async def get_invoice(self, reference_code: str) -> Invoice:
        """One invoice with its lines."""
        return await self._run(self._get_invoice(reference_code))

    async def list_invoices(
        self,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        source: Union[Source, str, None] = None,
    ) -> Page[Invoice]:
        """One page of invoices."""
        return await self._run(self._list_invoices(page, per_page, source))

    async def iter_invoices(
        self, per_page: Optional[int] = None, source: Union[Source, str, None] = None
    ) -> AsyncIterator[Invoice]:
        """Every invoice, fetching pages as needed (``async for``)."""
        stream = self._iter(per_page, source)
        while True:
            text = await stream.anext()
            if text is None:
                return
            yield _invoice(text)

    async def download_invoice(
        self, reference_code: str, type: Union[FileType, str] = FileType.PDF
    ) -> InvoiceFile:
        """Downloads an issued invoice as PDF or XML (``content`` holds the bytes)."""
        return await self._run(self._download_invoice(reference_code, type))

    async def delete_draft(self, reference_code: str) -> None:
        """Deletes a draft for good."""
        await self._run(self._delete_draft(reference_code))

    async def get_usage(self) -> Usage:
        """Remaining issuance quota."""
        return await self._run(self._get_usage())

    async def issue_batch(
        self,
        rows: Iterable[BatchRowLike],
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        draft: Optional[bool] = None,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Issues many invoices, each exactly once, across crashes and re-runs.

        Every row is journaled in ``journal`` (``"sqlite:PATH"``, one process at a time, or
        ``"postgres://…"``, shared by several workers) under ``batch`` (default ``"default"``)
        **before** its create is sent, with the reference code it will use; each later step is
        recorded as it happens. Running the same rows again (after Ctrl-C, a crash, an outage)
        sends no second invoice: a row that may already exist is looked up by its reference
        code first, and a row whose content changed since it was journaled is refused
        (``outcome == "refused"``), never silently re-issued. ``rows``: ``(key, request)``
        pairs or ``BatchRow`` objects, keys unique (an order id); ``draft`` overrides every
        row's ``is_draft`` when not ``None``. ``concurrency`` rows are worked at once; a row
        may take ``row_timeout`` seconds (600) and its job is waited for ``wait_timeout``
        seconds, polling from every ``poll_interval`` seconds; ``worker`` and ``lease`` (60 s)
        name this worker's claims on a shared journal. ``on_progress`` gets the counts at the
        start and after every row (what it raises is logged, not raised).

        Each row's own failure is in its result; the call raises only when the batch cannot
        run: ``ValidationError`` (unusable rows or options, ``field`` names it; nothing is
        sent) or ``BatchError`` (the journal, a lost lease, the API refusing the whole run)."""
        return await self._run(
            self._issue_batch(
                rows,
                journal,
                batch,
                concurrency,
                draft,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
            )
        )

    async def resume_batch(
        self,
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Works the rows already journaled under ``batch`` (default ``"default"``) without
        their input: after an interruption, or on another worker sharing a PostgreSQL
        journal. Options and errors as for ``issue_batch``."""
        return await self._run(
            self._resume_batch(
                journal,
                batch,
                concurrency,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
                False,
            )
        )

    async def retry_failed_batch(
        self,
        *,
        journal: str,
        batch: Optional[str] = None,
        concurrency: int = 8,
        row_timeout: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        worker: Optional[str] = None,
        lease: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> BatchReport:
        """Puts the rows of ``batch`` that failed for certain back to pending (with their
        reference codes) and works them again, as ``resume_batch`` does: after the cause is
        fixed (a quota raised, an account approved). Options and errors as for
        ``issue_batch``."""
        return await self._run(
            self._resume_batch(
                journal,
                batch,
                concurrency,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
                True,
            )
        )

    async def batch_status(self, journal: str, batch: Optional[str] = None) -> List[BatchEntry]:
        """Every row the journal holds for ``batch`` (every batch when ``None``), in input
        order, with where it stands. Sends nothing. Raises ``BatchError`` when the journal
        cannot be read (a SQLite journal in use by a running batch)."""
        return await self._run(self._batch_status(journal, batch))
