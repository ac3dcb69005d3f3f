"""Sliding-window rate limits in Redis, shared by every gateway replica.

A sliding log (a sorted set of request times per key) rather than fixed windows: at twice the
limit the accepted count stays at the limit whatever the window alignment, and the time until a
slot frees is exact, which makes `Retry-After` honest. Redis' own clock is used so replicas agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from fastapi import FastAPI
from redis.exceptions import RedisError

from gateway.config import LoginPolicy, Settings
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

# KEYS: the keys. ARGV[1]: a unique member; ARGV[2]: mode; then (limit, window_ms) per key.
# Modes: "admit" charges every key when all have room, "peek" charges nothing, "charge" charges
# regardless. Returns 0 when all have room, otherwise the milliseconds until a slot frees.
_SLIDING_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[2]
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local frees = tonumber(oldest[2]) + window - now
    if frees < 1 then frees = 1 end
    if frees > wait then wait = frees end
  end
end
if mode == "peek" or (mode == "admit" and wait > 0) then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2 * i + 2])
end
return wait
"""

# After Redis fails, stop asking it for this long: a dead Redis must not add a timeout to every
# request.
_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    limit: int
    window_seconds: float


class RateLimiterUnavailable(Exception):
    """Redis could not be asked; the caller decides between failing open and closed."""


class RateLimiter:
    """Checks are batched: every check asked for in one turn of the event loop goes to Redis in
    one pipeline (one round trip, one pooled connection), which under load costs a fraction of a
    round trip per request. Redis still applies each script atomically, in order."""

    def __init__(self, redis: aioredis.Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self.redis = redis
        self.prefix = prefix
        self._down_until = 0.0
        self._pending: list[tuple[list[str], list[str | int], asyncio.Future[int]]] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def check(self, limits: Sequence[Limit]) -> float:
        """Charge one request to every limit if all admit it. Returns 0.0 when admitted, otherwise
        the seconds until the tightest one frees a slot. Raises RateLimiterUnavailable."""
        return await self._run(limits, "admit")

    async def peek(self, limits: Sequence[Limit]) -> float:
        """Like check, without charging anything."""
        return await self._run(limits, "peek")

    async def charge(self, limits: Sequence[Limit]) -> None:
        """Record one event against every limit (e.g. a failed login) whether or not it fits."""
        await self._run(limits, "charge")

    async def _run(self, limits: Sequence[Limit], mode: str) -> float:
        if not limits:
            return 0.0
        if time.monotonic() < self._down_until:
            raise RateLimiterUnavailable
        args: list[str | int] = [uuid.uuid4().hex, mode]
        for limit in limits:
            args.extend((limit.limit, max(1, int(limit.window_seconds * 1000))))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._pending.append(([self._prefix + limit.key for limit in limits], args, future))
        if len(self._pending) == 1:
            loop.call_soon(self._start_flush)
        try:
            wait_ms = await future
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + _BACKOFF_SECONDS
            log.warning("rate_limiter_unavailable", error=type(exc).__name__)
            raise RateLimiterUnavailable from exc
        return float(wait_ms) / 1000.0

    def _start_flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[list[str], list[str | int], asyncio.Future[int]]]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for keys, args, _ in batch:
                    # EVAL rather than EVALSHA: Redis caches the compiled script either way, and
                    # a restarted Redis can never answer NOSCRIPT.
                    pipe.eval(_SLIDING_LOG, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RedisError("cancelled"))
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(int(result))


# Sign-in throttling (README "Sign-in throttling"). KEYS[1]: attempts at one phone from one
# address (a hash: n, last), KEYS[2]: attempts at one phone from any address (a sliding log).
# ARGV: mode, member, free, base_ms, max_ms, memory_ms, phone_limit, phone_window_ms.
# "attempt" checks and, when admitted, charges both keys in the same step (so parallel guesses
# cannot all pass before the first failure is written) and returns 0, else the milliseconds to
# wait. "success" forgets the pair's attempts and takes this attempt off the phone's log;
# "release" takes back an attempt that was neither a success nor a wrong password.
_LOGIN_GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[1]
if mode == 'success' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
if mode == 'release' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
local free = tonumber(ARGV[3])
local base = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local memory = tonumber(ARGV[6])
local limit = tonumber(ARGV[7])
local window = tonumber(ARGV[8])
local wait = 0
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n >= free then
  local delay = math.min(base * 2 ^ math.min(n - free, 40), max)
  local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
  wait = last + delay - now
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[2])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[2], count - limit, count - limit, 'WITHSCORES')
  local frees = tonumber(oldest[2]) + window - now
  if frees > wait then wait = frees end
end
if wait > 0 then return math.ceil(wait) end
redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'last', now)
redis.call('PEXPIRE', KEYS[1], memory)
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[2], window)
return 0
"""


class LoginGate:
    """One sign-in attempt at one phone from one address: `attempt()` before checking the
    password, then `succeeded()` or `released()`; a wrong password needs nothing more, the
    attempt was charged when admitted. Not batched: sign-in is rare next to proxied traffic."""

    def __init__(self, limiter: RateLimiter, policy: LoginPolicy, *, phone: str, address: str) -> None:
        self._redis = limiter.redis
        self._keys = [
            f"{limiter.prefix}login-pair:{phone}:{address}",
            f"{limiter.prefix}login-phone:{phone}",
        ]
        self._policy = policy
        self._member = uuid.uuid4().hex

    async def _call(self, mode: str) -> float:
        try:
            wait_ms = await self._redis.eval(
                _LOGIN_GATE, 2, *self._keys, mode, self._member, *self._policy.arguments()
            )
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("rate_limiter_unavailable", error=type(exc).__name__)
            raise RateLimiterUnavailable from exc
        return float(wait_ms) / 1000.0

    async def attempt(self) -> float:
        """0.0 when admitted (and charged), else the seconds to wait. Raises RateLimiterUnavailable."""
        return await self._call("attempt")

    async def succeeded(self) -> None:
        with contextlib.suppress(RateLimiterUnavailable):
            await self._call("success")

    async def released(self) -> None:
        with contextlib.suppress(RateLimiterUnavailable):
            await self._call("release")


def retry_after_header(wait_seconds: float) -> str:
    return str(max(1, math.ceil(wait_seconds)))


@contextlib.asynccontextmanager
async def rate_limiter(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    # Its own client with short timeouts: the runtime's client may wait long on a dead Redis.
    client: aioredis.Redis = aioredis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
    )
    app.state.rate_limiter = RateLimiter(client, prefix=settings.redis_prefix + "rl:")
    try:
        yield {}
    finally:
        await client.aclose()
