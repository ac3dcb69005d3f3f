"""`/stats` from maintained cells instead of a scan of every report (issue 16.1).

What is kept (migration 0005): every statement that changes what a report contributes to the
statistics appends signed change rows (-1 for the old contribution, +1 for the new) in the same
transaction, by trigger. The fold (`fold`, run by the reports job loop every
`stats_fold_interval_seconds`) moves them, in one statement per batch, into cells keyed by
(community, grain: local day, decade (旬), month or quarter, dimension: category / staff / all, key). A cell
holds exact counts and sums (count, resolved, breached, reopened, ratings, rating sum) and two
sparse histograms (time to accept, time to resolve) with logarithmic bins 1 % wide.

How a request is answered (`compute`), in one SQL statement, hence one snapshot:
- whole local quarters inside the range from quarter cells, then whole months, whole decades
  (days 1-10, 11-20, 21-end), the other whole local days from day cells;
- the partial days at both ends straight from `reports` (exact, like before);
- change rows not folded yet for the whole days, as signed contributions.

Counts, rates and the satisfaction average are therefore exact. The percentiles are
`percentile_cont`'s (linear interpolation between the two order statistics around the rank),
with each order statistic replaced by its bin's representative value: a value in bin i lies in
[g^(i-1), g^i) * 0.01 s with g = 1.01, the representative 2g/(g+1) * g^(i-1) * 0.01 s is within
(g-1)/(g+1) < 0.5 % of it, and an interpolation of two values each within 0.5 % is within 0.5 %
of the exact interpolation. Values under 0.01 s count as 0 (the response has 0.1 s resolution).

The cells use the community time zone of the build; a different `community_timezone` rebuilds
them on the next fold, and until cells exist the exact computation answers. A category filter
also goes to the exact computation (one category is a fifteenth of the rows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from servicekit.db import UnitOfWork
from servicekit.loghist import CellFold, fetch, percentiles

_CONTRIBUTION_FROM_REPORTS = """
    SELECT community_id, (submitted_at AT TIME ZONE :tz)::date AS day, category,
           COALESCE(assignee_id::text, '') AS staff,
           extract(epoch FROM accepted_at - submitted_at)::float8 AS accept_s,
           extract(epoch FROM first_resolved_at - submitted_at)::float8 AS resolve_s,
           (accept_breached_at IS NOT NULL OR resolve_breached_at IS NOT NULL) AS breached,
           reopen_count > 0 AS reopened, first_resolved_at IS NOT NULL AS resolved,
           rating_overall AS rating, 1 AS sign
    FROM reports"""

_CONTRIBUTION_FROM_CHANGES = """
    SELECT community_id, (submitted_at AT TIME ZONE :tz)::date AS day, category, staff,
           accept_s, resolve_s, breached, reopened, resolved, rating, sign
    FROM {table}"""


def _cells_sql(source: str, grains: str) -> str:
    """Cells (scalars and sorted sparse histograms) of the signed contributions in `source`."""
    return _CELLS.format(source=source, grains=grains, **_PACKS)


_CELLS = """
    WITH src AS ({source}),
    keyed AS (
        SELECT s.community_id, g.grain,
               CASE g.grain WHEN 'd' THEN s.day WHEN 'm' THEN date_trunc('month', s.day)::date
                    WHEN 'q' THEN date_trunc('quarter', s.day)::date
                    ELSE date_trunc('month', s.day)::date
                         + LEAST(((extract(day FROM s.day)::int - 1) / 10) * 10, 20) END AS period,
               k.dim, k.key, s.accept_s, s.resolve_s, s.breached, s.reopened, s.resolved, s.rating, s.sign
        FROM src s
        CROSS JOIN (VALUES {grains}) AS g(grain)
        CROSS JOIN LATERAL (VALUES ('c', s.category::text), ('s', s.staff), ('a', '')) AS k(dim, key)
    ),
    scalars AS (
        SELECT community_id, grain, period, dim, key,
               sum(sign)::int AS count,
               COALESCE(sum(sign) FILTER (WHERE resolved), 0)::int AS resolved,
               COALESCE(sum(sign) FILTER (WHERE breached), 0)::int AS breached,
               COALESCE(sum(sign) FILTER (WHERE reopened), 0)::int AS reopened,
               COALESCE(sum(sign) FILTER (WHERE rating IS NOT NULL), 0)::int AS ratings,
               COALESCE(sum(sign * rating), 0)::int AS rating_sum
        FROM keyed GROUP BY 1, 2, 3, 4, 5
    ),
    binned AS (
        SELECT community_id, grain, period, dim, key, m.measure, m.bin, sum(sign)::int AS n
        FROM keyed
        CROSS JOIN LATERAL (VALUES ('a', report_stats_bin(accept_s)), ('r', report_stats_bin(resolve_s)))
            AS m(measure, bin)
        WHERE m.bin IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        HAVING sum(sign) <> 0
    ),
    hist AS (
        SELECT community_id, grain, period, dim, key,
               array_agg(bin ORDER BY bin) FILTER (WHERE measure = 'a') AS accept_bins,
               array_agg(n ORDER BY bin) FILTER (WHERE measure = 'a') AS accept_counts,
               array_agg(bin ORDER BY bin) FILTER (WHERE measure = 'r') AS resolve_bins,
               array_agg(n ORDER BY bin) FILTER (WHERE measure = 'r') AS resolve_counts,
               {pack_a} AS accept_hist, {pack_r} AS resolve_hist
        FROM binned GROUP BY 1, 2, 3, 4, 5
    )
    SELECT s.community_id, s.grain, s.period, s.dim, s.key, s.count, s.resolved, s.breached,
           s.reopened, s.ratings, s.rating_sum,
           COALESCE(h.accept_bins, '{{}}') AS accept_bins, COALESCE(h.accept_counts, '{{}}') AS accept_counts,
           COALESCE(h.resolve_bins, '{{}}') AS resolve_bins,
           COALESCE(h.resolve_counts, '{{}}') AS resolve_counts,
           COALESCE(h.accept_hist, ''::bytea) AS accept_hist,
           COALESCE(h.resolve_hist, ''::bytea) AS resolve_hist
    FROM scalars s LEFT JOIN hist h USING (community_id, grain, period, dim, key)"""


_CELL_COLUMNS = (
    "community_id, grain, period, dim, key, count, resolved, breached, reopened, ratings, rating_sum, "
    "accept_bins, accept_counts, resolve_bins, resolve_counts, accept_hist, resolve_hist"
)
# A histogram as the reader takes it: big-endian int4 (bin, count) pairs in bin order.
_PACK = "string_agg(int4send(bin) || int4send(n), ''::bytea ORDER BY bin) FILTER (WHERE measure = '{m}')"
_PACKS = {"pack_a": _PACK.format(m="a"), "pack_r": _PACK.format(m="r")}

_INSERT_CELLS = "INSERT INTO report_stats_cells ({columns}) "
_REBUILD_SQL = _INSERT_CELLS.format(columns=_CELL_COLUMNS) + _cells_sql(
    _CONTRIBUTION_FROM_REPORTS, "('d'), ('x'), ('m'), ('q')"
)

# One batch of change rows into the cells: the histograms of touched cells are merged bin by bin,
# the scalars added. Deleting the change rows and updating the cells is one statement.
_FOLD_TEMPLATE = """
WITH moved AS (
    DELETE FROM report_stats_changes WHERE id <= :upto RETURNING *
),
fresh AS ({fresh}),
old AS (
    SELECT c.* FROM report_stats_cells c JOIN fresh f USING (community_id, grain, period, dim, key)
),
bins AS (
    SELECT community_id, grain, period, dim, key, 'a' AS measure, u.bin, u.n
        FROM fresh, unnest(accept_bins, accept_counts) AS u(bin, n)
    UNION ALL SELECT community_id, grain, period, dim, key, 'r', u.bin, u.n
        FROM fresh, unnest(resolve_bins, resolve_counts) AS u(bin, n)
    UNION ALL SELECT community_id, grain, period, dim, key, 'a', u.bin, u.n
        FROM old, unnest(accept_bins, accept_counts) AS u(bin, n)
    UNION ALL SELECT community_id, grain, period, dim, key, 'r', u.bin, u.n
        FROM old, unnest(resolve_bins, resolve_counts) AS u(bin, n)
),
summed AS (
    SELECT community_id, grain, period, dim, key, measure, bin, sum(n)::int AS n
    FROM bins GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0
),
hist AS (
    SELECT community_id, grain, period, dim, key,
           array_agg(bin ORDER BY bin) FILTER (WHERE measure = 'a') AS accept_bins,
           array_agg(n ORDER BY bin) FILTER (WHERE measure = 'a') AS accept_counts,
           array_agg(bin ORDER BY bin) FILTER (WHERE measure = 'r') AS resolve_bins,
           array_agg(n ORDER BY bin) FILTER (WHERE measure = 'r') AS resolve_counts,
           {pack_a} AS accept_hist, {pack_r} AS resolve_hist
    FROM summed GROUP BY 1, 2, 3, 4, 5
)
INSERT INTO report_stats_cells ({columns})
SELECT f.community_id, f.grain, f.period, f.dim, f.key, f.count, f.resolved, f.breached, f.reopened,
       f.ratings, f.rating_sum,
       COALESCE(h.accept_bins, '{{}}'), COALESCE(h.accept_counts, '{{}}'),
       COALESCE(h.resolve_bins, '{{}}'), COALESCE(h.resolve_counts, '{{}}'),
       COALESCE(h.accept_hist, ''::bytea), COALESCE(h.resolve_hist, ''::bytea)
