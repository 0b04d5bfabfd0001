"""Typed inputs and outputs.

Outputs are built from the canonical JSON the Rust core produces (API field names, decimals as
strings, dates ``YYYY-MM-DD``); inputs are turned into JSON with the API's field names and handed
to the core, which validates them. Nothing here checks values: that is the core's job.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import (
    Any,
    Dict,
    Generic,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from . import _native


#: What a money or quantity field accepts: ``int``, ``Decimal``, ``str`` (a ``float`` is read
#: through its shortest repr by the core; NaN and infinity are rejected).
Money = Union[int, Decimal, str, float]

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------
# Enums. Unknown server values are kept as the raw string (or int), never an error.
# ---------------------------------------------------------------------------------------------


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class InvoiceStatus(_StrEnum):
    """Status of an invoice."""

    DRAFT = "draft"
    ISSUED = "issued"
    CANCELLED = "cancelled"


class JobState(_StrEnum):
    """State of a create or issue job."""

    PENDING = "Pending"
    SUCCESS = "Success"
    FAILED = "Failed"


class JobKind(_StrEnum):
    """Which stage a job tracks."""

    CREATE = "create"
    ISSUE = "issue"


class Currency(_StrEnum):
    """Invoice currency."""

    VND = "VND"
    USD = "USD"
    CAD = "CAD"


class PaymentMethod(_StrEnum):
    """How the buyer pays."""

    CASH = "TM"
    BANK_TRANSFER = "CK"
    CASH_OR_TRANSFER = "TM/CK"
    OTHER = "KHAC"


class BuyerType(_StrEnum):
    """A person or a company."""

    PERSONAL = "personal"
    COMPANY = "company"


class Source(_StrEnum):
    """Where an invoice was made."""

    MANUAL = "manual"
    API = "api"


class FileType(_StrEnum):
    """Download format."""

    PDF = "pdf"
    XML = "xml"


class LineType(enum.IntEnum):
    """Kind of invoice line."""

    NORMAL = 1
    PROMOTION = 2
    DISCOUNT = 3
    NOTE = 4


class TaxRate(enum.IntEnum):
    """VAT rate of a line (percent; -2 KCT, -1 KKKNT)."""

    NOT_SUBJECT = -2
    NOT_DECLARED = -1
    ZERO = 0
    FIVE = 5
    EIGHT = 8
    TEN = 10


def _enum(cls: Type[_E], value: Any) -> Any:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return value


def _dec(value: Any) -> Optional[Decimal]:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _int(value: Any) -> Optional[int]:
    if value is None:
        return None
    return int(value)


def _date(value: Any) -> Optional[_dt.date]:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def _str(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _mask(value: Optional[str]) -> Optional[str]:
    return None if value is None else _native.mask(value)


# ---------------------------------------------------------------------------------------------
# JSON conversion.
# ---------------------------------------------------------------------------------------------

#: Python attribute name -> API field name, where they differ.
_RENAMES: Dict[str, Dict[str, str]] = {
    "Buyer": {"buyer_type": "type"},
    "JobStatus": {"state": "status"},
}


#: Deepest nesting accepted in input (a real request is 4 levels deep).
_MAX_DEPTH = 32


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _bad_input(path: str, message: str) -> Exception:
    from ._errors import ValidationError

    field = path or "(root)"
    return ValidationError(f"{field}: {message}", kind="Validation", code="VALIDATION", field=field, detail=f"{field}: {message}")


def _jsonable(value: Any, *, wire: bool, path: str = "", depth: int = 0) -> Any:
    """Turns a value into JSON-compatible data with the API's field names.

    ``wire=True`` prepares input for the core: ``None`` fields are left out and floats are
    written through their shortest repr (as text, so NaN/inf reach the core and are rejected
    there with the field's path). Input that cannot become JSON (an unsupported type, text
    with lone surrogates) raises ``ValidationError`` naming the field. Nesting deeper than 32
    is cut off with a placeholder: no request field is that deep, so the core then reports the
    field whose type is wrong, as it does for every language.
    """
    if depth > _MAX_DEPTH:
        return "[nested too deeply]"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if wire:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _bad_input(path, "is not valid text (it contains a lone surrogate)") from None
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value) if wire else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        if wire:
            # No request field takes bytes; encoding them would change the input silently.
            raise _bad_input(path, "is bytes; pass text (str)")
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        renames = _RENAMES.get(type(value).__name__, {})
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if wire and v is None:
                continue
            name = renames.get(f.name, f.name)
            out[name] = _jsonable(v, wire=wire, path=_child(path, name), depth=depth + 1)
        return out
    if isinstance(value, Mapping):
        items: Dict[str, Any] = {}
        for k, v in value.items():
            if wire and v is None:
                continue
            if not isinstance(k, str):
                raise _bad_input(path, f"has a key of type {type(k).__name__}; keys must be strings")
            items[_jsonable(k, wire=wire, path=path, depth=depth + 1)] = _jsonable(
                v, wire=wire, path=_child(path, k), depth=depth + 1
            )
        return items
    if isinstance(value, (list, tuple)):
        return [
            _jsonable(v, wire=wire, path=_child(path, i), depth=depth + 1)
            for i, v in enumerate(value)
        ]
    raise _bad_input(path, f"has an unsupported type ({type(value).__name__})")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _dumps(value: Any) -> str:
    return json.dumps(_jsonable(value, wire=True), ensure_ascii=False)


def _dumps_at(value: Any, path: str) -> str:
    """Input as JSON text for the core; errors name fields from ``path`` (``""`` for a request,
    ``"job"`` for a stored job), as the core names them."""
    return json.dumps(_jsonable(value, wire=True, path=path), ensure_ascii=False)


class _Model:
    """Shared behaviour of the typed objects: ``to_dict()``, ``from_dict()`` and a ``repr`` that
    leaves out empty fields and masks buyer personal data."""

    _masked: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if v is None or (isinstance(v, list) and not v):
                continue
            if f.name in self._masked and isinstance(v, str):
                v = _mask(v)
            parts.append(f"{f.name}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self) -> Dict[str, Any]:
        """The canonical JSON form (API field names, decimals as strings, ISO dates)."""
        result: Dict[str, Any] = _jsonable(self, wire=False)
        return result

    @classmethod
    def _from_json(cls: Type[_T], data: Mapping[str, Any]) -> _T:
        raise NotImplementedError

    @classmethod
    def from_dict(cls: Type[_T], data: Mapping[str, Any]) -> _T:
        """Rebuilds an object from ``to_dict()`` output (or the API's JSON)."""
        result: _T = cls._from_json(data)  # type: ignore[attr-defined]
        return result


# ---------------------------------------------------------------------------------------------
# Inputs.
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False)
class Buyer(_Model):
    """The buyer on an invoice. Tax code, e-mail, phone and national id are masked in ``repr``."""

    name: Optional[str] = None
    legal_name: Optional[str] = None
    tax_code: Optional[str] = None
    address: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    buyer_code: Optional[str] = None
    national_id: Optional[str] = None
    buyer_type: Union[BuyerType, str, None] = None

    _masked = ("tax_code", "email", "phone", "national_id")

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Buyer:
        return cls(
            name=_str(data.get("name")),
            legal_name=_str(data.get("legal_name")),
            tax_code=_str(data.get("tax_code")),
            address=_str(data.get("address")),
            email=_str(data.get("email")),
            phone=_str(data.get("phone")),
            buyer_code=_str(data.get("buyer_code")),
            national_id=_str(data.get("national_id")),
            buyer_type=_enum(BuyerType, data.get("type", data.get("buyer_type"))),
        )


