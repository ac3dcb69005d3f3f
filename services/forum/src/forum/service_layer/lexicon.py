"""A community's lexicon: the built-in one (forum.domain.lexicon) with the entries its office
added (committee and admins edit them; managers, the committee and mediators read them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from forum.adapters.tables import lexicon_entries
from forum.domain.lexicon import DEFAULT_LEXICON, Entry, EntryKind, Lexicon, valid_word
from forum.service_layer.common import Actor
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound


async def community_lexicon(uow: UnitOfWork, community_id: uuid.UUID) -> Lexicon:
    rows = await uow.session.execute(
        select(lexicon_entries.c.word, lexicon_entries.c.kind, lexicon_entries.c.topic)
        .where(lexicon_entries.c.community_id == community_id)
        .order_by(lexicon_entries.c.created_at, lexicon_entries.c.word)
    )
    return DEFAULT_LEXICON.extended(Entry(word, EntryKind(kind), topic) for word, kind, topic in rows)


def _entry_view(row: Any) -> dict[str, Any]:
    return {
        "word": row.word,
        "kind": row.kind,
        "topic": row.topic,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


async def get_lexicon(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The community's entries and the topics it hears (built-in ones with its additions)."""
    rows = (
        await uow.session.execute(
            select(lexicon_entries)
            .where(lexicon_entries.c.community_id == actor.community_id)
            .order_by(lexicon_entries.c.created_at, lexicon_entries.c.word)
        )
    ).all()
    lexicon = DEFAULT_LEXICON.extended(Entry(r.word, EntryKind(r.kind), r.topic) for r in rows)
    return {
        "entries": [_entry_view(r) for r in rows],
        "topics": [
            {"name": name, "synonyms": list(synonyms), "related": list(related)}
            for name, (synonyms, related) in lexicon.topics.items()
        ],
        "typos": [{"word": word, "meant": meant} for word, meant in sorted(lexicon.typos.items())],
        "stop_words": sorted(lexicon.stopwords),
    }


async def put_entry(
    uow: UnitOfWork, actor: Actor, *, word: str, kind: EntryKind, topic: str | None, now: datetime
) -> dict[str, Any]:
    """Add or change the community's entry for `word` (one entry per word)."""
    if not valid_word(word):
        raise DomainError("lexicon_word_invalid", 422)
    if kind is EntryKind.STOP:
        topic = None
    elif not topic:
        raise DomainError("lexicon_topic_required", 422)
    elif not valid_word(topic):
        raise DomainError("lexicon_word_invalid", 422)
    values = {"word": word, "kind": kind.value, "topic": topic, "created_by": actor.id, "created_at": now}
    statement = pg_insert(lexicon_entries).values(community_id=actor.community_id, **values)
    row = (
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["community_id", "word"],
                set_={k: statement.excluded[k] for k in ("kind", "topic", "created_by", "created_at")},
            ).returning(lexicon_entries)
        )
    ).one()
    await uow.commit()
    return _entry_view(row)


async def delete_entry(uow: UnitOfWork, actor: Actor, word: str) -> None:
    removed = (
        await uow.session.execute(
            delete(lexicon_entries)
            .where(lexicon_entries.c.community_id == actor.community_id, lexicon_entries.c.word == word)
            .returning(lexicon_entries.c.word)
        )
    ).first()
    if removed is None:
        raise NotFound()
    await uow.commit()
