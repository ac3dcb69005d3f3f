"""WeChat mini-program login: `code2session` (GET {base}/sns/jscode2session) turns the login code
the mini-program got from `wx.login()` into the user's openid."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

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
