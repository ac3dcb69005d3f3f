"""CSV files for the community office: UTF-8 with a byte-order mark (so Excel on a Chinese Windows
opens them as UTF-8, not GBK), Excel's dialect, streamed as rows come out of the database.

Text that Excel would take for a formula (``=``, ``+``, ``-``, ``@`` first) is written with a
leading apostrophe, the way Excel itself marks literal text; :func:`unformula` takes it off again
when such a file is read back (the directory import), so a round trip keeps the value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.responses import StreamingResponse
from sqlalchemy import Row, Select

from servicekit.cells import cell, defuse, unformula, yes_no
from servicekit.db import UnitOfWorkFactory
from servicekit.domain import DomainError
from servicekit.i18n import register_messages

__all__ = [
    "cell",
    "csv_chunks",
    "csv_lines",
    "csv_response",
    "defuse",
    "query_csv",
    "time_bound",
    "time_range",
    "unformula",
    "yes_no",
]

register_messages(
    {
        "invalid_time_range": {
            "zh-CN": (
                "时间范围无效",
                "“{field}”应为 ISO 8601 日期或时间（如 2026-01-31 或 2026-01-31T08:00+08:00），"
                "且起始早于结束。",
            ),
            "en": (
                "Invalid time range",
                "“{field}” must be an ISO 8601 date or date-time (2026-01-31, 2026-01-31T08:00+08:00), "
                "from before to.",
            ),
            "ko": (
                "잘못된 기간",
                "“{field}”은(는) ISO 8601 날짜 또는 일시(2026-01-31, 2026-01-31T08:00+08:00)여야 하며 "
                "시작이 끝보다 앞서야 합니다.",
            ),
        },
    }
)

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_BATCH = 500  # rows per chunk written to the socket


def time_bound(value: str | None, timezone: str, *, field: str, end: bool = False) -> datetime | None:
    """A bound of an export's range: a date is the community's local midnight (the day after it
    for ``to``, so ``to`` includes the whole day); a date-time without an offset is local time."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    zone = ZoneInfo(timezone)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time(), zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_time_range", 422, field=field).showing(field=field) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def time_range(start: str | None, end: str | None, timezone: str) -> tuple[datetime | None, datetime | None]:
    """``from`` (inclusive) and ``to`` (exclusive after a date-time, end of day after a date)."""
    since = time_bound(start, timezone, field="from")
    until = time_bound(end, timezone, field="to", end=True)
    if since is not None and until is not None and since >= until:
        raise DomainError("invalid_time_range", 422, field="to").showing(field="to")
    return since, until


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


def query_csv(
    uows: UnitOfWorkFactory,
    query: Select[Any],
    header: Sequence[str],
    line: Callable[[Row[Any]], Sequence[object]],
) -> AsyncIterator[bytes]:
    """The CSV of ``query``'s rows, each turned into cells by ``line``, streamed from the server
    1,000 rows at a time in one read-only unit of work."""

    async def rows() -> AsyncIterator[Sequence[object]]:
        async with uows() as uow:
            async for row in await uow.session.stream(query.execution_options(yield_per=1000)):
                yield line(row)

    return csv_chunks(header, rows())


def csv_response(filename: str, chunks: AsyncIterator[bytes]) -> StreamingResponse:
    """A download: the ASCII name for old clients, the UTF-8 one (RFC 6266) for the rest."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.csv"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
