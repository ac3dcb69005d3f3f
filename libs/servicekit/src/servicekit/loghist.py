"""Log-binned histograms kept as statistics cells, their percentiles and the fold that keeps the
cells (issue 16.1), shared by the reports and errand `/stats` (reports.service_layer.fast_stats,
errand.service_layer.fast_stats).

A value in bin i >= 1 lies in [g^(i-1), g^i) * 0.01 s with g = 1.01; bin 0 holds |x| < 0.01 s and
negative values mirror. The database side is the `<svc>_stats_bin(x)` SQL function of each
service's migration (`BIN_FUNCTION_SQL`); histograms travel packed as big-endian int4
(bin, count) pairs. The representative 2g/(g+1) * g^(i-1) * 0.01 s is within (g-1)/(g+1) < 0.5 %
of every value of its bin, and percentile_cont's interpolation of two values each within 0.5 %
is within 0.5 % of the exact interpolation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from servicekit.db import UnitOfWork, UnitOfWorkFactory

GAMMA = 1.01
MIN_SECONDS = 0.01

# The bin of a value, in SQL; immutable, so writers, folds and readers always agree on a bin.
BIN_FUNCTION_SQL = """
CREATE FUNCTION {name}(x float8) RETURNS integer IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT CASE WHEN x IS NULL THEN NULL WHEN abs(x) < 0.01 THEN 0
                ELSE (sign(x) * (1 + floor(ln(abs(x) / 0.01) / ln(1.01))))::integer END