FROM fresh f LEFT JOIN hist h USING (community_id, grain, period, dim, key)
ON CONFLICT (community_id, grain, period, dim, key) DO UPDATE SET
    count = report_stats_cells.count + EXCLUDED.count,
    resolved = report_stats_cells.resolved + EXCLUDED.resolved,
    breached = report_stats_cells.breached + EXCLUDED.breached,
    reopened = report_stats_cells.reopened + EXCLUDED.reopened,
    ratings = report_stats_cells.ratings + EXCLUDED.ratings,
    rating_sum = report_stats_cells.rating_sum + EXCLUDED.rating_sum,
    accept_bins = EXCLUDED.accept_bins, accept_counts = EXCLUDED.accept_counts,
    resolve_bins = EXCLUDED.resolve_bins, resolve_counts = EXCLUDED.resolve_counts,
    accept_hist = EXCLUDED.accept_hist, resolve_hist = EXCLUDED.resolve_hist
"""
_FOLD_SQL = _FOLD_TEMPLATE.format(
    fresh=_cells_sql(_CONTRIBUTION_FROM_CHANGES.format(table="moved"), "('d'), ('x'), ('m'), ('q')"),
    columns=_CELL_COLUMNS,
    **_PACKS,
)

# The partial days and the pending change rows, as month cells: one grouping, the histogram
# entries just concatenated (the merge in `percentiles` adds up repeated bins).
_COMPUTED = """
    SELECT k.dim, k.key, date_trunc('month', src.day)::date AS period,
           sum(sign)::int AS count,
           COALESCE(sum(sign) FILTER (WHERE resolved), 0)::int AS resolved,
           COALESCE(sum(sign) FILTER (WHERE breached), 0)::int AS breached,
           COALESCE(sum(sign) FILTER (WHERE reopened), 0)::int AS reopened,
           COALESCE(sum(sign) FILTER (WHERE rating IS NOT NULL), 0)::int AS ratings,
           COALESCE(sum(sign * rating), 0)::int AS rating_sum,
           COALESCE(string_agg(int4send(report_stats_bin(accept_s)) || int4send(sign::int), ''::bytea)
                    FILTER (WHERE accept_s IS NOT NULL), ''::bytea) AS accept_hist,
           COALESCE(string_agg(int4send(report_stats_bin(resolve_s)) || int4send(sign::int), ''::bytea)
                    FILTER (WHERE resolve_s IS NOT NULL), ''::bytea) AS resolve_hist
    FROM ({source}) AS src
    CROSS JOIN LATERAL (VALUES ('c', src.category::text), ('s', src.staff), ('a', '')) AS k(dim, key)
    GROUP BY 1, 2, 3"""

# The request, one statement (one snapshot): kept cells of the whole days and `_COMPUTED`.
_READ_SQL = """
WITH computed AS ({computed})
SELECT dim, key, date_trunc('month', period)::date AS period, count, resolved, breached, reopened,
       ratings, rating_sum, accept_hist, resolve_hist
