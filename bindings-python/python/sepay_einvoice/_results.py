"""Results that are not plain JSON models, hand-written: a page of a listing (generic over its
items) and a downloaded file (bytes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Dict, Generic, Iterator, List, Mapping, Optional, TypeVar, Union

from ._model_base import _Model, _enum, _jsonable, _loads
from ._models import FileType, Paging

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


def _page(text: str, item: Any) -> Any:
    data = _loads(text)
    return Page(
        items=[item._from_json(i) for i in data.get("items") or []],
        paging=Paging._from_json(data.get("paging") or {}),
    )