@dataclass(repr=False)
class LineItem(_Model):
    """One line of an invoice to create."""

    item_name: str = ""
    quantity: Optional[Money] = None
    unit_price: Optional[Money] = None
    tax_rate: Union[TaxRate, int, None] = None
    line_type: Union[LineType, int, None] = None
    unit: Optional[str] = None
    item_code: Optional[str] = None
    line_number: Optional[int] = None
    discount_tax: Optional[Money] = None
    discount_amount: Optional[Money] = None
    before_discount_and_tax_amount: Optional[Money] = None
    amount: Optional[Money] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> LineItem:
        return cls(
            item_name=str(data.get("item_name") or ""),
            quantity=_dec(data.get("quantity")),
            unit_price=_dec(data.get("unit_price")),
            tax_rate=_enum(TaxRate, _int(data.get("tax_rate"))),
            line_type=_enum(LineType, _int(data.get("line_type"))),
            unit=_str(data.get("unit")),
            item_code=_str(data.get("item_code")),
            line_number=_int(data.get("line_number")),
            discount_tax=_dec(data.get("discount_tax")),
            discount_amount=_dec(data.get("discount_amount")),
            before_discount_and_tax_amount=_dec(data.get("before_discount_and_tax_amount")),
            amount=_dec(data.get("amount")),
        )


