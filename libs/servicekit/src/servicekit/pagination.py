"""Cursor pagination (DESIGN.md §5): ``?limit=`` (<= 100) and an opaque ``?cursor=``; bodies are
``{items: [...], next_cursor}``. A cursor is the sort key of the last item, base64url JSON, so
pages stay stable while new rows arrive."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from servicekit.errors import ProblemError
from servicekit.i18n import register_messages

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ProblemError("invalid_cursor", 400) from exc
    if not isinstance(value, dict):
        raise ProblemError("invalid_cursor", 400)
    return value


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
