"""Two forum replicas on one database run their job round at the same moment: the burst is found
and announced once (hotspot detection is an exclusive round, servicekit.db.exclusive_round), and a
deliberation window that ends is closed once (row locks)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from contracts import HotspotDetectedV1
from forum.adapters.tables import hotspots, keyword_mentions
from forum.main import create_app as create_forum_app
from servicekit.db import exclusive_round
from servicekit.testing import new_namespace
from tests.forum.helpers import EventTap, Forum, eventually, publish_envelopes, running_forum
from tests.forum.test_escalation_and_hotspots import _post

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def test_two_replicas_announce_one_burst_once(forum: Forum) -> None:
    community = uuid.uuid4()
    now = forum.clock()
    envelopes = [_post(community, "5号楼", "电梯又坏了困人", now - timedelta(minutes=n)) for n in range(8)]
    envelopes += [_post(community, "5号楼", "电梯有点响", now - timedelta(days=d)) for d in range(35, 3, -7)]
    await publish_envelopes(forum.settings, envelopes)

    async def counted() -> bool:
        async with forum.app.state.runtime.uow() as uow:
            rows = await uow.session.execute(
                select(func.count()).where(keyword_mentions.c.community_id == community)
            )
            return rows.scalar_one() >= len(envelopes)

    await eventually(counted, what="mentions counted")
    # The second replica: the same service, its own process state, the same database and queue.
    second = create_forum_app(forum.settings)
    async with LifespanManager(second), EventTap(forum.settings, HotspotDetectedV1.event_type) as tap:
        rounds = await asyncio.gather(
            *(app.state.jobs.run_once(now) for app in (forum.app, second) for _ in range(3))
        )

        async def announced() -> bool:
            return any(
                e.payload["community_id"] == str(community) for e in tap.of(HotspotDetectedV1.event_type)
            )

        await eventually(announced, what="the hotspot event")
        await asyncio.sleep(1.0)  # a second announcement would have followed by now
    mine = [e for e in tap.of(HotspotDetectedV1.event_type) if e.payload["community_id"] == str(community)]
    assert len(mine) == 1
    assert sum(len(r["hotspots"]) for r in rounds) >= 1
    async with forum.app.state.runtime.uow() as uow:
        stored = (
            await uow.session.execute(select(func.count()).where(hotspots.c.community_id == community))
        ).scalar_one()
    assert stored == 1


async def test_an_exclusive_round_is_held_by_one_replica_at_a_time(forum: Forum) -> None:
    uows = forum.app.state.runtime.uow
    async with (
        exclusive_round(uows, "test.round") as first,
        exclusive_round(uows, "test.round") as second,
        exclusive_round(uows, "test.other") as other,
    ):
        assert (first, second, other) == (True, False, True)
    async with exclusive_round(uows, "test.round") as again:
        assert again is True  # let go at the end of the round
