"""`/api/v1/errand/stats` from maintained cells instead of a scan of every order (issue 16.1),
the reports approach (reports.service_layer.fast_stats) with the shared histogram code
(servicekit.loghist).

What is kept (migration 0008): statement triggers on `orders` and `order_timeline` append signed
change rows (-1 the old contribution, +1 the new) whenever what an order contributes changes:
its community, creation time, status, courier or first acceptance. The fold (`fold`, run by the
timeout jobs' round) moves them, one statement per batch, into
- day cells per community and local day: exact counts (created, completed, expired, cancelled)
  and a sparse histogram of the time to the first acceptance, bins 1 % wide; the same histogram
  per local month (a year's answer merges 12 months and the days of the partial months);
- courier cells per community, courier and local day: the accepted orders the courier holds,
  and the community's courier list, so that the distinct active couriers of any range are exact
  at one index probe per courier.

How a request is answered (`stats`), in one SQL statement, hence one snapshot: the whole local
days before today from the cells, the change rows not folded yet for those days as signed
contributions, and today (and anything later) straight from `orders` like the exact computation.
Counts, the expiry rate and the active couriers are exact; the acceptance p50/p90 are
percentile_cont's with each order statistic replaced by its bin's representative (< 0.5 % off,
see servicekit.loghist). Until cells are built for the community time zone the exact computation
answers (`ready`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from errand.service_layer.context import ErrandContext
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.loghist import CellFold, fetch, percentiles

_FROM_ORDERS = """
    SELECT o.community_id, o.created_at, o.status, o.courier_id,
           extract(epoch FROM a.at - o.created_at)::float8 AS accept_s, 1 AS sign
    FROM orders o LEFT JOIN (
        SELECT order_id, min(at) AS at FROM order_timeline WHERE action = 'accept' GROUP BY order_id
    ) AS a ON a.order_id = o.id"""

# Signed contributions (`source`) into the cells: day scalars added, histograms merged bin by bin
# with the touched cells' old bins, courier counts added.
_FOLD_TEMPLATE = """
WITH {moved}
src AS (
    SELECT community_id, (created_at AT TIME ZONE :tz)::date AS day, status, courier_id, accept_s,
           sign::int AS sign
    FROM ({source}) AS s
),
scalars AS (
    SELECT community_id, day, sum(sign)::int AS created,
           COALESCE(sum(sign) FILTER (WHERE status = 'completed'), 0)::int AS completed,
           COALESCE(sum(sign) FILTER (WHERE status = 'expired'), 0)::int AS expired,
           COALESCE(sum(sign) FILTER (WHERE status = 'cancelled'), 0)::int AS cancelled
    FROM src GROUP BY 1, 2
),
bins AS (
    SELECT community_id, day, errand_stats_bin(accept_s) AS bin, sign AS n FROM src
    WHERE accept_s IS NOT NULL
    UNION ALL
    SELECT c.community_id, c.day, u.bin, u.n
    FROM errand_stats_cells c JOIN scalars s USING (community_id, day),
         unnest(c.accept_bins, c.accept_counts) AS u(bin, n)
),
summed AS (
    SELECT community_id, day, bin, sum(n)::int AS n FROM bins GROUP BY 1, 2, 3 HAVING sum(n) <> 0
),
hist AS (
    SELECT community_id, day, array_agg(bin ORDER BY bin) AS bins, array_agg(n ORDER BY bin) AS counts,
           string_agg(int4send(bin) || int4send(n), ''::bytea ORDER BY bin) AS packed
    FROM summed GROUP BY 1, 2
),
couriers AS (
    INSERT INTO errand_stats_couriers (community_id, day, courier_id, orders)
    SELECT community_id, day, courier_id, sum(sign)::int FROM src
    WHERE accept_s IS NOT NULL AND courier_id IS NOT NULL GROUP BY 1, 2, 3
    ON CONFLICT (community_id, courier_id, day) DO UPDATE
        SET orders = errand_stats_couriers.orders + EXCLUDED.orders
    RETURNING 1
),
touched_months AS (SELECT DISTINCT community_id, date_trunc('month', day)::date AS month FROM src),
month_bins AS (
    SELECT community_id, date_trunc('month', day)::date AS month, errand_stats_bin(accept_s) AS bin, sign AS n
    FROM src WHERE accept_s IS NOT NULL
    UNION ALL
    SELECT m.community_id, m.month, u.bin, u.n
    FROM errand_stats_months m JOIN touched_months t USING (community_id, month),
         unnest(m.accept_bins, m.accept_counts) AS u(bin, n)
),
month_hist AS (
    SELECT community_id, month, array_agg(bin ORDER BY bin) AS bins, array_agg(n ORDER BY bin) AS counts,
           string_agg(int4send(bin) || int4send(n), ''::bytea ORDER BY bin) AS packed
    FROM (SELECT community_id, month, bin, sum(n)::int AS n FROM month_bins
          GROUP BY 1, 2, 3 HAVING sum(n) <> 0) AS summed
    GROUP BY 1, 2
),
months AS (
    INSERT INTO errand_stats_months (community_id, month, accept_bins, accept_counts, accept_hist)
    SELECT t.community_id, t.month, COALESCE(h.bins, '{{}}'), COALESCE(h.counts, '{{}}'),
           COALESCE(h.packed, ''::bytea)
    FROM touched_months t LEFT JOIN month_hist h USING (community_id, month)
    ON CONFLICT (community_id, month) DO UPDATE SET accept_bins = EXCLUDED.accept_bins,
        accept_counts = EXCLUDED.accept_counts, accept_hist = EXCLUDED.accept_hist
    RETURNING 1
),
listed AS (
    INSERT INTO errand_stats_courier_list (community_id, courier_id)
    SELECT DISTINCT community_id, courier_id FROM src WHERE accept_s IS NOT NULL AND courier_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
)
INSERT INTO errand_stats_cells
    (community_id, day, created, completed, expired, cancelled, accept_bins, accept_counts, accept_hist)
