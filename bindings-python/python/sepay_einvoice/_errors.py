"""The exception classes. Defined here (so they pickle and subclass normally) and raised from the
Rust core through ``_from_native``; the kind of a core error picks the class."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Type, TypeVar

if TYPE_CHECKING:
    from ._models import Job, JobStatus, Problem


_S = TypeVar("_S", bound="SePayError")


class SePayError(Exception):
    """Base of every error the SDK raises.

    Attributes (``None`` where they do not apply): ``kind`` (DESIGN.md name, e.g.
    ``"QuotaExceeded"``), ``code`` (``"QUOTA_EXCEEDED"``), ``message`` (the API's or the SDK's
    text), ``status_code``, ``api_code``, ``request_id``, ``method``, ``path``, ``field`` (path of
    the bad input for validation errors), ``retry_after`` (seconds), ``elapsed`` (seconds),
    ``attempts`` (HTTP attempts made), ``reference_code``, ``tracking_code``, ``job`` and
    ``last_status`` (for invoice-failed and wait-timeout errors), ``retryable``, ``ambiguous``
    (the server may have acted although the call failed: for a create, the invoice may exist —
    retry with the same request object or ``reference_code``, never with a new one), ``problems``
    (for validation errors: every ``Problem`` found in the request at once, warnings included;
    an empty list for other errors).
    """

    kind: str = "Internal"
    code: str = "INTERNAL"

    def __init__(
        self,
        message: str = "",
        *,
        kind: Optional[str] = None,
        code: Optional[str] = None,
        status_code: Optional[int] = None,
        api_code: Optional[str] = None,
        request_id: Optional[str] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
        field: Optional[str] = None,
        retry_after: Optional[float] = None,
        elapsed: Optional[float] = None,
        attempts: int = 0,
        reference_code: Optional[str] = None,
        tracking_code: Optional[str] = None,
        job: Optional[Job] = None,
        last_status: Optional[JobStatus] = None,
        retryable: bool = False,
        detail: Optional[str] = None,
        ambiguous: bool = False,
        problems: Optional[Sequence[Problem]] = None,
    ) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if code is not None:
            self.code = code
        self.message: str = detail if detail is not None else message
        self.status_code = status_code
        self.api_code = api_code
        self.request_id = request_id
        self.method = method
        self.path = path
        self.field = field
        self.retry_after = retry_after
        self.elapsed = elapsed
        self.attempts = attempts
        self.reference_code = reference_code
        self.tracking_code = tracking_code
        self.job = job
        self.last_status = last_status
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.problems: List[Problem] = list(problems or [])

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.message

    def __repr__(self) -> str:
        extra = ""
        if self.status_code is not None:
            extra += f", status_code={self.status_code}"
        if self.api_code is not None:
            extra += f", api_code={self.api_code!r}"
        if self.field is not None:
            extra += f", field={self.field!r}"
        if self.reference_code is not None:
            extra += f", reference_code={self.reference_code!r}"
        return f"{type(self).__name__}({self.message!r}{extra})"

    def __reduce__(self) -> Any:
        return (_restore, (type(self), self.args, self.__dict__.copy()))

    @classmethod
    def _from_native(cls: Type[_S], text: str, details: str) -> _S:
        from ._models import Job, JobStatus, Problem

        d: Dict[str, Any] = json.loads(details)
        job = d.get("job")
        last = d.get("last_status")
        return cls(
            text,
            kind=d.get("kind"),
            code=d.get("code"),
            status_code=d.get("status_code"),
            api_code=d.get("api_code"),
            request_id=d.get("request_id"),
            method=d.get("method"),
            path=d.get("path"),
            field=d.get("field"),
            retry_after=d.get("retry_after"),
            elapsed=d.get("elapsed"),
            attempts=int(d.get("attempts") or 0),
            reference_code=d.get("reference_code"),
            tracking_code=d.get("tracking_code"),
            job=None if job is None else Job._from_json(job),
            last_status=None if last is None else JobStatus._from_json(last),
            retryable=bool(d.get("retryable", False)),
            detail=d.get("message"),
            ambiguous=bool(d.get("ambiguous", False)),
            problems=[Problem._from_json(p) for p in d.get("problems") or []],
        )


def _restore(cls: Type[SePayError], args: Any, state: Dict[str, Any]) -> SePayError:
    err = cls.__new__(cls)
    err.args = tuple(args)
    err.__dict__.update(state)
    return err


class ApiError(SePayError):
    """The API answered with an error status (``status_code``, ``api_code``, ``request_id``)."""


class ValidationError(SePayError, ValueError):
    """Bad input caught before any request was sent; ``field`` names it (``items[0].tax_rate``)
    and ``problems`` lists every problem of the request at once (the first error is this one)."""

    kind = "Validation"
    code = "VALIDATION"


class BadRequestError(ApiError):
    """HTTP 400 (and other 4xx without a more specific class)."""

    kind = "BadRequest"
    code = "BAD_REQUEST"


class AuthenticationError(ApiError):
    """HTTP 401: credentials or token rejected."""

    kind = "Authentication"
    code = "AUTHENTICATION"


class PermissionDeniedError(ApiError):
    """HTTP 403."""

    kind = "PermissionDenied"
    code = "PERMISSION_DENIED"


class QuotaExceededError(PermissionDeniedError):
    """HTTP 403 ``QUOTA_EXCEEDED``: the issuance quota is used up."""

    kind = "QuotaExceeded"
    code = "QUOTA_EXCEEDED"


class NotFoundError(ApiError):
    """HTTP 404."""

    kind = "NotFound"
    code = "NOT_FOUND"


class ConflictError(ApiError):
    """HTTP 409, e.g. ``EINVOICE_DOCUMENT_EXISTED``."""

    kind = "Conflict"
    code = "CONFLICT"


class UnprocessableEntityError(ApiError):
    """HTTP 422."""

    kind = "Unprocessable"
    code = "UNPROCESSABLE"


class CorrectionRefusedError(UnprocessableEntityError):
    """A replacement or adjustment refused because of its original invoice; ``api_code`` says
    why (``INVOICE_ALREADY_REPLACED``, ``INVOICE_NOT_ISSUED``, ``INVOICE_ACCOUNT_MISMATCH``,
    ``INVOICE_CANCELLED``, ``INVOICE_NOT_CORRECTABLE``)."""

    kind = "CorrectionRefused"
    code = "CORRECTION_REFUSED"


class RateLimitError(ApiError):
    """HTTP 429 (``retry_after`` in seconds when the API sent it)."""

    kind = "RateLimited"
    code = "RATE_LIMITED"


class ServerError(ApiError):
    """HTTP 5xx."""

    kind = "Server"
    code = "SERVER"


class APITimeoutError(SePayError):
    """An attempt or the call's deadline ran out."""

    kind = "Timeout"
    code = "TIMEOUT"


