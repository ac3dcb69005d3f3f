"""The community directory as a sheet: reading an office's CSV or XLSX file into households, and
writing the directory back out in the same shape. Plain Python: no web framework, no database.

A sheet has a header row and one household per data row. Rows are numbered as data rows from 1
(the header is not counted; blank rows keep their number so it matches what the office sees).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from servicekit.cells import unformula, yes_no

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_LABEL = 64  # building, unit and room are String(64) columns
MIN_FLOOR, MAX_FLOOR = -9, 200

COLUMNS = ("building", "unit", "floor", "room", "has_lift", "elderly_alone", "disability", "low_income")
CHINESE_HEADERS = {
    "building": "楼号",
    "unit": "单元",
    "floor": "楼层",
    "room": "房号",
    "has_lift": "电梯",
    "elderly_alone": "独居老人",
    "disability": "残疾",
    "low_income": "低保",
}
FLAGS = ("elderly_alone", "disability", "low_income")
_HEADER_TO_COLUMN = {name: name for name in COLUMNS} | {zh: en for en, zh in CHINESE_HEADERS.items()}
_YES = frozenset({"是", "true", "1", "yes", "y"})
_NO = frozenset({"否", "false", "0", "no", "n"})

FileFormat = Literal["csv", "xlsx"]

# A cell may be as long as the file allows (the csv module's default stops at 128 KiB); this is
# process-wide and only raises the ceiling.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))


class SheetError(Exception):
    """The file as a whole cannot be read: ``code`` and ``status`` become the problem answer."""

    def __init__(self, code: str, status: int, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = params


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class HouseholdRow:
    row: int
    building: str
    unit: str
    floor: int | None
    room: str
    has_lift: bool | None
    elderly_alone: bool
    disability: bool
    low_income: bool

    @property
    def address(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.room)


@dataclass
class Sheet:
    households: list[HouseholdRow]
    errors: list[RowError]


# -- reading the file -----------------------------------------------------------------------------
def sniff(data: bytes) -> FileFormat:
    """What the content is, whatever the file is called: an XLSX workbook (a zip holding
    ``xl/workbook.xml``) or UTF-8 text. Anything else is refused."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise SheetError("directory_file_unsupported", 415)
    if b"\x00" in data[:8192]:
        raise SheetError("directory_file_unsupported", 415)  # binary (old .xls, images, UTF-16)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise SheetError("directory_file_unsupported", 415) from None
    return "csv"


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = data.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = ","  # Excel writes commas; a tab- or semicolon-separated export is read too
    if "," not in first_line:
        delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [unformula(value) if value[:1] == "'" else value for value in values]
    except csv.Error:
        raise SheetError("directory_file_unreadable", 422) from None


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    import openpyxl  # imported here: only XLSX uploads pay for loading it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise SheetError("directory_file_unreadable", 422) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def read(data: bytes) -> Sheet:
    """Parse a whole file; file-level problems raise :class:`SheetError`, row problems are listed."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetError("payload_too_large", 413, limit=MAX_FILE_BYTES)
    rows = _xlsx_rows(data) if sniff(data) == "xlsx" else _csv_rows(data)
    return parse(rows)


def _cell(value: Any) -> str:
    """A cell as text: Excel stores 101 as 101.0 and a flag as a real boolean."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_map(header: Sequence[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _cell(raw).lstrip("\ufeff").strip()
        column = _HEADER_TO_COLUMN.get(name) or _HEADER_TO_COLUMN.get(name.lower())
        if column is not None and column not in positions:
            positions[column] = index
    for column in COLUMNS:
        if column not in positions:
            raise SheetError("directory_column_missing", 422, column=column, header=CHINESE_HEADERS[column])
    return positions


def parse(rows: Iterable[Sequence[Any]]) -> Sheet:
    iterator = iter(rows)
    header: Sequence[Any] | None = None
    for candidate in iterator:
        if any(_cell(value) for value in candidate):
            header = candidate
            break
    if header is None:
        raise SheetError("directory_file_empty", 422)
    positions = _header_map(header)
    households: list[HouseholdRow] = []
    errors: list[RowError] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    lift_by_building: dict[str, tuple[bool, int]] = {}
    for number, raw in enumerate(iterator, start=1):
        cells = {column: _cell(raw[i]) if i < len(raw) else "" for column, i in positions.items()}
        if not any(cells.values()):
            continue
        row_errors: list[RowError] = []
        labels: dict[str, str] = {}
        for column in ("building", "unit", "room"):
            value = cells[column]
            if not value:
                row_errors.append(RowError(number, column, "directory_value_required"))
            elif len(value) > MAX_LABEL:
                row_errors.append(RowError(number, column, "directory_value_too_long", {"max": MAX_LABEL}))
            labels[column] = value
        floor = _floor(number, cells["floor"], row_errors)
        has_lift = _yes_no(number, "has_lift", cells["has_lift"], None, row_errors)
        flags = {flag: bool(_yes_no(number, flag, cells[flag], False, row_errors)) for flag in FLAGS}
        if not row_errors:
            address = (labels["building"], labels["unit"], labels["room"])
            if address in first_seen:
                row_errors.append(
                    RowError(number, "room", "directory_room_duplicate", {"first_row": first_seen[address]})
                )
            else:
                first_seen[address] = number
            if has_lift is not None:
                earlier = lift_by_building.setdefault(labels["building"], (has_lift, number))
                if earlier[0] != has_lift:
                    row_errors.append(
                        RowError(number, "has_lift", "directory_lift_conflict", {"first_row": earlier[1]})
                    )
        if row_errors:
            errors.extend(row_errors)
            continue
        households.append(
            HouseholdRow(
                row=number,
                building=labels["building"],
                unit=labels["unit"],
                floor=floor,
                room=labels["room"],
                has_lift=has_lift,
                **flags,
            )
        )
    return Sheet(households=households, errors=errors)


def _floor(number: int, value: str, errors: list[RowError]) -> int | None:
    if not value:
        return None
    try:
        floor = int(value)
    except ValueError:
        errors.append(RowError(number, "floor", "directory_floor_invalid", {"value": value[:32]}))
        return None
    if not MIN_FLOOR <= floor <= MAX_FLOOR:
        errors.append(RowError(number, "floor", "directory_floor_invalid", {"value": value[:32]}))
        return None
    return floor


def _yes_no(number: int, column: str, value: str, blank: bool | None, errors: list[RowError]) -> bool | None:
    if not value:
        return blank
    lowered = value.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    errors.append(RowError(number, column, "directory_flag_invalid", {"value": value[:32]}))
    return blank


# -- writing the directory ------------------------------------------------------------------------
EXPORT_HEADER = [CHINESE_HEADERS[column] for column in COLUMNS]
"""The export's header: the Chinese names the office knows; the import reads them back."""


def export_row(
    *,
    building: str,
    unit: str,
    floor: int | None,
    room: str,
    has_lift: bool | None,
    elderly_alone: bool,
    disability: bool,
    low_income: bool,
) -> list[object]:
    return [
        building,
        unit,
        floor,
        room,
        yes_no(has_lift),
        yes_no(elderly_alone),
        yes_no(disability),
        yes_no(low_income),
    ]
