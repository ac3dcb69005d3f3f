"""Who the caller is at the edge: bearer tokens verified once and cached until they expire, and
rights that follow changes at once (a token older than the user's last change is forwarded
re-minted; a deleted account's token is refused)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from redis.exceptions import RedisError
from starlette.types import Scope

from gateway.adapters.rights import DELETED, RightsBoard
from gateway.config import Settings
from gateway.service_layer.accounts import current_claims
from servicekit.auth import CurrentUser, TokenVerifier
from servicekit.errors import ProblemError
from servicekit.logging import get_logger
from servicekit.tokens import TokenSigner

log = get_logger(__name__)

_TOKEN_CACHE_SIZE = 10_000


_RIGHTS_CACHE_SIZE = 50_000


# After Redis fails, the rights mirror is not asked for this long (tokens are taken as they are).
_RIGHTS_BACKOFF_SECONDS = 1.0


_DELETED_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="weilinli", error="invalid_token"'}


@dataclass(slots=True)
class Verified:
    """A verified bearer token, and the token forwarded in its place once its rights are stale."""

    user: CurrentUser
    issued: int
    expires: float
    minted: str | None = None
    minted_for: str | None = None


class Identity:
    """The edge's token cache and its view of the rights board (one per middleware)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Verified tokens until they expire: an Ed25519 check per request would cost more than
        # the whole proxy hop. Rights changed since a token was issued: see follow_rights.
        self._token_cache: dict[str, Verified] = {}
        self._rights_backoff_until = 0.0

    def verify(self, scope: Scope, authorization: bytes | None) -> Verified | None:
        if authorization is None:
            return None
        scheme, _, token_bytes = authorization.partition(b" ")
        if scheme.lower() != b"bearer":
            return None  # other schemes are the service's business (e.g. Open311 api keys)
        token = token_bytes.strip().decode("latin-1")
        cached = self._token_cache.get(token)
        now = time.time()
        if cached is not None and cached.expires > now:
            return cached
        verifier: TokenVerifier = scope["app"].state.token_verifier
        user = verifier.verify(token)  # raises the 401 problem
        claims = jwt.decode(token, options={"verify_signature": False})
        verified = Verified(user, int(claims.get("iat", 0)), float(claims.get("exp", now)))
        if len(self._token_cache) >= _TOKEN_CACHE_SIZE:
            self._token_cache.clear()
        self._token_cache[token] = verified
        return verified

    async def follow_rights(self, scope: Scope, verified: Verified) -> None:
        """Rights follow changes at once (README): a token issued before the user's last grant,
        revocation, household approval is forwarded as a re-minted token with today's claims; a
        deleted account's token is refused."""
        stamp = await self._stamp_of(scope, verified.user.id)
        if stamp is None:
            return
        if stamp == DELETED:
            raise ProblemError("account_deleted", 401, headers=_DELETED_CHALLENGE)
        if verified.issued > float(stamp):
            return  # issued after the change: its claims are current
        if verified.minted_for != stamp:
            verified.minted = await self._remint(scope, verified)
            verified.minted_for = stamp
        assert verified.minted is not None
        authorization = b"Bearer " + verified.minted.encode()
        scope["headers"] = [
            (name, authorization if name == b"authorization" else value) for name, value in scope["headers"]
        ]

    async def _stamp_of(self, scope: Scope, user_id: uuid.UUID) -> str | None:
        """The user's rights stamp: kept by the board for rights_cache_seconds, so the staleness
        check is one dict lookup per request and one Redis GET per user per period."""
        now = time.monotonic()
        board: RightsBoard = scope["app"].state.rights_board
        stamps = board.local
        cached = stamps.get(user_id)
        if cached is not None and now - cached[1] < self.settings.rights_cache_seconds:
            return cached[0]
        if now < self._rights_backoff_until:
            return cached[0] if cached is not None else None
        try:
            stamp = await board.read(user_id)
        except RedisError:
            # Decision (README): without Redis the token is taken as it is, as every service
            # would take it; the rate limiter makes the same choice for ordinary traffic.
            self._rights_backoff_until = now + _RIGHTS_BACKOFF_SECONDS
            log.warning("rights_mirror_unavailable")
            return cached[0] if cached is not None else None
        if len(stamps) >= _RIGHTS_CACHE_SIZE:
            stamps.clear()
        stamps[user_id] = (stamp, now)
        return stamp

    async def _remint(self, scope: Scope, verified: Verified) -> str:
        state = scope["app"].state
        async with state.runtime.uow() as uow:
            claims = await current_claims(uow, verified.user.id)
        if claims is None:
            raise ProblemError("account_deleted", 401, headers=_DELETED_CHALLENGE)
        signer: TokenSigner = state.token_signer
        # Never outlives the token it stands for; it is only ever seen by the services.
        return signer.sign(
            user_id=verified.user.id,
            community_id=claims["community_id"],
            roles=claims["roles"],
            household_id=claims["household_id"],
            building=claims["building"],
            ttl_seconds=max(1, int(verified.expires - time.time())),
        )