$$"""


def representative(bins: NDArray[np.int64]) -> NDArray[np.float64]:
    """The value that stands for each bin (see the module docstring)."""
    magnitude = np.abs(bins).astype(np.float64)
    value = MIN_SECONDS * np.power(GAMMA, magnitude - 1) * (2 * GAMMA / (GAMMA + 1))
    return np.where(bins == 0, 0.0, np.sign(bins) * value)


def percentiles(
    histograms: list[bytes], groups: list[int], n_groups: int, quantiles: tuple[float, ...]
) -> list[list[float | None]]:
    """percentile_cont per group of the merged histograms (`groups[i]`: the group of
    `histograms[i]`, packed big-endian int4 (bin, count) pairs); None where a group is empty.
    One dense accumulation for every group at once: no sort, whatever the number of cells."""
    lengths = np.fromiter((len(h) for h in histograms), dtype=np.int64, count=len(histograms)) // 8
    pairs = np.frombuffer(b"".join(histograms), dtype=">i4").reshape(-1, 2).astype(np.int64)
    if not pairs.size:
        return [[None for _ in quantiles] for _ in range(n_groups)]
    bins = pairs[:, 0]
    low_bin = int(bins.min())
    width = int(bins.max()) - low_bin + 1
    slots = np.repeat(np.asarray(groups, dtype=np.int64), lengths) * width + (bins - low_bin)
    dense = np.bincount(slots, weights=pairs[:, 1], minlength=n_groups * width).reshape(n_groups, width)
    cumulative = np.cumsum(dense, axis=1)
    totals = np.rint(cumulative[:, -1]).astype(np.int64)
    values = representative(np.arange(low_bin, low_bin + width, dtype=np.int64))
    # All groups in one search: row g of the cumulative counts shifted by g * (largest total + 1)
    # is one increasing sequence.
    shift = float(totals.max() + 1)
    offsets = np.arange(n_groups, dtype=np.float64) * shift
    flat = (cumulative + offsets[:, None]).ravel()
    present = totals > 0
    out: list[list[float | None]] = [[None for _ in quantiles] for _ in range(n_groups)]
    for column, q in enumerate(quantiles):
        position = q * np.maximum(totals - 1, 0)
        rank = np.floor(position)
        low = np.searchsorted(flat, offsets + rank + 0.5) % width
        high = np.searchsorted(flat, offsets + np.minimum(rank + 1, np.maximum(totals - 1, 0)) + 0.5) % width
        result = values[low] + (position - rank) * (values[high] - values[low])
        for group in np.flatnonzero(present):
            out[group][column] = float(result[group])
    return out


_PARAM = re.compile(r"(?<!:):([a-z_]+)\b")


async def fetch(uow: UnitOfWork, sql: str, params: dict[str, Any]) -> list[Any]:
    """Straight on the unit of work's asyncpg connection: SQLAlchemy's row processing cost as much
    as the query on ~2,000 rows of histograms (measured ~15 ms)."""
    names: list[str] = []

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    statement = _PARAM.sub(positional, sql)
    connection = await (await uow.session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    return list(await driver.fetch(statement, *(params[name] for name in names)))


@dataclass(frozen=True)
class CellFold:
    """How a service keeps its statistics cells: change rows appended by triggers (`changes`, an
    `id bigserial` column) are moved into the cells by `fold_sql` (parameters `:upto`, the last
    change row id of the batch, and `:tz`), a batch per transaction; when the cells were built for
    another time zone (`state`: one row with `timezone` and `built_at`), every table in `cells` is
    emptied and `rebuild_sql` (parameter `:tz`) builds them from the service's own rows, and
    `count_sql` counts what was read. One fold or rebuild at a time (advisory lock `lock`)."""

    lock: int
    changes: str
    cells: tuple[str, ...]
    state: str
    fold_sql: str
    rebuild_sql: str
    count_sql: str
    batch: int = 50_000

    async def fold(self, uows: UnitOfWorkFactory, timezone: str, *, batch: int | None = None) -> int:
        """Move change rows into cells, a batch per transaction (or rebuild every cell when none
        were built for `timezone`). Returns the change rows folded (or the rows a rebuild read)."""
        folded = 0
        while True:
            async with uows() as uow:
                session = uow.session
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock})
                if not await self.ready(uow, timezone):
                    done = await self._rebuild(uow, timezone)
                    await uow.commit()
                    return done
                ids = (
                    await session.execute(
                        text(
                            f"SELECT max(id), count(*) FROM "  # noqa: S608 (table names of the service)
                            f"(SELECT id FROM {self.changes} ORDER BY id LIMIT :n) AS b"
                        ),
                        {"n": batch or self.batch},
                    )
                ).one()
                if ids[0] is None:
                    return folded
                await session.execute(text("SET LOCAL work_mem = '64MB'"))
                await session.execute(text(self.fold_sql), {"upto": ids[0], "tz": timezone})
                await uow.commit()
                folded += int(ids[1])

    async def _rebuild(self, uow: UnitOfWork, timezone: str) -> int:
        session = uow.session
        # Writers append change rows in their own transactions: once this lock is granted, every
        # change is either in the service's rows as this transaction sees them, or waits behind it.
        await session.execute(text(f"LOCK TABLE {self.changes} IN EXCLUSIVE MODE"))
        await session.execute(text("SET LOCAL work_mem = '128MB'"))
        for table in (self.changes, *self.cells):
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (table names of the service)
        await session.execute(text(self.rebuild_sql), {"tz": timezone})
        for table in self.cells:  # plans for the readers fit the rebuilt tables at once
            await session.execute(text(f"ANALYZE {table}"))
        await session.execute(
            text(
                f"INSERT INTO {self.state} (id, timezone, built_at) VALUES (1, :tz, now()) "  # noqa: S608
                "ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, built_at = EXCLUDED.built_at"
            ),
            {"tz": timezone},
        )
        return int((await session.execute(text(self.count_sql))).scalar_one())

    async def ready(self, uow: UnitOfWork, timezone: str) -> bool:
        """Whether the cells are built for `timezone` (else the exact computation answers)."""
        built = (await uow.session.execute(text(f"SELECT timezone FROM {self.state}"))).scalar()  # noqa: S608
        return bool(built == timezone)
