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