SELECT s.community_id, s.day, s.created, s.completed, s.expired, s.cancelled,
       COALESCE(h.bins, '{{}}'), COALESCE(h.counts, '{{}}'), COALESCE(h.packed, ''::bytea)
FROM scalars s LEFT JOIN hist h USING (community_id, day)
ON CONFLICT (community_id, day) DO UPDATE SET
    created = errand_stats_cells.created + EXCLUDED.created,
    completed = errand_stats_cells.completed + EXCLUDED.completed,
    expired = errand_stats_cells.expired + EXCLUDED.expired,
    cancelled = errand_stats_cells.cancelled + EXCLUDED.cancelled,
    accept_bins = EXCLUDED.accept_bins, accept_counts = EXCLUDED.accept_counts,
    accept_hist = EXCLUDED.accept_hist
"""
_FOLD_SQL = _FOLD_TEMPLATE.format(
    moved="moved AS (DELETE FROM errand_stats_changes WHERE id <= :upto RETURNING *),",
    source="SELECT * FROM moved",
)
_REBUILD_SQL = _FOLD_TEMPLATE.format(moved="", source=_FROM_ORDERS)

# The request in one statement: whole days before today from the cells and the pending change
# rows, today and later from `orders`; every row carries the range's distinct active couriers.
_READ_SQL = """
WITH src AS (
    SELECT (created_at AT TIME ZONE :tz)::date AS day, status, courier_id, accept_s, sign::int AS sign
    FROM errand_stats_changes
    WHERE community_id = :community_id AND created_at >= :start AND created_at < :tail
    UNION ALL
    SELECT (o.created_at AT TIME ZONE :tz)::date, o.status, o.courier_id,
           extract(epoch FROM (SELECT min(t.at) FROM order_timeline t
               WHERE t.order_id = o.id AND t.action = 'accept') - o.created_at)::float8, 1
    FROM orders o WHERE o.community_id = :community_id AND o.created_at >= :tail
),
touched AS (
    SELECT day, courier_id, sum(sign) AS n FROM src
    WHERE accept_s IS NOT NULL AND courier_id IS NOT NULL GROUP BY 1, 2
),
couriers AS (
    SELECT count(*)::int AS n FROM (
        -- a courier-day of the cells no pending change touches: one index probe per courier
        -- (LIMIT 1 keeps the planner from turning the probes into one scan of every courier-day)
        SELECT l.courier_id FROM errand_stats_courier_list l
        CROSS JOIN LATERAL (
            SELECT 1 FROM errand_stats_couriers x
            WHERE x.community_id = :community_id AND x.courier_id = l.courier_id
              AND x.day >= :first_day AND x.day < :tail_day AND x.orders > 0
              AND NOT EXISTS (SELECT 1 FROM touched t WHERE t.day = x.day AND t.courier_id = x.courier_id)
            LIMIT 1
        ) AS probe
        WHERE l.community_id = :community_id
        UNION
        -- the touched courier-days (and today's), cell and pending changes added up
        SELECT t.courier_id FROM touched t
        LEFT JOIN errand_stats_couriers x ON x.community_id = :community_id AND x.courier_id = t.courier_id
            AND x.day = t.day AND x.day < :tail_day
        WHERE t.n + COALESCE(x.orders, 0) > 0
    ) AS active
)
SELECT day, created, completed, expired, cancelled,
       CASE WHEN day = ANY(:hist_days) THEN accept_hist ELSE ''::bytea END AS accept_hist,
       (SELECT n FROM couriers) AS couriers
FROM errand_stats_cells
WHERE community_id = :community_id AND day >= :first_day AND day < :tail_day
UNION ALL
SELECT NULL, 0, 0, 0, 0, accept_hist, (SELECT n FROM couriers)
FROM errand_stats_months WHERE community_id = :community_id AND month = ANY(:months)
UNION ALL
SELECT day, sum(sign)::int, COALESCE(sum(sign) FILTER (WHERE status = 'completed'), 0)::int,
       COALESCE(sum(sign) FILTER (WHERE status = 'expired'), 0)::int,
       COALESCE(sum(sign) FILTER (WHERE status = 'cancelled'), 0)::int,
       COALESCE(string_agg(int4send(errand_stats_bin(accept_s)) || int4send(sign), ''::bytea)
                FILTER (WHERE accept_s IS NOT NULL), ''::bytea),
       (SELECT n FROM couriers)
FROM src GROUP BY day
"""


def window(ctx: ErrandContext, days: int) -> tuple[datetime, datetime]:
    """The range `/stats` covers: local midnight `days - 1` days ago until now."""
    now = ctx.now()
    start = (now.astimezone(ctx.zone) - timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return start, now


CELLS = CellFold(
    lock=7_316_008,
    changes="errand_stats_changes",
    cells=("errand_stats_cells", "errand_stats_months", "errand_stats_couriers", "errand_stats_courier_list"),
    state="errand_stats_state",
    fold_sql=_FOLD_SQL,
    rebuild_sql=_REBUILD_SQL,
    count_sql="SELECT count(*) FROM orders",
)
fold = CELLS.fold
ready = CELLS.ready


async def stats(ctx: ErrandContext, uow: UnitOfWork, user: CurrentUser, *, days: int) -> dict[str, Any]:
    """What errand.service_layer.stats.stats_exact answers, from the cells."""
    zone = ctx.settings.community_timezone
    start, now = window(ctx, days)
    tail = now.astimezone(ctx.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    params: dict[str, Any] = {
        "community_id": user.community_id,
        "tz": zone,
        "start": start,
        "tail": tail,
        "first_day": start.date(),
        "tail_day": tail.date(),
    }
    # Whole local months inside the range take their month histogram, the other days their own.
    months: list[date] = []
    hist_days: list[date] = []
    day = start.date()
    while day < tail.date():
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        if day.day == 1 and month_end <= tail.date():
            months.append(day)
            day = month_end
        else:
            hist_days.append(day)
            day += timedelta(days=1)
    params["months"], params["hist_days"] = months, hist_days
    rows = await fetch(uow, _READ_SQL, params)
    per_day: dict[Any, list[int]] = {}
    for row in rows:
        if row["day"] is None:  # a month's histogram
            continue
        sums = per_day.setdefault(row["day"], [0, 0, 0, 0])
        for position, name in enumerate(("created", "completed", "expired", "cancelled")):
            sums[position] += row[name]
    ((p50, p90),) = percentiles([row["accept_hist"] for row in rows], [0] * len(rows), 1, (0.5, 0.9))
    days_out = [(day, sums) for day, sums in sorted(per_day.items()) if sums[0] > 0]
    created = sum(sums[0] for _, sums in days_out)
    expired = sum(sums[2] for _, sums in days_out)
    return {
        "from": start.isoformat(),
        "to": now.isoformat(),
        "timezone": zone,
        "orders_per_day": [
            {
                "date": day.isoformat(),
                "created": sums[0],
                "completed": sums[1],
                "expired": sums[2],
                "cancelled": sums[3],
            }
            for day, sums in days_out
        ],
        "acceptance_seconds": {
            "p50": round(p50, 1) if p50 is not None else None,
            "p90": round(p90, 1) if p90 is not None else None,
        },
        "expiry_rate": round(expired / created, 4) if created else 0.0,
        "couriers_active": int(rows[0]["couriers"]) if rows else 0,
        "couriers_online": await ctx.index.online_count(user.community_id),
    }
