"""servicekit.periodic.Periodic: the one loop behind every service's periodic jobs."""

from __future__ import annotations

import asyncio

from servicekit.periodic import Periodic


async def test_rounds_repeat_and_a_failing_round_does_not_stop_the_loop() -> None:
    rounds: list[int] = []
    third = asyncio.Event()

    async def round_() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise RuntimeError("the database blinked")

    async with Periodic("test", 0.001, round_, at_start=True) as periodic:
        await asyncio.wait_for(third.wait(), timeout=30)
    assert rounds[:3] == [0, 1, 2]
    assert periodic._task is None  # stopped on leaving the block
    count = len(rounds)
    await asyncio.sleep(0.01)
    assert len(rounds) == count  # and no round runs after


async def test_no_interval_never_runs() -> None:
    ran: list[bool] = []

    async def round_() -> None:
        ran.append(True)

    async with Periodic("off", 0, round_, at_start=True):
        await asyncio.sleep(0.01)
    assert ran == []
