"""User-facing messages in zh-CN (default), en and ko, chosen from Accept-Language."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

SUPPORTED_LOCALES = ("zh-CN", "en", "ko")
DEFAULT_LOCALE = "zh-CN"

# code -> locale -> (title, detail template). Services add their own codes with register_messages.
_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {}


def register_messages(messages: Mapping[str, Mapping[str, tuple[str, str]]]) -> None:
    """Add codes to the catalogue. Every code must speak every supported locale."""
    for code, by_locale in messages.items():
        missing = [loc for loc in SUPPORTED_LOCALES if loc not in by_locale]
        if missing:
            raise ValueError(f"message {code!r} lacks locales {missing}")
        existing = _MESSAGES.get(code)
        if existing is not None and existing != dict(by_locale):
            raise ValueError(f"message {code!r} is already registered with other text")
        _MESSAGES[code] = dict(by_locale)


def negotiate_locale(accept_language: str | None) -> str:
    """Pick the best supported locale from an Accept-Language header (RFC 9110 q-values)."""
    if not accept_language:
        return DEFAULT_LOCALE
    candidates: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = _match(tag)
        if locale is not None and quality > 0:
            candidates.append((-quality, index, locale))
    return min(candidates)[2] if candidates else DEFAULT_LOCALE


def _match(tag: str) -> str | None:
    if tag.startswith("zh"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "ko" or tag.startswith("ko-"):
        return "ko"
    return None


def translate(code: str, locale: str, params: Mapping[str, object] | None = None) -> tuple[str, str]:
    """(title, detail) for a code; an unknown code falls back to the generic internal message."""
    by_locale = _MESSAGES.get(code) or _MESSAGES["internal_error"]
    title, detail = by_locale.get(locale) or by_locale[DEFAULT_LOCALE]
    if params:
        # A template that cannot be filled still reads better than a 500.
        with contextlib.suppress(KeyError, IndexError, ValueError):
            detail = detail.format(**params)
    return title, detail


def known_codes() -> frozenset[str]:
    return frozenset(_MESSAGES)


register_messages(
    {
        "internal_error": {
            "zh-CN": ("服务器内部错误", "服务暂时出现问题，请稍后再试。"),
            "en": ("Internal error", "Something went wrong on our side. Please try again later."),
            "ko": ("서버 내부 오류", "일시적인 문제가 발생했습니다. 잠시 후 다시 시도해 주세요."),
        },
        "validation_failed": {
            "zh-CN": ("请求参数有误", "请检查填写的内容。"),
            "en": ("Invalid request", "Please check the fields you sent."),
            "ko": ("잘못된 요청", "입력한 내용을 확인해 주세요."),
        },
        "not_found": {
            "zh-CN": ("未找到", "您要找的内容不存在或已被删除。"),
            "en": ("Not found", "What you asked for does not exist or was removed."),
            "ko": ("찾을 수 없음", "요청한 내용이 없거나 삭제되었습니다."),
        },
        "method_not_allowed": {
            "zh-CN": ("不支持的请求方法", "该地址不支持此请求方法。"),
            "en": ("Method not allowed", "This address does not accept that method."),
            "ko": ("허용되지 않는 메서드", "이 주소는 해당 요청 방식을 지원하지 않습니다."),
        },
        "unauthorized": {
            "zh-CN": ("请先登录", "此操作需要登录。"),
            "en": ("Sign-in required", "Please sign in to do this."),
            "ko": ("로그인 필요", "이 작업을 하려면 로그인해 주세요."),
        },
        "token_expired": {
            "zh-CN": ("登录已过期", "登录凭证已过期，请刷新或重新登录。"),
            "en": ("Session expired", "Your access token has expired. Refresh it or sign in again."),
            "ko": ("로그인 만료", "액세스 토큰이 만료되었습니다. 새로 고치거나 다시 로그인해 주세요."),
        },
        "token_invalid": {
            "zh-CN": ("登录凭证无效", "登录凭证无效，请重新登录。"),
            "en": ("Invalid token", "Your access token is not valid. Please sign in again."),
            "ko": ("유효하지 않은 토큰", "액세스 토큰이 유효하지 않습니다. 다시 로그인해 주세요."),
        },
        "forbidden": {
            "zh-CN": ("没有权限", "您的角色不能执行此操作。"),
            "en": ("Not allowed", "Your role does not allow this action."),
            "ko": ("권한 없음", "현재 역할로는 이 작업을 할 수 없습니다."),
        },
        "payload_too_large": {
            "zh-CN": ("请求内容过大", "请求内容超过了 {limit} 字节的上限。"),
            "en": ("Request too large", "The request body exceeds the limit of {limit} bytes."),
            "ko": ("요청이 너무 큼", "요청 본문이 {limit}바이트 제한을 넘었습니다."),
        },
        "service_unavailable": {
            "zh-CN": ("服务暂不可用", "服务正在恢复中，请稍后再试。"),
            "en": ("Service unavailable", "The service is recovering. Please try again shortly."),
            "ko": ("서비스 이용 불가", "서비스가 복구 중입니다. 잠시 후 다시 시도해 주세요."),
        },
        "service_busy": {
            "zh-CN": ("服务繁忙", "服务当前繁忙，请稍后重试。"),
            "en": ("Service busy", "The service is busy right now. Please try again shortly."),
            "ko": ("서비스 혼잡", "지금은 서비스가 혼잡합니다. 잠시 후 다시 시도해 주세요."),
        },
    }
)
