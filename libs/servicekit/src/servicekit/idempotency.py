"""Idempotency-Key for creating endpoints (docs/architecture.md §5): the same key and body return the
original response; the same key with another body is 422.

The key row is claimed in the use case's own transaction, so the stored response and the created
object commit together. Two concurrent requests with one key serialise on the primary key: the
second waits for the first to commit, then replays its response.

One shape everywhere: the router declares the header as `IdempotencyKey` and hands the use case
`Keyed.of(key, body)`; the use case calls `keyed.claim(uow, scope=..., user_id=...)`, returns the
stored answer on a replay, and otherwise records its answer with `claim.record` before it commits.
A router never claims or records a key itself (tests/services/test_fitness.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.i18n import register_messages
from servicekit.tables import idempotency_keys

MAX_KEY_LENGTH = 200

# The header as every creating endpoint declares it.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="the same key and body return the original response",
    ),
]


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def fingerprint(body: Any) -> str:
    """A stable hash of a request body (pydantic dump or plain JSON data)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyClaim:
    scope: str
    user_id: uuid.UUID
    key: str

    async def record(self, uow: UnitOfWork, status: int, body: Any) -> None:
        """Store the response in the same transaction as the effect (call before commit)."""
        await uow.session.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.scope == self.scope,
                idempotency_keys.c.user_id == self.user_id,
                idempotency_keys.c.key == self.key,
            )
            .values(response_status=status, response_body=body)
        )


@dataclass(frozen=True)
class Keyed:
    """A creating request's Idempotency-Key as a router hands it to its use case: the key (None
    when the client sent none) and the fingerprint of the request body."""

    key: str | None
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, body: Any) -> Keyed:
        """``body``: the request model (dumped as JSON) or plain JSON data."""
        data = body.model_dump(mode="json") if hasattr(body, "model_dump") else body
        return cls(key, fingerprint(data))

    async def claim(
        self, uow: UnitOfWork, *, scope: str, user_id: uuid.UUID
    ) -> tuple[IdempotencyClaim | None, StoredResponse | None]:
        return await claim(
            uow, scope=scope, user_id=user_id, key=self.key, request_fingerprint=self.fingerprint
        )


async def claim(
    uow: UnitOfWork, *, scope: str, user_id: uuid.UUID, key: str | None, request_fingerprint: str
) -> tuple[IdempotencyClaim | None, StoredResponse | None]:
    """Claim ``key`` for this request. Returns (claim, None) for a first request, (None, stored)
    for a replay, and (None, None) when no key was sent."""
    if key is None:
        return None, None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError("idempotency_key_invalid", 422)
    inserted = await uow.session.execute(
        pg_insert(idempotency_keys)
        .values(scope=scope, user_id=user_id, key=key, request_fingerprint=request_fingerprint)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    if inserted.first() is not None:
        return IdempotencyClaim(scope, user_id, key), None
    row = (
        await uow.session.execute(
            select(
                idempotency_keys.c.request_fingerprint,
                idempotency_keys.c.response_status,
                idempotency_keys.c.response_body,
            ).where(
                idempotency_keys.c.scope == scope,
                idempotency_keys.c.user_id == user_id,
                idempotency_keys.c.key == key,
            )
        )
    ).one()
    if row.request_fingerprint != request_fingerprint:
        raise DomainError("idempotency_key_reused", 422)
    if row.response_status is None:
        # The first request failed without storing a response (it rolled back, so this row
        # would not exist) or is still running in a transaction we could not wait for.
        raise DomainError("idempotency_key_in_progress", 409)
    return None, StoredResponse(row.response_status, row.response_body)


register_messages(
    {
        "idempotency_key_reused": {
            "zh-CN": ("重复的请求标识", "该 Idempotency-Key 已用于内容不同的请求。"),
            "en": (
                "Idempotency key reused",
                "This Idempotency-Key was used for a different request.",
            ),
            "ko": ("중복된 요청 키", "이 Idempotency-Key는 다른 요청에 이미 사용되었습니다."),
        },
        "idempotency_key_invalid": {
            "zh-CN": ("请求标识无效", "Idempotency-Key 必须是 1 到 200 个可打印字符。"),
            "en": ("Invalid idempotency key", "Idempotency-Key must be 1 to 200 printable characters."),
            "ko": ("잘못된 요청 키", "Idempotency-Key는 1~200자의 출력 가능한 문자여야 합니다."),
        },
        "idempotency_key_in_progress": {
            "zh-CN": ("请求处理中", "相同标识的请求正在处理，请稍后重试。"),
            "en": ("Request in progress", "A request with this key is still being processed. Retry shortly."),
            "ko": ("요청 처리 중", "같은 키의 요청이 아직 처리 중입니다. 잠시 후 다시 시도해 주세요."),
        },
    }
)