@dataclass(repr=False)
class CreateInvoice(_Model):
    """A request to create an invoice. ``reference_code`` is generated by the SDK when empty.

    ``issued_date`` takes ``"YYYY-MM-DD HH:MM:SS"`` (Vietnam time) or a ``datetime`` (naive =
    Vietnam time; aware values are converted).
    """

    provider_account_id: str = ""
    template_code: str = ""
    invoice_series: str = ""
    issued_date: Union[str, _dt.datetime, _dt.date] = ""
    buyer: Union[Buyer, Mapping[str, Any]] = field(default_factory=Buyer)
    items: Sequence[Union[LineItem, Mapping[str, Any]]] = field(default_factory=list)
    is_draft: bool = False
    currency: Union[Currency, str, None] = None
    payment_method: Union[PaymentMethod, str, None] = None
    notes: Optional[str] = None
    total_amount: Optional[Money] = None
    reference_code: Optional[str] = None
    seller_store_code: Optional[str] = None
    seller_store_name: Optional[str] = None

    @property
    def sent_reference_code(self) -> Optional[str]:
        """The reference code the SDK generated when this object was first sent (``None``
        before). Sending the same object again reuses it, so a retry finds the invoice instead
        of creating a second one — also after a cancelled or interrupted call. Copies and
        pickles start without it: a copy is a new sale. A changed object whose invoice may
        exist is refused (``ValidationError`` naming the changed field)."""
        sent = self.__dict__.get("_sent")
        return None if sent is None else sent.code

    def forget_reference_code(self) -> None:
        """Forgets the generated reference code: the next send takes a new one. Only for an
        object whose invoice is known not to exist, or that you mean as a new sale."""
        sent = self.__dict__.get("_sent")
        if sent is not None:
            sent.forget()

    def _sent_reference(self) -> "_native.SentReference":
        sent = self.__dict__.get("_sent")
        if sent is None:
            sent = self.__dict__["_sent"] = _native.SentReference()
        return sent

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_sent", None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        buyer = self.buyer if isinstance(self.buyer, Buyer) else Buyer._from_json(self.buyer)
        return (
            f"CreateInvoice(reference_code={self.reference_code!r}, "
            f"provider_account_id={self.provider_account_id!r}, template_code={self.template_code!r}, "
            f"invoice_series={self.invoice_series!r}, issued_date={self.issued_date!r}, "
            f"is_draft={self.is_draft!r}, buyer={buyer!r}, items={list(self.items)!r})"
        )

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> CreateInvoice:
        return cls(
            provider_account_id=str(data.get("provider_account_id") or ""),
            template_code=str(data.get("template_code") or ""),
            invoice_series=str(data.get("invoice_series") or ""),
            issued_date=str(data.get("issued_date") or ""),
            buyer=Buyer._from_json(data.get("buyer") or {}),
            items=[LineItem._from_json(i) for i in data.get("items") or []],
            is_draft=bool(data.get("is_draft", False)),
            currency=_enum(Currency, data.get("currency")),
            payment_method=_enum(PaymentMethod, data.get("payment_method")),
            notes=_str(data.get("notes")),
            total_amount=_dec(data.get("total_amount")),
            reference_code=_str(data.get("reference_code")),
            seller_store_code=_str(data.get("seller_store_code")),
            seller_store_name=_str(data.get("seller_store_name")),
        )


CreateInvoiceLike = Union[CreateInvoice, Mapping[str, Any]]

# ---------------------------------------------------------------------------------------------
# Outputs.
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False)
class TokenInfo(_Model):
    """Facts about the current access token (never the token itself)."""

    token_type: str
    expires_in: int

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> TokenInfo:
        return cls(token_type=str(data.get("token_type", "")), expires_in=int(data.get("expires_in", 0)))


@dataclass(repr=False)
class Paging(_Model):
    """Where a page sits in a listing."""

    per_page: int = 0
    total: int = 0
    has_more: bool = False
    current_page: int = 0
    page_count: int = 0

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Paging:
        return cls(
            per_page=int(data.get("per_page") or 0),
            total=int(data.get("total") or 0),
            has_more=bool(data.get("has_more", False)),
            current_page=int(data.get("current_page") or 0),
            page_count=int(data.get("page_count") or 0),
        )


_I = TypeVar("_I")


@dataclass
class Page(Generic[_I]):
    """One page of a listing. Iterating a page yields its items."""

    items: List[_I]
    paging: Paging

    def __iter__(self) -> Iterator[_I]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dict(self) -> Dict[str, Any]:
        """The canonical JSON form."""
        result: Dict[str, Any] = _jsonable(self, wire=False)
        return result


