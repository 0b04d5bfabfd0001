"""The hand-written part of the typed objects: conversion to and from JSON, the shared
behaviour of every model (``to_dict``, ``from_dict``, a ``repr`` that masks buyer personal
data), and what needs judgement per class (the reference-code memory of a ``CreateInvoice``,
pickling, ``Job.from_dict``, ``JobStatus.is_terminal``, ``Preflight.ok``). ``Page`` and ``InvoiceFile`` are in
``_results.py``. The data classes
themselves (fields, types, defaults, decoders) are generated into ``_models.py`` from the Rust
model by ``make generate``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import json
from decimal import Decimal
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
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

if TYPE_CHECKING:
    from ._models import Buyer, JobState, LineItem, Problem


#: What a money or quantity field accepts: ``int``, ``Decimal``, ``str`` (a ``float`` is read
#: through its shortest repr by the core; NaN and infinity are rejected).
Money = Union[int, Decimal, str, float]

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


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


def _nested(cls: Type[_T], value: Any) -> Optional[_T]:
    """An optional nested object: ``None`` stays ``None``."""
    if value is None:
        return None
    result: _T = cls._from_json(value)  # type: ignore[attr-defined]
    return result


def _mask(value: Optional[str]) -> Optional[str]:
    return None if value is None else _native.mask(value)


# ---------------------------------------------------------------------------------------------
# JSON conversion.
# ---------------------------------------------------------------------------------------------

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
        renames: Mapping[str, str] = getattr(type(value), "_wire_names", {})
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


#: The default of a field whose value is made per object (a list, a nested object) in the
#: generated ``__init__`` methods. A bare ``object()``: the marker type type checkers and
#: ``mypy.stubtest`` recognise.
_FACTORY: Any = object()

#: The field names of each model class, in order (what ``__eq__`` compares).
_FIELD_NAMES: Dict[type, Tuple[str, ...]] = {}


class _Model:
    """Shared behaviour of the typed objects: ``to_dict()``, ``from_dict()``, ``==`` and a
    ``repr`` that leaves out empty fields and masks buyer personal data."""

    _masked: Tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        # The dataclass `__eq__`, written once for the generated classes (see `_models.py`):
        # same class, then every field in order.
        if other.__class__ is not self.__class__:
            return NotImplemented
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(self))  # type: ignore[arg-type]
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    # Mutable objects with a value `==` are not hashable (as dataclasses with eq=True).
    __hash__ = None  # type: ignore[assignment]

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
# Behaviour mixed into generated classes.
# ---------------------------------------------------------------------------------------------


class _CreateInvoiceMixin:
    """The reference-code memory of a request object, and pickling without it."""

    if TYPE_CHECKING:
        reference_code: Optional[str]
        provider_account_id: str
        template_code: str
        invoice_series: str
        issued_date: Union[str, _dt.datetime, _dt.date]
        is_draft: bool
        buyer: Union[Buyer, Mapping[str, Any]]
        items: Sequence[Union[LineItem, Mapping[str, Any]]]

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

    def _sent_reference(self) -> _native.SentReference:
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
        from ._models import Buyer

        buyer = self.buyer if isinstance(self.buyer, Buyer) else Buyer._from_json(self.buyer)
        return (
            f"CreateInvoice(reference_code={self.reference_code!r}, "
            f"provider_account_id={self.provider_account_id!r}, template_code={self.template_code!r}, "
            f"invoice_series={self.invoice_series!r}, issued_date={self.issued_date!r}, "
            f"is_draft={self.is_draft!r}, buyer={buyer!r}, items={list(self.items)!r})"
        )


class _JobMixin:
    """A stored job is checked by the core when read back."""

    @classmethod
    def from_dict(cls: Type[_T], data: Mapping[str, Any]) -> _T:
        """Rebuilds a stored job; the core checks it (a ``ValidationError`` names a bad field)."""
        text = _native.canonical_job(_dumps_at(dict(data), "job"))
        result: _T = cls._from_json(_loads(text))  # type: ignore[attr-defined]
        return result


class _JobStatusMixin:
    """Whether a job has finished."""

    if TYPE_CHECKING:
        state: Union[JobState, str]

    @property
    def is_terminal(self) -> bool:
        """Whether the job has finished (Success or Failed)."""
        from ._models import JobState

        return self.state in (JobState.SUCCESS, JobState.FAILED)


class _PreflightMixin:
    """A preflight's problems by severity (the core's ``Preflight::is_ok``, ``errors`` and
    ``warnings``)."""

    if TYPE_CHECKING:
        problems: List[Problem]

    @property
    def ok(self) -> bool:
        """Whether the request would be sent: no problem of severity error."""
        return not self.errors

    @property
    def errors(self) -> List[Problem]:
        """The problems that stop the request."""
        from ._models import Severity

        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> List[Problem]:
        """The problems that do not stop it."""
        from ._models import Severity

        return [p for p in self.problems if p.severity == Severity.WARNING]
