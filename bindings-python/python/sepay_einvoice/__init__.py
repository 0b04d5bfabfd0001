"""SePay eInvoice API client (Vietnamese e-invoices) on a Rust core.

``Client`` is blocking (Django, Flask, Celery), ``AsyncClient`` is for asyncio (FastAPI). Both
wrap the same Rust core, which handles tokens, retries, exactly-once creation, validation and
waiting. Nothing is started at import: the runtime starts with the first call.

Logging goes to the standard ``logging`` logger ``sepay_einvoice`` (buyer tax codes, e-mails,
phones and national ids masked, secrets never logged). Set ``SEPAY_EINVOICE_LOG=debug`` to print
it to stderr without configuring ``logging``; the variable takes the same filter directives as
the Node package and the CLI (``sepay_einvoice=debug,hyper=warn``: a Rust target's ``::`` is a
logger name's ``.``).
"""

from __future__ import annotations

import atexit as _atexit
import os as _os
import warnings as _warnings

import typing as _typing

from ._client import DEFAULTS, AsyncClient, Client, JobLike, StatusCallback, totals
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    BatchError,
    ConflictError,
    CorrectionRefusedError,
    DecodeError,
    InvoiceFailedError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    SePayError,
    ServerError,
    UnprocessableEntityError,
    ValidationError,
    WaitTimeoutError,
)
from ._models import (
    AdjustmentType,
    Buyer,
    BuyerType,
    CreateInvoice,
    CreateInvoiceLike,
    Currency,
    FileType,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    InvoiceTemplate,
    Job,
    JobKind,
    JobState,
    JobStatus,
    LineItem,
    LineTotal,
    LineType,
    Money,
    Paging,
    PaymentMethod,
    Preflight,
    Problem,
    ProviderAccount,
    ProviderAccountDetail,
    Severity,
    Source,
    TaxRate,
    TokenInfo,
    Totals,
    Usage,
)
from ._native import __version__

if _typing.TYPE_CHECKING:
    from ._batch import (
        BatchEntry,
        BatchOutcome,
        BatchProgress,
        BatchReport,
        BatchRow,
        BatchRowError,
        BatchRowLike,
        BatchRowResult,
        BatchRowState,
        ProgressCallback,
    )

#: The batch types, imported from ``_batch`` on first use (see ``__getattr__``).
_BATCH_NAMES = frozenset(
    {
        "BatchEntry",
        "BatchOutcome",
        "BatchProgress",
        "BatchReport",
        "BatchRow",
        "BatchRowError",
        "BatchRowLike",
        "BatchRowResult",
        "BatchRowState",
        "ProgressCallback",
    }
)


if not _typing.TYPE_CHECKING:
    # Hidden from type checkers: a module `__getattr__` would make every misspelt name `Any`;
    # they see the batch names through the imports above.

    def __getattr__(name: str) -> _typing.Any:
        # PEP 562: the batch classes load when first named, not with the package (import time).
        if name in _BATCH_NAMES:
            from . import _batch

            value = getattr(_batch, name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | _BATCH_NAMES)

from ._results import InvoiceFile, Page
from ._native import drain as _drain
from ._native import init_log_bridge as _init_log_bridge
from ._native import log_directives as _log_directives

__all__ = [
    "__version__",
    "DEFAULTS",
    "AsyncClient",
    "Client",
    "JobLike",
    "StatusCallback",
    "totals",
    "BatchEntry",
    "BatchError",
    "BatchOutcome",
    "BatchProgress",
    "BatchReport",
    "BatchRow",
    "BatchRowError",
    "BatchRowLike",
    "BatchRowResult",
    "BatchRowState",
    "ProgressCallback",
    "APIConnectionError",
    "APITimeoutError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CorrectionRefusedError",
    "DecodeError",
    "InvoiceFailedError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "SePayError",
    "ServerError",
    "UnprocessableEntityError",
    "ValidationError",
    "WaitTimeoutError",
    "AdjustmentType",
    "Buyer",
    "BuyerType",
    "CreateInvoice",
    "CreateInvoiceLike",
    "Currency",
    "FileType",
    "Invoice",
    "InvoiceFile",
    "InvoiceItem",
    "InvoiceStatus",
    "InvoiceTemplate",
    "Job",
    "JobKind",
    "JobState",
    "JobStatus",
    "LineItem",
    "LineTotal",
    "LineType",
    "Money",
    "Page",
    "Paging",
    "PaymentMethod",
    "Preflight",
    "Problem",
    "ProviderAccount",
    "ProviderAccountDetail",
    "Severity",
    "Source",
    "TaxRate",
    "TokenInfo",
    "Totals",
    "Usage",
]

def _configure_logging_from_env() -> None:
    """``SEPAY_EINVOICE_LOG``, read like the Node package and the CLI read it (tracing's
    ``EnvFilter`` directives): a level (``debug``) for the SDK's loggers, or comma-separated
    ``target=level`` pairs (``sepay_einvoice=debug,hyper=warn``). Each named logger gets its level,
    and the outermost ones a stderr handler unless they already have a handler of their own.
    Pieces that are not directives are ignored with a ``RuntimeWarning``."""
    spec = _os.environ.get("SEPAY_EINVOICE_LOG", "")
    if not spec.strip():
        return
    import logging as _logging  # only here: the package does not import `logging` otherwise

    _init_log_bridge()
    directives, ignored = _log_directives(spec)
    for piece in ignored:
        _warnings.warn(
            f"SEPAY_EINVOICE_LOG: ignoring {piece!r} (expected a level or target=level)",
            RuntimeWarning,
            stacklevel=2,
        )
    if not directives:
        return
    if _logging.getLevelName(5) == "Level 5":
        _logging.addLevelName(5, "TRACE")  # what the Rust core's trace events arrive as
    handler = _logging.StreamHandler()
    handler.setFormatter(_logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    names = list(dict.fromkeys(name for name, _ in directives))
    for name, level in directives:
        _logging.getLogger(name).setLevel(level)
    for name in names:
        if any(name.startswith(other + ".") for other in names):
            continue  # its records reach the handler of the outer logger
        logger = _logging.getLogger(name)
        if not any(not isinstance(h, _logging.NullHandler) for h in logger.handlers):
            logger.addHandler(handler)


_configure_logging_from_env()

# Let the Rust runtime finish handing results to asyncio before the interpreter shuts down.
_atexit.register(_drain, 2.0)
