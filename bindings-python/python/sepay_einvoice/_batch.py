"""Batch issuance: the rows given to ``issue_batch`` and what the batch runner answers.

Hand-written (the batch crate's types are not part of the generated API model): each class
mirrors a Rust type of ``sepay-einvoice-batch`` field for field, and is decoded from the JSON the
runner writes. The runner itself (journal, leases, reconciliation) is all in Rust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native
from ._model_base import _Model, _StrEnum, _bad_input, _dumps_at, _enum, _loads, _nested, _str
from ._models import CreateInvoiceLike

class BatchOutcome(_StrEnum):
    """How a row ended in a run (``BatchRowResult.outcome``)."""

    #: The invoice is made (issued, or a draft when the row asked for one).
    DONE = "done"
    #: Refused for certain: no invoice was made (fix the row, then ``retry_failed_batch``).
    FAILED = "failed"
    #: Not known yet (an outage, a deadline): the next run finds out, by reference code.
    UNCERTAIN = "uncertain"
    #: The row changed since it was journaled: not sent (it may already be an invoice).
    REFUSED = "refused"


class BatchRowState(_StrEnum):
    """Where a journaled row stands (``BatchEntry.state``)."""

    #: Journaled, never sent: no invoice can exist.
    PENDING = "pending"
    #: About to be sent, or sent without an answer recorded: the invoice may exist.
    SENDING = "sending"
    #: The API accepted the create: the invoice exists or is being made.
    ACCEPTED = "accepted"
    #: The invoice is made.
    DONE = "done"
    #: Refused for certain: no invoice exists (``retry_failed_batch`` sends it again).
    FAILED = "failed"


@dataclass
class BatchRow:
    """One invoice of a batch: its key (unique in the batch: an order id, a line number) and
    the create request. A request without ``reference_code`` gets one when it is first
    journaled; one without ``issued_date`` is dated then (Vietnam time), so a re-run sends the
    same invoice."""

    key: str
    request: CreateInvoiceLike


#: A row: a ``BatchRow`` or a ``(key, request)`` pair.
BatchRowLike = Union[BatchRow, Tuple[str, CreateInvoiceLike]]


@dataclass(repr=False)
class BatchRowError(_Model):
    """Why a row failed, is uncertain or was refused."""

    #: The SDK's error kind (``Validation``, ``QuotaExceeded``, ``Connection``, …), ``Changed``
    #: for a refused row, ``Timeout`` for a row past ``row_timeout``.
    kind: str
    #: What happened.
    message: str
    #: The API's code, when it gave one.
    api_code: Optional[str] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> BatchRowError:
        return cls(
            kind=str(data.get("kind") or ""),
            message=str(data.get("message") or ""),
            api_code=_str(data.get("api_code")),
        )


@dataclass(repr=False)
class BatchRowResult(_Model):
    """One row's result."""

    #: The row's key.
    key: str
    #: The reference code its invoice has (or will have).
    reference_code: Optional[str]
    #: How it ended.
    outcome: Union[BatchOutcome, str]
    #: The invoice number, once done.
    invoice_number: Optional[str] = None
    #: ``issued`` or ``draft``, once done.
    invoice_status: Optional[str] = None
    #: Link to the PDF, once done.
    pdf_url: Optional[str] = None
    #: The create job's tracking code.
    tracking_code: Optional[str] = None
    #: Why it failed or is uncertain.
    error: Optional[BatchRowError] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> BatchRowResult:
        return cls(
            key=str(data.get("key") or ""),
            reference_code=_str(data.get("reference_code")),
            outcome=_enum(BatchOutcome, data.get("outcome")) or "",
            invoice_number=_str(data.get("invoice_number")),
            invoice_status=_str(data.get("invoice_status")),
            pdf_url=_str(data.get("pdf_url")),
            tracking_code=_str(data.get("tracking_code")),
            error=_nested(BatchRowError, data.get("error")),
        )


@dataclass(repr=False)
class BatchReport(_Model):
    """A run's results: every row of the run, in input order, and the counts."""

    #: The batch's name.
    batch: str
    #: Every row, in input order (refused rows last).
    rows: List[BatchRowResult] = field(default_factory=list)
    #: Rows done.
    done: int = 0
    #: Rows failed for certain.
    failed: int = 0
    #: Rows whose outcome the next run must find out.
    uncertain: int = 0
    #: Rows refused because they changed since they were journaled.
    refused: int = 0

    @property
    def all_done(self) -> bool:
        """Whether every row is done (nothing failed, uncertain or refused)."""
        return self.failed == 0 and self.uncertain == 0 and self.refused == 0

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> BatchReport:
        return cls(
            batch=str(data.get("batch") or ""),
            rows=[BatchRowResult._from_json(r) for r in data.get("rows") or []],
            done=int(data.get("done") or 0),
            failed=int(data.get("failed") or 0),
            uncertain=int(data.get("uncertain") or 0),
            refused=int(data.get("refused") or 0),
        )