@dataclass(repr=False)
class ProviderAccount(_Model):
    """A provider account (pass ``id`` as ``provider_account_id``)."""

    id: str
    provider: str = ""
    active: bool = False
    tax_authority_approved_date: Optional[_dt.date] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> ProviderAccount:
        return cls(
            id=str(data.get("id", "")),
            provider=str(data.get("provider") or ""),
            active=bool(data.get("active", False)),
            tax_authority_approved_date=_date(data.get("tax_authority_approved_date")),
        )


@dataclass(repr=False)
class InvoiceTemplate(_Model):
    """A template and series usable with a provider account."""

    template_code: str
    invoice_series: str
    invoice_label: Optional[str] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> InvoiceTemplate:
        return cls(
            template_code=str(data.get("template_code", "")),
            invoice_series=str(data.get("invoice_series", "")),
            invoice_label=_str(data.get("invoice_label")),
        )


@dataclass(repr=False)
class ProviderAccountDetail(_Model):
    """A provider account with its templates."""

    id: str
    provider: str = ""
    active: bool = False
    tax_authority_approved_date: Optional[_dt.date] = None
    templates: List[InvoiceTemplate] = field(default_factory=list)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> ProviderAccountDetail:
        return cls(
            id=str(data.get("id", "")),
            provider=str(data.get("provider") or ""),
            active=bool(data.get("active", False)),
            tax_authority_approved_date=_date(data.get("tax_authority_approved_date")),
            templates=[InvoiceTemplate._from_json(t) for t in data.get("templates") or []],
        )


@dataclass(repr=False)
class InvoiceItem(_Model):
    """One line of an invoice as the API returns it."""

    line_number: Optional[int] = None
    line_type: Union[LineType, int, None] = None
    item_code: Optional[str] = None
    item_name: Optional[str] = None
    unit: Optional[str] = None
    quantity: Optional[Decimal] = None
    unit_price: Optional[Decimal] = None
    total_amount: Optional[Decimal] = None
    tax_rate: Optional[Decimal] = None
    tax_amount: Optional[Decimal] = None
    discount_amount: Optional[Decimal] = None
    discount_tax: Optional[Decimal] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> InvoiceItem:
        return cls(
            line_number=_int(data.get("line_number")),
            line_type=_enum(LineType, _int(data.get("line_type"))),
            item_code=_str(data.get("item_code")),
            item_name=_str(data.get("item_name")),
            unit=_str(data.get("unit")),
            quantity=_dec(data.get("quantity")),
            unit_price=_dec(data.get("unit_price")),
            total_amount=_dec(data.get("total_amount")),
            tax_rate=_dec(data.get("tax_rate")),
            tax_amount=_dec(data.get("tax_amount")),
            discount_amount=_dec(data.get("discount_amount")),
            discount_tax=_dec(data.get("discount_tax")),
        )


@dataclass(repr=False)
class Invoice(_Model):
    """An invoice. ``items`` is filled by ``get_invoice`` (and waits) only."""

    reference_code: str
    status: Union[InvoiceStatus, str] = ""
    invoice_number: Optional[str] = None
    issued_date: Optional[_dt.date] = None
    pdf_url: Optional[str] = None
    xml_url: Optional[str] = None
    buyer: Optional[Buyer] = None
    total_before_tax: Optional[Decimal] = None
    tax_amount: Optional[Decimal] = None
    total_amount: Optional[Decimal] = None
    notes: Optional[str] = None
    source: Union[Source, str, None] = None
    invoice_series: Optional[str] = None
    template_code: Optional[str] = None
    currency: Union[Currency, str, None] = None
    document_type: Optional[int] = None
    tax_authority_code: Optional[str] = None
    provider_status: Optional[str] = None
    payment_method: Union[PaymentMethod, str, None] = None
    items: List[InvoiceItem] = field(default_factory=list)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Invoice:
        buyer = data.get("buyer")
        return cls(
            reference_code=str(data.get("reference_code", "")),
            status=_enum(InvoiceStatus, data.get("status")) or "",
            invoice_number=_str(data.get("invoice_number")),
            issued_date=_date(data.get("issued_date")),
            pdf_url=_str(data.get("pdf_url")),
            xml_url=_str(data.get("xml_url")),
            buyer=None if buyer is None else Buyer._from_json(buyer),
            total_before_tax=_dec(data.get("total_before_tax")),
            tax_amount=_dec(data.get("tax_amount")),
            total_amount=_dec(data.get("total_amount")),
            notes=_str(data.get("notes")),
            source=_enum(Source, data.get("source")),
            invoice_series=_str(data.get("invoice_series")),
            template_code=_str(data.get("template_code")),
            currency=_enum(Currency, data.get("currency")),
            document_type=_int(data.get("document_type")),
            tax_authority_code=_str(data.get("tax_authority_code")),
            provider_status=_str(data.get("provider_status")),
            payment_method=_enum(PaymentMethod, data.get("payment_method")),
            items=[InvoiceItem._from_json(i) for i in data.get("items") or []],
        )


