"""What every use case needs: who is acting (with the forum's projections), the clock, notices
and the posting limits."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from forum.adapters.tables import households, mediators, members, notices, people, post_fingerprints
from forum.domain.moderation import Member, normalise, trust_level
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.people import require_members

Clock = Callable[[], datetime]


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


async def require_community_members(uow: UnitOfWork, actor: Actor, user_ids: Sequence[uuid.UUID]) -> None:
    """Every user id a request names must be a person of the actor's community (learned from the
    gateway's events, seen here with a token of the community, a verified household or a mediator
    there), else 422 `user_not_in_community`."""
    await require_members(uow.session, actor.community_id, user_ids, people, members, households, mediators)


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
    """The posting limits, checked inside the posting transaction so that they commit or roll back
    with the post: a post that fails (a crash, a refused mention, a failed commit) leaves nothing
    that would refuse its retry.

    A fingerprint row per member and normalised text: inserting it claims the text for the
    duplicate window; an existing row younger than the window is a duplicate (409). Two concurrent
    posts of the same text serialise on the primary key: the second waits for the first and sees
    its row if it committed, or inserts its own if it rolled back. The member's fingerprints of the
    current minute are their posts of that minute (at most `per_minute`, else 429); a transaction
    lock per member serialises one member's posts so that concurrent ones cannot overshoot.
    """

    def __init__(self, *, per_minute: int, duplicate_seconds: int) -> None:
        self._per_minute = per_minute
        self._duplicate = timedelta(seconds=duplicate_seconds)

    async def check(
        self, uow: UnitOfWork, community_id: uuid.UUID, user_id: uuid.UUID, text: str, now: datetime
    ) -> None:
        session = uow.session
        await session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended(f"forum.post:{community_id}:{user_id}", 0))
            )
        )
        minute_start = now.replace(second=0, microsecond=0)
        posted_this_minute = (
            await session.execute(
                select(func.count())
                .select_from(post_fingerprints)
                .where(
                    post_fingerprints.c.community_id == community_id,
                    post_fingerprints.c.user_id == user_id,
                    post_fingerprints.c.posted_at >= minute_start,
                )
            )
        ).scalar_one()
        if posted_this_minute >= self._per_minute:
            retry = 60 - int(now.timestamp()) % 60
            raise DomainError("posting_too_fast", 429, retry_after=retry)
        digest = hashlib.sha256(normalise(text).encode()).hexdigest()
        statement = pg_insert(post_fingerprints).values(
            community_id=community_id, user_id=user_id, digest=digest, posted_at=now
        )
        claimed = (
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["community_id", "user_id", "digest"],
                    set_={"posted_at": statement.excluded.posted_at},
                    where=post_fingerprints.c.posted_at <= now - self._duplicate,
                ).returning(post_fingerprints.c.digest)
            )
        ).first()
        if claimed is None:
            raise DomainError("duplicate_post", 409)

    async def forget_expired(self, uow: UnitOfWork, now: datetime) -> int:
        """Drop fingerprints older than the duplicate window (and the minute): they refuse nothing."""
        horizon = now - max(self._duplicate, timedelta(minutes=1))
        deleted = await uow.session.execute(
            delete(post_fingerprints)
            .where(post_fingerprints.c.posted_at < horizon)
            .returning(post_fingerprints.c.digest)
        )
        count = len(deleted.all())
        await uow.commit()
        return count
