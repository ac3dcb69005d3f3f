"""What every use case needs: who is acting (with the forum's projections), the clock, notices
and the Redis guards."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis.asyncio as aioredis
from sqlalchemy import Select, and_, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from forum.adapters.tables import households, mediators, members, notices
from forum.domain.errors import DomainError
from forum.domain.moderation import Member, normalise, trust_level
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.pagination import TimeIdCursor, encode_cursor, read_cursor

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """The caller as the forum sees them: token facts plus the forum's own projections
    (mediator role and verified household from gateway events, trust from the forum)."""

    user: CurrentUser
    is_mediator: bool
    household_id: uuid.UUID | None
    household_building: str | None
    trust: int
    first_seen_at: datetime

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def community_id(self) -> uuid.UUID:
        return self.user.community_id

    @property
    def is_moderator(self) -> bool:
        """Who works the moderation queue and sees hidden posts: mediators and admins."""
        return self.is_mediator or "admin" in self.user.roles

    @property
    def is_manager(self) -> bool:
        return self.user.has_any("property_manager", "admin")

    @property
    def is_committee(self) -> bool:
        return self.user.has_any("committee", "admin")

    @property
    def is_staff(self) -> bool:
        return self.is_mediator or self.user.has_any("property_manager", "committee", "admin")


async def load_actor(uow: UnitOfWork, user: CurrentUser, now: datetime) -> Actor:
    session = uow.session
    await session.execute(
        pg_insert(members)
        .values(community_id=user.community_id, user_id=user.id, first_seen_at=now)
        .on_conflict_do_nothing()
    )
    member = (
        await session.execute(
            select(members).where(members.c.community_id == user.community_id, members.c.user_id == user.id)
        )
    ).one()
    household = (
        await session.execute(
            select(households.c.household_id, households.c.building).where(
                households.c.community_id == user.community_id, households.c.user_id == user.id
            )
        )
    ).first()
    is_mediator = (
        await session.execute(
            select(mediators.c.user_id).where(
                mediators.c.community_id == user.community_id, mediators.c.user_id == user.id
            )
        )
    ).first() is not None
    actor_without_trust = Actor(
        user, is_mediator, household[0] if household else None, household[1] if household else None, 0, now
    )
    trust = trust_level(
        Member(
            first_seen_at=member.first_seen_at,
            verified_household=household is not None,
            staff=actor_without_trust.is_staff,
            visible_posts=member.visible_posts,
            flags_upheld=member.flags_upheld,
            flags_overturned=member.flags_overturned,
        ),
        now,
    )
    return Actor(
        user,
        is_mediator,
        actor_without_trust.household_id,
        actor_without_trust.household_building,
        trust,
        member.first_seen_at,
    )


_Row = TypeVar("_Row")

# Stores the response of a creating request under its Idempotency-Key; the use case calls it
# right before it commits, so the key, the effect and the response commit together.
BeforeCommit = Callable[[int, dict[str, Any]], Awaitable[None]]


async def commit_created(
    uow: UnitOfWork, status: int, response: dict[str, Any], before_commit: BeforeCommit | None
) -> dict[str, Any]:
    if before_commit is not None:
        await before_commit(status, response)
    await uow.commit()
    return response


def newest_first(
    query: Select[Any],
    *,
    key: ColumnElement[Any],
    id_column: ColumnElement[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Keyset pagination, newest first: rows after the cursor's (key, id), one more than a page so
    `page_of` knows whether another page follows."""
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


async def notify(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    detail: dict[str, Any],
    thread_id: uuid.UUID | None = None,
    post_id: uuid.UUID | None = None,
) -> None:
    await uow.session.execute(
        insert(notices).values(
            id=uuid.uuid4(),
            community_id=community_id,
            user_id=user_id,
            kind=kind,
            thread_id=thread_id,
            post_id=post_id,
            detail=detail,
        )
    )


class PostingGuard:
    """Rate and duplicate limits in Redis: a fixed one-minute window per member, and a
    fingerprint of each normalised text kept for a while (SET NX), so the same text posted again
    by the same member is refused."""

    def __init__(
        self, redis: aioredis.Redis, *, prefix: str, per_minute: int, duplicate_seconds: int
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._per_minute = per_minute
        self._duplicate_seconds = duplicate_seconds

    async def check(self, community_id: uuid.UUID, user_id: uuid.UUID, text: str, now: datetime) -> None:
        minute = int(now.timestamp() // 60)
        key = f"{self._prefix}rate:{community_id}:{user_id}:{minute}"
        count = await self._redis.incr(key)
        if count == 1:
            await self._redis.expire(key, 120)
        if count > self._per_minute:
            retry = 60 - int(now.timestamp()) % 60
            raise DomainError("posting_too_fast", 429, {"retry_after": retry})
        digest = hashlib.sha256(normalise(text).encode()).hexdigest()[:32]
        fresh = await self._redis.set(
            f"{self._prefix}dup:{community_id}:{user_id}:{digest}", "1", nx=True, ex=self._duplicate_seconds
        )
        if not fresh:
            raise DomainError("duplicate_post", 409)
