"""The community lexicon that early warning and search share: topics, synonyms, related words,
typos and stop words the office adds to the built-in ones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from forum.api.answers import LexiconEntryOut, LexiconOut
from forum.api.deps import CommitteeContext, HotspotViewerContext, named
from forum.api.types import Label
from forum.domain.lexicon import EntryKind
from forum.service_layer import lexicon as cases

router = APIRouter(prefix="/api/v1/forum/lexicon", tags=["lexicon"])


class NewEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    word: Label
    kind: EntryKind
    topic: Label | None = None


@router.get("", response_model=LexiconOut)
@named
async def get_lexicon(ctx: HotspotViewerContext) -> dict[str, Any]:
    """Built-in topics with this community's additions, its entries, typos and stop words."""
    return await cases.get_lexicon(ctx.uow, ctx.actor)


@router.put("/entries", response_model=LexiconEntryOut)
@named
async def put_entry(body: NewEntry, ctx: CommitteeContext) -> dict[str, Any]:
    """Add or change the entry for a word (committee and admins): `synonym` of a topic (searches
    and hotspots), `related` to a topic (hotspots), `typo` for the word meant, `stop` (never a
    hotspot)."""
    return await cases.put_entry(
        ctx.uow, ctx.actor, word=body.word, kind=body.kind, topic=body.topic, now=ctx.now
    )


@router.delete("/entries/{word}", status_code=204)
@named
async def delete_entry(word: str, ctx: CommitteeContext) -> Response:
    await cases.delete_entry(ctx.uow, ctx.actor, word)
    return Response(status_code=204)
