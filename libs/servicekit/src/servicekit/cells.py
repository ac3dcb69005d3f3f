"""Spreadsheet cells, both ways: what an export writes (servicekit.csv_export) and what an import
reads back (the gateway's directory import). Pure Python: a service's domain may import it.

Text that Excel would take for a formula (``=``, ``+``, ``-``, ``@`` first) is written with a
leading apostrophe, the way Excel itself marks literal text; :func:`unformula` takes it off again.
"""

from __future__ import annotations

from datetime import datetime

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """A cell value safe to open in a spreadsheet; numbers and empty cells pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def unformula(value: str) -> str:
    """The value :func:`defuse` was given, from what it wrote."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def cell(value: object) -> object:
    """How a value appears in an export: times in RFC 3339, None empty, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return defuse(value)


def yes_no(value: bool | None) -> str:
    """是/否 as the office writes it (empty when not known)."""
    return "" if value is None else ("是" if value else "否")
