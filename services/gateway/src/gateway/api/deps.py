"""Dependencies shared by the gateway's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.adapters.ratelimit import LoginGate, RateLimiterUnavailable, retry_after_header
from gateway.adapters.rights import RightsBoard
from gateway.config import Settings
from gateway.edge import client_ip
from gateway.service_layer.accounts import TokenPolicy
from servicekit.auth import CurrentUser, require_roles
from servicekit.errors import ProblemError


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_policy(request: Request) -> TokenPolicy:
    settings = get_settings(request)
    return TokenPolicy(
        signer=request.app.state.token_signer,
        access_ttl_seconds=settings.access_token_ttl_seconds,
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
    )


def get_rights(request: Request) -> RightsBoard:
    board: RightsBoard = request.app.state.rights_board
    return board


Rights = Annotated[RightsBoard, Depends(get_rights)]


class PhoneThrottle:
    """Sign-in attempts at one phone (README "Sign-in throttling"): per phone *and* client address,
    a few free attempts and then a doubling delay, so a stranger guessing from one address is
    slowed without the owner, from another address, being refused; and a looser cap per phone
    from every address together, which stops guessing spread over many addresses."""

    def __init__(self, request: Request, phone: str) -> None:
        settings = get_settings(request)
        self._enabled = settings.rate_limit_enabled
        self._gate = LoginGate(
            request.app.state.rate_limiter,
            settings.login_policy,
            phone=phone,
            address=client_ip(request.scope, settings.trusted_proxies),
        )

    async def ensure_allowed(self) -> None:
        if not self._enabled:
            return
        try:
            wait = await self._gate.attempt()
        except RateLimiterUnavailable:
            raise ProblemError("rate_limiter_unavailable", 503, headers={"Retry-After": "1"}) from None
        if wait > 0:
            raise ProblemError("login_throttled", 429, headers={"Retry-After": retry_after_header(wait)})

    async def record_success(self) -> None:
        if self._enabled:
            await self._gate.succeeded()

    async def record_other_outcome(self) -> None:
        """Neither a success nor a wrong password (e.g. the database failed): not a guess."""
        if self._enabled:
            await self._gate.released()


Policy = Annotated[TokenPolicy, Depends(get_policy)]
Admin = Annotated[CurrentUser, Depends(require_roles("admin"))]
CommitteeOrAdmin = Annotated[CurrentUser, Depends(require_roles("committee", "admin"))]
