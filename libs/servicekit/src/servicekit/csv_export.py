"""CSV files for the community office: UTF-8 with a byte-order mark (so Excel on a Chinese Windows
opens them as UTF-8, not GBK), Excel's dialect, streamed as rows come out of the database.

Text that Excel would take for a formula (``=``, ``+``, ``-``, ``@`` first) is written with a
leading apostrophe, the way Excel itself marks literal text; :func:`unformula` takes it off again
when such a file is read back (the directory import), so a round trip keeps the value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import StreamingResponse

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 500  # rows per chunk written to the socket


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


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[cell(value) for value in row] for row in rows])
    return buffer.getvalue()


async def csv_chunks(header: Sequence[str], rows: AsyncIterable[Sequence[object]]) -> AsyncIterator[bytes]:
    """The BOM and header first, then the rows in batches."""
    yield (BOM + csv_lines([header])).encode()
    batch: list[Sequence[object]] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield csv_lines(batch).encode()
            batch = []
    if batch:
        yield csv_lines(batch).encode()


def csv_response(filename: str, chunks: AsyncIterator[bytes]) -> StreamingResponse:
    """A download: the ASCII name for old clients, the UTF-8 one (RFC 6266) for the rest."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.csv"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
