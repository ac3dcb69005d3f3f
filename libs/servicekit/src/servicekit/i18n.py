"""User-facing messages in zh-CN (default), en and ko, chosen from Accept-Language."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

SUPPORTED_LOCALES = ("zh-CN", "en", "ko")
DEFAULT_LOCALE = "zh-CN"

# code -> locale -> (title, detail template). Services add their own codes with register_messages.
_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {}
# Names of things a detail may quote (states, actions, order types, departments): kind -> value ->
# locale -> text; and, per message code, which parameter is a term of which kind. A Chinese detail
# then never shows an English state name.
_TERMS: dict[str, dict[str, dict[str, str]]] = {}
_TERM_PARAMS: dict[str, dict[str, str]] = {}


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


def register_terms(kind: str, terms: Mapping[str, Mapping[str, str]]) -> None:
    """Add names of one kind (e.g. ``errand.order_status``): value -> locale -> text."""
    for value, by_locale in terms.items():
        missing = [loc for loc in SUPPORTED_LOCALES if loc not in by_locale]
        if missing:
            raise ValueError(f"term {kind}.{value} lacks locales {missing}")
        _TERMS.setdefault(kind, {})[value] = dict(by_locale)


def localise_params(code: str, **kinds: str) -> None:
    """Say that parameter ``name`` of message ``code`` is a term of ``kinds[name]``."""
    _TERM_PARAMS.setdefault(code, {}).update(kinds)


def term(kind: str, value: object, locale: str) -> str:
    """The name of ``value`` in ``locale``; a value the catalogue does not know stays as it is."""
    by_locale = _TERMS.get(kind, {}).get(str(value))
    return str(value) if by_locale is None else by_locale.get(locale) or by_locale[DEFAULT_LOCALE]


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
        kinds = _TERM_PARAMS.get(code)
        if kinds:
            params = {
                name: term(kinds[name], value, locale) if name in kinds else value
                for name, value in params.items()
            }
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


# pydantic's error types -> locale -> message template (filled from the error's ``ctx``). The
# ``code`` of each item in ``errors`` stays pydantic's type; the ``message`` speaks the caller's
# language. A type not listed here gets the generic message of its locale.
_VALIDATION: dict[str, dict[str, str]] = {
    "missing": {"zh-CN": "必填项。", "en": "This field is required.", "ko": "필수 항목입니다."},
    "extra_forbidden": {
        "zh-CN": "不认识这个字段。",
        "en": "This field is not expected.",
        "ko": "알 수 없는 항목입니다.",
    },
    "string_too_short": {
        "zh-CN": "至少 {min_length} 个字符。",
        "en": "At least {min_length} characters.",
        "ko": "최소 {min_length}자 이상이어야 합니다.",
    },
    "string_too_long": {
        "zh-CN": "最多 {max_length} 个字符。",
        "en": "At most {max_length} characters.",
        "ko": "최대 {max_length}자까지 입력할 수 있습니다.",
    },
    "string_pattern_mismatch": {
        "zh-CN": "格式不正确。",
        "en": "The format is not right.",
        "ko": "형식이 올바르지 않습니다.",
    },
    "string_type": {"zh-CN": "应为文本。", "en": "Text expected.", "ko": "텍스트여야 합니다."},
    "too_short": {
        "zh-CN": "至少 {min_length} 项。",
        "en": "At least {min_length} items.",
        "ko": "최소 {min_length}개 이상이어야 합니다.",
    },
    "too_long": {
        "zh-CN": "最多 {max_length} 项。",
        "en": "At most {max_length} items.",
        "ko": "최대 {max_length}개까지 가능합니다.",
    },
    "greater_than": {
        "zh-CN": "应大于 {gt}。",
        "en": "Must be greater than {gt}.",
        "ko": "{gt}보다 커야 합니다.",
    },
    "greater_than_equal": {
        "zh-CN": "应不小于 {ge}。",
        "en": "Must be at least {ge}.",
        "ko": "{ge} 이상이어야 합니다.",
    },
    "less_than": {"zh-CN": "应小于 {lt}。", "en": "Must be less than {lt}.", "ko": "{lt}보다 작아야 합니다."},
    "less_than_equal": {
        "zh-CN": "应不大于 {le}。",
        "en": "Must be at most {le}.",
        "ko": "{le} 이하여야 합니다.",
    },
    "int_parsing": {"zh-CN": "应为整数。", "en": "A whole number is expected.", "ko": "정수여야 합니다."},
    "int_type": {"zh-CN": "应为整数。", "en": "A whole number is expected.", "ko": "정수여야 합니다."},
    "int_from_float": {"zh-CN": "应为整数。", "en": "A whole number is expected.", "ko": "정수여야 합니다."},
    "float_parsing": {"zh-CN": "应为数字。", "en": "A number is expected.", "ko": "숫자여야 합니다."},
    "float_type": {"zh-CN": "应为数字。", "en": "A number is expected.", "ko": "숫자여야 합니다."},
    "bool_parsing": {
        "zh-CN": "应为是或否（true/false）。",
        "en": "Yes or no (true/false) is expected.",
        "ko": "예/아니요(true/false)여야 합니다.",
    },
    "bool_type": {
        "zh-CN": "应为是或否（true/false）。",
        "en": "Yes or no (true/false) is expected.",
        "ko": "예/아니요(true/false)여야 합니다.",
    },
    "uuid_parsing": {"zh-CN": "编号格式不正确。", "en": "Not a valid id.", "ko": "올바른 ID가 아닙니다."},
    "uuid_type": {"zh-CN": "编号格式不正确。", "en": "Not a valid id.", "ko": "올바른 ID가 아닙니다."},
    "literal_error": {
        "zh-CN": "只能是以下之一：{expected}。",
        "en": "Must be one of: {expected}.",
        "ko": "다음 중 하나여야 합니다: {expected}.",
    },
    "enum": {
        "zh-CN": "只能是以下之一：{expected}。",
        "en": "Must be one of: {expected}.",
        "ko": "다음 중 하나여야 합니다: {expected}.",
    },
    "datetime_parsing": {
        "zh-CN": "时间格式应为 RFC 3339（如 2026-05-01T09:30:00+08:00）。",
        "en": "A time in RFC 3339 form is expected (e.g. 2026-05-01T09:30:00+08:00).",
        "ko": "RFC 3339 형식의 시간이어야 합니다(예: 2026-05-01T09:30:00+08:00).",
    },
    "datetime_from_date_parsing": {
        "zh-CN": "时间格式应为 RFC 3339（如 2026-05-01T09:30:00+08:00）。",
        "en": "A time in RFC 3339 form is expected (e.g. 2026-05-01T09:30:00+08:00).",
        "ko": "RFC 3339 형식의 시간이어야 합니다(예: 2026-05-01T09:30:00+08:00).",
    },
    "timezone_aware": {
        "zh-CN": "时间须带时区偏移（如 +08:00）。",
        "en": "The time needs an offset (e.g. +08:00).",
        "ko": "시간에 오프셋(예: +08:00)이 있어야 합니다.",
    },
    "date_parsing": {
        "zh-CN": "日期格式应为 2026-05-01。",
        "en": "A date like 2026-05-01 is expected.",
        "ko": "2026-05-01 형식의 날짜여야 합니다.",
    },
    "json_invalid": {
        "zh-CN": "请求体不是有效的 JSON。",
        "en": "The body is not valid JSON.",
        "ko": "본문이 올바른 JSON이 아닙니다.",
    },
    "model_attributes_type": {
        "zh-CN": "应为对象。",
        "en": "An object is expected.",
        "ko": "객체여야 합니다.",
    },
    "dict_type": {"zh-CN": "应为对象。", "en": "An object is expected.", "ko": "객체여야 합니다."},
    "list_type": {"zh-CN": "应为列表。", "en": "A list is expected.", "ko": "목록이어야 합니다."},
    "text_control_character": {
        "zh-CN": "不能包含 NUL 或除制表符、换行、回车以外的控制字符。",
        "en": "must not contain NUL or control characters other than tab, line feed and carriage return",
        "ko": "NUL이나 탭·줄 바꿈·캐리지 리턴 이외의 제어 문자를 포함할 수 없습니다.",
    },
}
_VALIDATION_FALLBACK = {
    "zh-CN": "取值无效。",
    "en": "This value is not valid.",
    "ko": "값이 올바르지 않습니다.",
}


def validation_message(
    error_type: str, context: Mapping[str, object] | None, locale: str, *, fallback: str | None = None
) -> str:
    """A pydantic validation error in ``locale`` (its ``ctx`` fills the template). An error type
    not in the catalogue (a model's own check) says ``fallback`` to English readers."""
    if error_type not in _VALIDATION and locale == "en" and fallback:
        return fallback
    template = (_VALIDATION.get(error_type) or _VALIDATION_FALLBACK).get(locale) or _VALIDATION_FALLBACK[
        DEFAULT_LOCALE
    ]
    if context:
        with contextlib.suppress(KeyError, IndexError, ValueError):
            return template.format(**context)
    if "{" in template:
        return _VALIDATION_FALLBACK.get(locale) or _VALIDATION_FALLBACK[DEFAULT_LOCALE]
    return template
