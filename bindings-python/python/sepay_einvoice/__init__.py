"""SePay eInvoice API client (Vietnamese e-invoices) on a Rust core.

``Client`` is blocking (Django, Flask, Celery), ``AsyncClient`` is for asyncio (FastAPI). Both
wrap the same Rust core, which handles tokens, retries, exactly-once creation, validation and
waiting. Nothing is started at import: the runtime starts with the first call.

Logging goes to the standard ``logging`` logger ``sepay_einvoice`` (buyer tax codes, e-mails,
phones and national ids masked, secrets never logged). Set ``SEPAY_EINVOICE_LOG=debug`` to print
it to stderr without configuring ``logging``.
"""

from __future__ import annotations

import atexit as _atexit
import logging as _logging
import os as _os

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
from ._results import InvoiceFile, Page
from ._native import drain as _drain

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

_logger = _logging.getLogger("sepay_einvoice")
_logger.addHandler(_logging.NullHandler())


def _configure_logging_from_env() -> None:
    level = _os.environ.get("SEPAY_EINVOICE_LOG", "").strip()
    if not level:
        return
    _logger.setLevel(level.upper() if not level.isdigit() else int(level))
    if not any(not isinstance(h, _logging.NullHandler) for h in _logger.handlers):
        handler = _logging.StreamHandler()
        handler.setFormatter(
            _logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        _logger.addHandler(handler)


try:
    _configure_logging_from_env()
except (ValueError, TypeError):  # an unknown level name: keep logging's defaults
    pass

# Let the Rust runtime finish handing results to asyncio before the interpreter shuts down.
_atexit.register(_drain, 2.0)
