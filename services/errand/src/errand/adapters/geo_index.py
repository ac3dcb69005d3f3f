"""Redis: courier presence and the index of open orders by location (GEO sets).

The feed is one server-side script, one round trip, no PostgreSQL: the courier's last location,
then for the two GEO sets of the community (orders of elderly-alone households first, then the
rest) a GEOSEARCH nearest first, then the coarse cards. A GEOSEARCH costs what its circle holds,
and a 500 m circle in a busy community holds thousands of open orders, so the search widens in
rings (100 m, 200 m, 350 m, then the full radius) and stops at the first ring that fills the
page: the nearest `limit` orders inside a smaller circle are the nearest inside the larger one,
so the answer is the same as one search of the whole radius. PostgreSQL stays the truth:
`accept` re-checks the row, and the index is rebuilt from it at start-up.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis.asyncio as aioredis

FEED_SCRIPT = """
local location = redis.call('GET', KEYS[4])
if not location then
  return false
end
local sep = string.find(location, ',', 1, true)
local lat, lng = string.sub(location, 1, sep - 1), string.sub(location, sep + 1)
local radius, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local cards, found = {}, 0
for group = 1, 2 do
  if found >= limit then
    break
  end
  local want = limit - found
  local hits = {}
  for i = 3, #ARGV do
    local ring = math.min(tonumber(ARGV[i]), radius)
    hits = redis.call('GEOSEARCH', KEYS[group], 'FROMLONLAT', lng, lat, 'BYRADIUS', ring, 'm', 'ASC',
                      'COUNT', want, 'WITHDIST')
    if #hits >= want or ring >= radius then
      break
    end
  end
  for _, hit in ipairs(hits) do
    local card = redis.call('HGET', KEYS[3], hit[1])
    if card then
      -- the stored card is a compact JSON object: add the distance before its closing brace
      local metres = math.floor(tonumber(hit[2]) + 0.5)
      cards[#cards + 1] = string.sub(card, 1, -2) .. ',"distance_m":' .. metres .. '}'
      found = found + 1
    end
  end
end
return '[' .. table.concat(cards, ',') .. ']'
"""

# Radii the feed tries before the full one (metres); see the module docstring.
FEED_RINGS_M = (100, 200, 350)


class GeoIndex:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._feed = redis.register_script(FEED_SCRIPT)

    # -- keys --------------------------------------------------------------------------------------
    def _open(self, community_id: uuid.UUID, elderly: bool) -> str:
        return f"{self.prefix}:open:{community_id}:{'elderly' if elderly else 'normal'}"

    def _cards(self, community_id: uuid.UUID) -> str:
        return f"{self.prefix}:cards:{community_id}"

    def _couriers(self, community_id: uuid.UUID) -> str:
        return f"{self.prefix}:couriers:{community_id}"

    def _online(self, community_id: uuid.UUID, courier_id: uuid.UUID) -> str:
        return f"{self.prefix}:online:{community_id}:{courier_id}"

    # -- open orders -------------------------------------------------------------------------------
    async def add_open(
        self,
        community_id: uuid.UUID,
        order_id: uuid.UUID,
        *,
        lat: float,
        lng: float,
        elderly: bool,
        card: dict[str, Any],
    ) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.geoadd(self._open(community_id, elderly), (lng, lat, str(order_id)))
            pipe.hset(self._cards(community_id), str(order_id), json.dumps(card, separators=(",", ":")))
            await pipe.execute()

    async def add_open_many(
        self, community_id: uuid.UUID, entries: list[tuple[uuid.UUID, float, float, bool, dict[str, Any]]]
    ) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for order_id, lat, lng, elderly, card in entries:
                pipe.geoadd(self._open(community_id, elderly), (lng, lat, str(order_id)))
                pipe.hset(self._cards(community_id), str(order_id), json.dumps(card, separators=(",", ":")))
            await pipe.execute()

    async def remove_open(self, community_id: uuid.UUID, order_id: uuid.UUID) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._open(community_id, True), str(order_id))
            pipe.zrem(self._open(community_id, False), str(order_id))
            pipe.hdel(self._cards(community_id), str(order_id))
            await pipe.execute()

    async def clear_open(self, community_ids: set[uuid.UUID]) -> None:
        keys = [k for c in community_ids for k in (self._open(c, True), self._open(c, False), self._cards(c))]
        if keys:
            await self.redis.delete(*keys)

    async def indexed_orders(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(community, order) for every order in the index, across communities."""
        found: list[tuple[uuid.UUID, uuid.UUID]] = []
        async for key in self.redis.scan_iter(match=f"{self.prefix}:cards:*", count=500):
            community_id = uuid.UUID(str(key).rsplit(":", 1)[1])
            found.extend((community_id, uuid.UUID(str(order_id))) for order_id in await self.redis.hkeys(key))
        return found

    async def feed(
        self, community_id: uuid.UUID, courier_id: uuid.UUID, *, radius_m: float, limit: int
    ) -> list[dict[str, Any]] | None:
        """Coarse cards of the open orders around the courier's last location (each with its
        `distance_m`), elderly-alone households' first, each group nearest first; None when the
        courier is offline. The script answers one JSON array, parsed once."""
        reply = await self._feed(
            keys=[
                self._open(community_id, True),
                self._open(community_id, False),
                self._cards(community_id),
                self._online(community_id, courier_id),
            ],
            args=[radius_m, limit, *FEED_RINGS_M, radius_m],
        )
        if reply is None:
            return None
        cards: list[dict[str, Any]] = json.loads(reply)
        return cards

    # -- presence ----------------------------------------------------------------------------------
    async def set_online(
        self, community_id: uuid.UUID, courier_id: uuid.UUID, *, lat: float, lng: float, ttl_seconds: int
    ) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.geoadd(self._couriers(community_id), (lng, lat, str(courier_id)))
            pipe.set(self._online(community_id, courier_id), f"{lat},{lng}", ex=ttl_seconds)
            await pipe.execute()

    async def set_offline(self, community_id: uuid.UUID, courier_id: uuid.UUID) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._couriers(community_id), str(courier_id))
            pipe.delete(self._online(community_id, courier_id))
            await pipe.execute()

    async def location(self, community_id: uuid.UUID, courier_id: uuid.UUID) -> tuple[float, float] | None:
        """The courier's last location while online (the presence key expires without heartbeats)."""
        value = await self.redis.get(self._online(community_id, courier_id))
        if value is None:
            return None
        lat, _, lng = str(value).partition(",")
        return float(lat), float(lng)

    async def online_count(self, community_id: uuid.UUID) -> int:
        return int(await self.redis.zcard(self._couriers(community_id)))
