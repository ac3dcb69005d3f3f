"""What the use cases need besides a unit of work: settings, the Redis index and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from errand.adapters.geo_index import GeoIndex
from errand.config import Settings
from servicekit.clock import Clock, system_clock


@dataclass(frozen=True)
class ErrandContext:
    settings: Settings
    index: GeoIndex
    clock: Clock = system_clock

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.community_timezone)

    def now(self) -> datetime:
        return self.clock()