@dataclass(repr=False)
class Job(_Model):
    """A create or issue job. Plain data: store ``to_dict()`` (or pickle it) and resume with
    ``wait_for_status(Job.from_dict(saved))`` after a restart."""

    kind: Union[JobKind, str]
    reference_code: str
    tracking_code: Optional[str] = None
    tracking_url: Optional[str] = None
    message: Optional[str] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Job:
        return cls(
            kind=_enum(JobKind, data.get("kind")) or "",
            reference_code=str(data.get("reference_code", "")),
            tracking_code=_str(data.get("tracking_code")),
            tracking_url=_str(data.get("tracking_url")),
            message=_str(data.get("message")),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        """Rebuilds a stored job; the core checks it (a ``ValidationError`` names a bad field)."""
        return cls._from_json(_loads(_native.canonical_job(_dumps_at(dict(data), "job"))))


@dataclass(repr=False)
class JobStatus(_Model):
    """What a check says about a job (``to_dict()`` writes ``state`` as ``status``)."""

    state: Union[JobState, str]
    message: Optional[str] = None
    reference_code: Optional[str] = None
    invoice: Optional[Invoice] = None

    @property
    def is_terminal(self) -> bool:
        """Whether the job has finished (Success or Failed)."""
        return self.state in (JobState.SUCCESS, JobState.FAILED)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> JobStatus:
        inv = data.get("invoice")
        return cls(
            state=_enum(JobState, data.get("status", data.get("state"))) or "",
            message=_str(data.get("message")),
            reference_code=_str(data.get("reference_code")),
            invoice=None if inv is None else Invoice._from_json(inv),
        )


@dataclass(repr=False)
class Usage(_Model):
    """Remaining issuance quota."""

    quota_remaining: int

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Usage:
        return cls(quota_remaining=int(data.get("quota_remaining", 0)))


@dataclass(repr=False)
class InvoiceFile(_Model):
    """A downloaded invoice file (``content`` is the decoded bytes)."""

    file_type: Union[FileType, str]
    file_name: str
    content: bytes

    def __repr__(self) -> str:
        return (
            f"InvoiceFile(file_type={self.file_type!r}, file_name={self.file_name!r}, "
            f"content=<{len(self.content)} bytes>)"
        )

    def save(self, path: Optional[str] = None) -> str:
        """Writes the file (to ``file_name`` by default) and returns the path."""
        target = path or self.file_name
        with open(target, "wb") as f:
            f.write(self.content)
        return target

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> InvoiceFile:
        content = data.get("content", b"")
        if isinstance(content, str):
            content = base64.b64decode(content)
        return cls(
            file_type=_enum(FileType, data.get("file_type")) or "",
            file_name=str(data.get("file_name", "")),
            content=bytes(content),
        )


@dataclass(repr=False)
class LineTotal(_Model):
    """Amounts of one line in a totals preview."""

    line_number: int
    amount: Decimal
    tax_amount: Decimal

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> LineTotal:
        return cls(
            line_number=int(data.get("line_number", 0)),
            amount=_dec(data.get("amount")) or Decimal(0),
            tax_amount=_dec(data.get("tax_amount")) or Decimal(0),
        )


@dataclass(repr=False)
class Totals(_Model):
    """The local preview of what the API will compute for a create request."""

    lines: List[LineTotal]
    total_before_tax: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Totals:
        return cls(
            lines=[LineTotal._from_json(x) for x in data.get("lines") or []],
            total_before_tax=_dec(data.get("total_before_tax")) or Decimal(0),
            tax_amount=_dec(data.get("tax_amount")) or Decimal(0),
            total_amount=_dec(data.get("total_amount")) or Decimal(0),
        )


def _page(text: str, item: Any) -> Any:
    data = _loads(text)
    return Page(
        items=[item._from_json(i) for i in data.get("items") or []],
        paging=Paging._from_json(data.get("paging") or {}),
    )