@dataclass(repr=False)
class BatchProgress(_Model):
    """Counts so far, reported once at the start and after every row that finishes."""

    #: Rows in the batch.
    total: int
    #: Rows done (before this run too).
    done: int
    #: Rows failed for certain.
    failed: int
    #: Rows left uncertain in this run.
    uncertain: int
    #: Rows being worked now.
    in_flight: int
    #: The row that just finished, if any.
    row: Optional[BatchRowResult] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> BatchProgress:
        return cls(
            total=int(data.get("total") or 0),
            done=int(data.get("done") or 0),
            failed=int(data.get("failed") or 0),
            uncertain=int(data.get("uncertain") or 0),
            in_flight=int(data.get("in_flight") or 0),
            row=_nested(BatchRowResult, data.get("row")),
        )


@dataclass(repr=False)
class BatchEntry(_Model):
    """One row as the journal holds it (``batch_status``)."""

    #: The batch it belongs to (several batches may share a journal).
    batch: str
    #: The row's key (unique in its batch).
    key: str
    #: Its place in the input.
    seq: int
    #: The reference code its invoice is created with, chosen when it was first journaled.
    reference_code: str
    #: SHA-256 of the row as given, to refuse a row that changed between runs.
    payload_hash: str
    #: Where it stands.
    state: Union[BatchRowState, str]
    #: The create job's tracking code, once accepted.
    tracking_code: Optional[str] = None
    #: The invoice number, once done.
    invoice_number: Optional[str] = None
    #: The invoice's status (``issued`` or ``draft``), once done.
    invoice_status: Optional[str] = None
    #: Link to the PDF, once done.
    pdf_url: Optional[str] = None
    #: The last error's kind (``Validation``, ``Connection``, …).
    error_kind: Optional[str] = None
    #: The last error's message.
    error_message: Optional[str] = None
    #: The last error's API code.
    api_code: Optional[str] = None
    #: How many times a create was sent for it.
    attempts: int = 0
    #: When it last changed (RFC 3339, UTC).
    updated_at: str = ""

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> BatchEntry:
        return cls(
            batch=str(data.get("batch") or ""),
            key=str(data.get("key") or ""),
            seq=int(data.get("seq") or 0),
            reference_code=str(data.get("reference_code") or ""),
            payload_hash=str(data.get("payload_hash") or ""),
            state=_enum(BatchRowState, data.get("state")) or "",
            tracking_code=_str(data.get("tracking_code")),
            invoice_number=_str(data.get("invoice_number")),
            invoice_status=_str(data.get("invoice_status")),
            pdf_url=_str(data.get("pdf_url")),
            error_kind=_str(data.get("error_kind")),
            error_message=_str(data.get("error_message")),
            api_code=_str(data.get("api_code")),
            attempts=int(data.get("attempts") or 0),
            updated_at=str(data.get("updated_at") or ""),
        )


#: Called with the counts at the start and after every row that finishes.
ProgressCallback = Callable[[BatchProgress], Any]


def _rows(rows: Iterable[BatchRowLike]) -> List[Tuple[Any, str]]:
    """The rows for the native layer: ``(key, request as JSON text)``; the core checks the
    keys and reads the requests, naming fields from ``rows[i]``."""
    if isinstance(rows, (str, bytes, Mapping)):
        raise _bad_input(
            "rows",
            "must be an iterable of (key, request) pairs or BatchRow objects, "
            f"got {type(rows).__name__}",
        )
    out: List[Tuple[Any, str]] = []
    for i, row in enumerate(rows):
        if isinstance(row, BatchRow):
            key, request = row.key, row.request
        elif isinstance(row, (tuple, list)) and len(row) == 2:
            key, request = row
        else:
            raise _bad_input(
                f"rows[{i}]", f"must be a (key, request) pair or a BatchRow, got {type(row).__name__}"
            )
        out.append((key, _dumps_at(request, f"rows[{i}].request")))
    return out


def _report(text: Any) -> BatchReport:
    return BatchReport._from_json(_loads(text))


def _entries(text: Any) -> List[BatchEntry]:
    return [BatchEntry._from_json(e) for e in _loads(text)]


def _progress(on_progress: Optional[ProgressCallback]) -> Optional[Callable[[str], None]]:
    """The native progress callback: decodes the report and calls ``on_progress``; what the
    callback raises is logged (logger ``sepay_einvoice.batch``), never raised into the batch."""
    if on_progress is None:
        return None
    user = on_progress

    def deliver(text: str) -> None:
        try:
            user(BatchProgress._from_json(_loads(text)))
        except Exception:
            import logging  # not at import: the package does not import `logging` unless it logs

            _native.init_log_bridge()  # the `sepay_einvoice` logger's NullHandler
            logging.getLogger("sepay_einvoice.batch").exception(
                "the on_progress callback raised; the batch goes on"
            )

    return deliver


__all__ = [
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
]