class APIConnectionError(SePayError):
    """The transport failed (connect, reset, dropped connection), or the client is closed."""

    kind = "Connection"
    code = "CONNECTION"


class DecodeError(SePayError):
    """A response the SDK could not read."""

    kind = "Decode"
    code = "DECODE"


class InvoiceFailedError(SePayError):
    """A create or issue job ended ``Failed``; ``job`` and ``last_status`` say which and why."""

    kind = "InvoiceFailed"
    code = "INVOICE_FAILED"


class WaitTimeoutError(SePayError):
    """The wait deadline passed while the job was still pending; resume with ``err.job``."""

    kind = "WaitTimeout"
    code = "WAIT_TIMEOUT"


class BatchError(SePayError):
    """An error that stopped a whole batch (``issue_batch``, ``resume_batch``,
    ``retry_failed_batch``, ``batch_status``); a row's own failure is in its result instead.
    ``kind`` says what stopped it: ``"Journal"`` (the journal could not be opened, read or
    written — a SQLite journal in use by another process, an unreachable PostgreSQL),
    ``"LeaseLost"`` (another worker took a row this one was working on) or ``"Client"`` (the API
    refused the whole run). Unusable rows or options raise ``ValidationError`` instead. The
    journal keeps every step recorded so far: run the batch again to go on."""

    kind = "Journal"
    code = "BATCH_JOURNAL"
