"""Property fees (物业费): what a fee item costs per period, and when a bill is overdue."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Basis(StrEnum):
    AREA = "area"  # unit price per square metre x the household's area
    FIXED = "fixed"  # the same amount per period


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def bill_amount(basis: Basis, unit_price_fen: int, area_centi_m2: int | None) -> int:
    """The amount of one period, in fen. Area is in hundredths of a square metre (88.50 m2 = 8850);
    a fraction of a fen rounds half up, as a receipt would."""
    if basis == Basis.FIXED:
        return unit_price_fen
    if area_centi_m2 is None:
        raise ValueError("an area-based fee needs the household's area")
    return (unit_price_fen * area_centi_m2 + 50) // 100


def is_overdue(status: str, due: date, today: date) -> bool:
    return status == "issued" and due < today


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def amount_in_words(fen: int) -> str:
    """人民币大写, as a receipt writes the amount: 16373 fen -> 壹佰陆拾叁元柒角叁分."""
    if fen < 0:
        raise ValueError("an amount is not negative")
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words = ""
    if yuan:
        text = str(yuan)
        pending_zero = False
        for index, char in enumerate(text):
            position = len(text) - index - 1
            digit = int(char)
            if digit == 0:
                pending_zero = True
            else:
                if pending_zero and words:
                    words += "零"
                pending_zero = False
                words += _DIGITS[digit] + _UNITS[position % 4]
            group = position // 4
            if position % 4 == 0 and group and (yuan // 10 ** (4 * group)) % 10000:
                words += _GROUPS[group]
        words += "元"
    if not jiao and not cents:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if cents:
        words += _DIGITS[cents] + "分"
    return words