FROM report_stats_cells
WHERE community_id = :community_id
  AND ((grain = 'q' AND dim <> 'a' AND period = ANY(:quarters))
       OR (grain = 'm' AND (period = ANY(:months) OR (dim = 'a' AND period = ANY(:quarter_months))))
       OR (grain = 'x' AND period = ANY(:decades))
       OR (grain = 'd' AND period = ANY(:days)))
UNION ALL
SELECT dim, key, period, count, resolved, breached, reopened, ratings, rating_sum, accept_hist, resolve_hist
FROM computed
"""

_EDGES = """
    SELECT * FROM ({reports} WHERE community_id = :community_id
        AND ((submitted_at >= :since AND submitted_at < :head_end)
             OR (submitted_at >= :tail_start AND submitted_at < :until))) AS edges
    UNION ALL
    SELECT * FROM ({changes} WHERE community_id = :community_id
        AND submitted_at >= :head_end AND submitted_at < :tail_start) AS pending"""


CELLS = CellFold(
    lock=7_316_001,
    changes="report_stats_changes",
    cells=("report_stats_cells",),
    state="report_stats_state",
    fold_sql=_FOLD_SQL,
    rebuild_sql=_REBUILD_SQL,
    count_sql="SELECT count(*) FROM reports",
)
fold = CELLS.fold
ready = CELLS.ready


@dataclass
class _Span:
    """[since, until) cut into a head and a tail of partial local days and, between them, whole
    quarters, months, decades (旬: days 1-10, 11-20, 21-end) and single days, the fewest cells."""

    head_end: datetime
    tail_start: datetime
    quarters: list[date]
    months: list[date]
    decades: list[date]
    days: list[date]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _span(since: datetime, until: datetime, zone: ZoneInfo) -> _Span:
    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone)

    first = since.astimezone(zone).date()
    if start_of(first) < since:
        first += timedelta(days=1)
    last = until.astimezone(zone).date()  # whole days are [first, last)
    if last <= first:
        return _Span(until, until, [], [], [], [])
    span = _Span(start_of(first), start_of(last), [], [], [], [])
    day = first
    while day < last:
        month_end = _next_month(day)
        quarter_end = _next_month(_next_month(month_end))
        decade_end = month_end if day.day == 21 else day + timedelta(days=10)
        if day.day == 1 and day.month % 3 == 1 and quarter_end <= last:
            span.quarters.append(day)
            day = quarter_end
        elif day.day == 1 and month_end <= last:
            span.months.append(day)
            day = month_end
        elif day.day in (1, 11, 21) and decade_end <= last:
            span.decades.append(day)
            day = decade_end
        else:
            span.days.append(day)
            day += timedelta(days=1)
    return span


@dataclass
class _Group:
    count: int = 0
    resolved: int = 0
    breached: int = 0
    reopened: int = 0
    ratings: int = 0
    rating_sum: int = 0

    def add(self, row: Any) -> None:
        self.count += row["count"]
        self.resolved += row["resolved"]
        self.breached += row["breached"]
        self.reopened += row["reopened"]
        self.ratings += row["ratings"]
        self.rating_sum += row["rating_sum"]


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def compute(
    uow: UnitOfWork, *, community_id: uuid.UUID, since: datetime, until: datetime, timezone: str
) -> dict[str, list[dict[str, Any]]]:
    span = _span(since, until, ZoneInfo(timezone))
    computed = _COMPUTED.format(
        source=_EDGES.format(
            reports=_CONTRIBUTION_FROM_REPORTS,
            changes=_CONTRIBUTION_FROM_CHANGES.format(table="report_stats_changes"),
        )
    )
    params = {
        "community_id": community_id,
        "tz": timezone,
        "since": since,
        "until": until,
        "head_end": span.head_end,
        "tail_start": span.tail_start,
        "quarters": span.quarters,
        # by_month needs each month of a quarter: the community's month cells (one per month)
        "quarter_months": [date(q.year, q.month + offset, 1) for q in span.quarters for offset in range(3)],
        "months": span.months,
        "decades": span.decades,
        "days": span.days,
    }
    rows = await fetch(uow, _READ_SQL.format(computed=computed), params)
    index: dict[tuple[str, str], int] = {}
    groups: list[_Group] = []
    row_groups: list[int] = []
    for row in rows:
        label = (row["dim"], row["period"].strftime("%Y-%m") if row["dim"] == "a" else row["key"])
        number = index.get(label)
        if number is None:
            number = index[label] = len(groups)
            groups.append(_Group())
        groups[number].add(row)
        row_groups.append(number)
    accept = percentiles([row["accept_hist"] for row in rows], row_groups, len(groups), (0.5, 0.9))
    resolve = percentiles([row["resolve_hist"] for row in rows], row_groups, len(groups), (0.5, 0.9))
    # Keys in the database's collation, as the exact computation orders them.
    keys = [key for dim, key in index if dim != "a" and key]
    ordered = await fetch(uow, "SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k", {"keys": keys})
    rank = {row["k"]: position for position, row in enumerate(ordered)}
    out: dict[str, list[dict[str, Any]]] = {}
    for dim, name in (("c", "by_category"), ("s", "by_staff"), ("a", "by_month")):
        chosen = [
            (key, number) for (d, key), number in index.items() if d == dim and groups[number].count > 0
        ]
        # months sort as text; the unassigned last, as NULLS LAST
        chosen.sort(key=lambda item: (item[0] == "", item[0] if dim == "a" else rank.get(item[0], 0)))
        out[name] = []
        for key, number in chosen:
            group = groups[number]
            out[name].append(
                {
                    "key": key or None,
                    "count": group.count,
                    "resolved": group.resolved,
                    "accept_p50_seconds": _seconds(accept[number][0]),
                    "accept_p90_seconds": _seconds(accept[number][1]),
                    "resolve_p50_seconds": _seconds(resolve[number][0]),
                    "resolve_p90_seconds": _seconds(resolve[number][1]),
                    "sla_breach_rate": _rate(group.breached, group.count),
                    "reopen_rate": _rate(group.reopened, group.resolved),
                    "satisfaction_avg": _rate(group.rating_sum, group.ratings),
                    "ratings": group.ratings,
                }
            )
    return out
