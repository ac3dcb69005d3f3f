"""Text accepted from clients: one annotated type for every text field of every request schema.

PostgreSQL cannot store NUL in text or jsonb (a NUL used to answer 500), XML 1.0 cannot carry
the other C0 control characters (a report text with ``\\x0b`` broke the Open311 XML list for
everyone), and a lone surrogate cannot be encoded as UTF-8 at all. ``Text`` refuses all of them,
keeping tab, line feed and carriage return, with a 422 whose code is ``invalid_text`` (and
``text_control_character`` on the field). ``xml_safe`` is the defensive other half for output.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from servicekit.i18n import register_messages

# The characters XML 1.0 does not allow (its Char production), which include NUL: C0 controls
# but tab, LF and CR; surrogates; U+FFFE and U+FFFF.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
TEXT_ERROR = "text_control_character"
TEXT_PROBLEM = "invalid_text"
_MESSAGE = "must not contain NUL or control characters other than tab, line feed and carriage return"


def has_forbidden_characters(value: str) -> bool:
    return FORBIDDEN_CHARACTERS.search(value) is not None


def check_text(value: str) -> str:
    if FORBIDDEN_CHARACTERS.search(value) is not None:
        raise PydanticCustomError(TEXT_ERROR, _MESSAGE)
    return value


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (for rendering stored text)."""
    return FORBIDDEN_CHARACTERS.sub("", value)


Text = Annotated[str, AfterValidator(check_text)]

register_messages(
    {
        TEXT_PROBLEM: {
            "zh-CN": ("文本包含不允许的字符", "文本中不能包含空字符或除制表符、换行、回车以外的控制字符。"),
            "en": (
                "Text contains characters that are not allowed",
                "Text must not contain NUL or control characters other than tab, line feed and "
                "carriage return.",
            ),
            "ko": (
                "허용되지 않는 문자가 포함된 텍스트",
                "텍스트에는 NUL 문자나 탭, 줄 바꿈, 캐리지 리턴 이외의 제어 문자를 넣을 수 없습니다.",
            ),
        }
    }
)
