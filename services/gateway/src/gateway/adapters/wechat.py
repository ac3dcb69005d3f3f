"""WeChat mini-program login: `code2session` (GET {base}/sns/jscode2session) turns the login code
the mini-program got from `wx.login()` into the user's openid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from servicekit.domain import DomainError

# errcodes documented for jscode2session, mapped to what the client can do about them.
_CODE_PROBLEMS = {40029, 40163}  # invalid code / code already used: sign in again
_HIGH_RISK = 40226  # WeChat blocked this user as high-risk
_RATE_LIMITED = 45011
_BUSY = -1


@dataclass(frozen=True)
class WeChatClient:
    session: aiohttp.ClientSession
    base_url: str
    appid: str
    secret: str
    timeout_seconds: float

    async def code2session(self, code: str) -> str:
        """The openid for a login code; DomainError with a problem code otherwise."""
        params = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        try:
            async with self.session.get(
                f"{self.base_url.rstrip('/')}/sns/jscode2session",
                params=params,
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
            ) as response:
                if response.status != 200:
                    raise DomainError("wechat_unavailable", 503)
                # WeChat answers JSON labelled text/plain.
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DomainError("wechat_unavailable", 503) from exc
        if not isinstance(body, dict):
            raise DomainError("wechat_unavailable", 503)
        errcode = int(body.get("errcode") or 0)
        if errcode == 0 and isinstance(body.get("openid"), str) and body["openid"]:
            return str(body["openid"])
        if errcode in _CODE_PROBLEMS:
            raise DomainError("wechat_code_invalid", 401, errcode=errcode)
        if errcode == _HIGH_RISK:
            raise DomainError("wechat_rejected", 403, errcode=errcode)
        if errcode == _RATE_LIMITED:
            raise DomainError("wechat_rejected", 429, errcode=errcode)
        if errcode == _BUSY:
            raise DomainError("wechat_unavailable", 503)
        # Anything else (a wrong appid or secret, ...) is our configuration, not the user's fault.
        raise DomainError("wechat_rejected", 502, errcode=errcode)


# -- subscription messages (订阅消息) ------------------------------------------------------------
# errcodes of subscribeMessage.send: the access token is invalid or expired (fetch a fresh one and
# try once more); the user refused or has no grant left for the template.
TOKEN_INVALID = frozenset({40001, 42001})
USER_REFUSED = 43101


class WeChatUnavailable(Exception):
    """WeChat could not be reached or answered with an error worth retrying later."""


@dataclass(frozen=True)
class SendResult:
    errcode: int
    errmsg: str


@dataclass
class WeChatMessenger:
    """`subscribeMessage.send` with the mini-program's access token, which is cached in Redis
    (shared by every gateway process) until shortly before WeChat's expiry and fetched again
    when WeChat says it is invalid or expired (errcode 40001 / 42001). The token comes from
    `/cgi-bin/stable_token`, which gives every caller the same token until it expires, so
    replicas refreshing at once do not invalidate each other's."""

    session: aiohttp.ClientSession
    cache: aioredis.Redis
    cache_key: str
    base_url: str
    appid: str
    secret: str
    timeout_seconds: float
    refresh_margin_seconds: int = 300

    async def _post(
        self, path: str, body: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            async with self.session.post(
                f"{self.base_url.rstrip('/')}{path}",
                params=params,
                json=body,
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
            ) as response:
                if response.status != 200:
                    raise WeChatUnavailable(f"http {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise WeChatUnavailable(type(exc).__name__) from exc
        if not isinstance(answer, dict):
            raise WeChatUnavailable("not an object")
        return answer

    async def access_token(self, *, force: bool = False) -> str:
        if not force:
            cached = await self.cache.get(self.cache_key)
            if cached:
                return cached.decode() if isinstance(cached, bytes) else str(cached)
        answer = await self._post(
            "/cgi-bin/stable_token",
            {
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force,
            },
        )
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise WeChatUnavailable(f"stable_token errcode {answer.get('errcode')}")
        await self.cache.set(self.cache_key, token, ex=max(1, expires_in - self.refresh_margin_seconds))
        return token

    async def send(self, message: dict[str, Any]) -> SendResult:
        """One message; raises WeChatUnavailable when it is worth trying again later."""
        for attempt in range(2):
            token = await self.access_token(force=attempt > 0)
            answer = await self._post("/cgi-bin/message/subscribe/send", message, {"access_token": token})
            errcode = int(answer.get("errcode") or 0)
            if errcode in TOKEN_INVALID and attempt == 0:
                await self.cache.delete(self.cache_key)
                continue
            if errcode == -1:  # system busy
                raise WeChatUnavailable("busy")
            return SendResult(errcode, str(answer.get("errmsg") or ""))
        raise WeChatUnavailable("access token refused twice")
