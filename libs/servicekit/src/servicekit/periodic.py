"""One runner for periodic jobs (timeouts, deadlines, hotspots, SLA checks, photo sweeps).

``Periodic(name, interval, round)`` runs ``round()`` every ``interval`` seconds on a task of its
own: a failing round is logged (with its traceback) and the next one retries, so a database or
Redis hiccup never kills the loop; ``stop()`` (or leaving ``async with``) cancels the task and
waits for it. An interval of 0 or less never runs (tests drive the jobs themselves).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType

from servicekit.logging import get_logger

__all__ = ["Periodic"]

log = get_logger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        interval: float,
        round_: Callable[[], Awaitable[object]],
        *,
        at_start: bool = False,
    ) -> None:
        """``at_start``: the first round runs at once rather than after one interval."""
        self.name = name
        self.interval = interval
        self._round = round_
        self._at_start = at_start
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        if not self._at_start:
            await asyncio.sleep(self.interval)
        while True:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must survive a database or Redis hiccup
                log.warning("periodic_job_failed", job=self.name, error=repr(exc)[:300], exc_info=exc)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None and self.interval > 0:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Periodic:
        self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()
