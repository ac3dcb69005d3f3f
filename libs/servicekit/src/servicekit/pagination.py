"""Cursor pagination (docs/architecture.md §5): ``?limit=`` (<= 100) and an opaque ``?cursor=``; bodies are
``{items: [...], next_cursor}``. A cursor is the sort key of the last item, base64url JSON, so
pages stay stable while new rows arrive.

Newest-first lists by (time, id), the common case, are one pair of helpers used by every service:
``newest_first(query, key=..., id_column=..., cursor=..., limit=...)`` narrows and orders the query
(one row more than a page), ``page_of(rows, limit, position)`` cuts the page and encodes the next
cursor (a :class:`TimeIdCursor`)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from servicekit.domain import DomainError
from servicekit.i18n import register_messages
from servicekit.text import Text

T = TypeVar("T")
_Row = TypeVar("_Row")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_bytes(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
    except (binascii.Error, ValueError) as exc:
        raise DomainError("invalid_cursor", 400) from exc


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The cursor as a dict, or 400 ``invalid_cursor``. Prefer :func:`read_cursor`, which also
    checks the shape of what is inside."""
    if not cursor:
        return None
    try:
        value = json.loads(_cursor_bytes(cursor))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise DomainError("invalid_cursor", 400) from exc
    if not isinstance(value, dict):
        raise DomainError("invalid_cursor", 400)
    return value


class CursorModel(BaseModel):
    """The expected shape of a cursor. Read with :func:`read_cursor`: strict JSON types (an id
    that is a number, list or object is refused, not coerced) and no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


C = TypeVar("C", bound=CursorModel)


def read_cursor(cursor: str | None, model: type[C]) -> C | None:
    """The cursor decoded into ``model``, None without one; anything that does not decode to
    exactly that shape is 400 ``invalid_cursor``, never an error further down (a 500)."""
    if not cursor:
        return None
    try:
        return model.model_validate_json(_cursor_bytes(cursor))
    except (ValidationError, ValueError, RecursionError) as exc:
        raise DomainError("invalid_cursor", 400) from exc


def _comparable_in_utc(value: datetime) -> datetime:
    # Aware, and representable in UTC (year 1 at +14:00 is not: the database driver would fail).
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc


CursorTime = Annotated[AwareDatetime, AfterValidator(_comparable_in_utc)]
CursorText = Annotated[Text, StringConstraints(max_length=512)]
CursorInt = Annotated[int, Field(gt=0, lt=2**63)]  # a bigint key
CursorOffset = Annotated[int, Field(ge=0, le=1_000_000)]


class TimeIdCursor(CursorModel):
    """The common keyset position: a timestamp and the row's id as tie-breaker."""

    at: CursorTime
    id: uuid.UUID


def newest_first(
    query: Select[Any],
    *,
    key: ColumnElement[Any],
    id_column: ColumnElement[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Keyset pagination, newest first: rows after the cursor's (key, id), one more than a page so
    :func:`page_of` knows whether another page follows."""
    position = read_cursor(cursor, TimeIdCursor)  # 400 invalid_cursor for anything else
    if position is not None:
        at, last_id = position.at, position.id
        query = query.where(or_(key < at, and_(key == at, id_column < last_id)))
    return query.order_by(key.desc(), id_column.desc()).limit(limit + 1)


def page_of(
    rows: Sequence[_Row], limit: int, position: Callable[[_Row], tuple[datetime, uuid.UUID]]
) -> tuple[Sequence[_Row], str | None]:
    """The page's rows and the cursor of the next page (None on the last)."""
    if len(rows) <= limit:
        return rows, None
    at, last_id = position(rows[limit - 1])
    return rows[:limit], encode_cursor({"at": at.isoformat(), "id": str(last_id)})


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 100")]
Cursor = Annotated[str | None, Query(max_length=512, description="opaque cursor from next_cursor")]

register_messages(
    {
        "invalid_cursor": {
            "zh-CN": ("分页参数无效", "cursor 参数无效，请从第一页重新获取。"),
            "en": ("Invalid cursor", "The cursor is not valid. Start again from the first page."),
            "ko": ("잘못된 커서", "cursor 값이 올바르지 않습니다. 첫 페이지부터 다시 요청해 주세요."),
        }
    }
)
