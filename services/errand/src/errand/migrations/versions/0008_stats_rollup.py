"""Statistics rollup for `/api/v1/errand/stats` (issue 16.1), the reports approach (reports 0006):
every change to what an order contributes (community, created_at, status, courier, time to its
first acceptance) appends signed change rows in the same transaction, by statement triggers on
`orders` and `order_timeline`; the fold (errand.service_layer.fast_stats) moves them into
per-community local-day cells (exact counts, a log-binned histogram of the acceptance time) and
per-day courier cells and the community's courier list (for the distinct active couriers).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The time to an order's first acceptance, as stats.py computes it (NULL when never accepted).
_ACCEPT = (
    "extract(epoch FROM (SELECT min(t.at) FROM order_timeline t "
    "WHERE t.order_id = {r}.id AND t.action = 'accept') - {r}.created_at)::float8"
)
_CONTRIBUTION = "{r}.community_id, {r}.created_at, {r}.status, {r}.courier_id, " + _ACCEPT
_KEY = "({r}.community_id, {r}.created_at, {r}.status, {r}.courier_id)"
_COLUMNS = "community_id, created_at, status, courier_id, accept_s, sign"

_INSERTED = "INSERT INTO errand_stats_changes ({columns}) SELECT {new}, 1 FROM new_rows n"
_UPDATED = (
    "INSERT INTO errand_stats_changes ({columns}) "
    "SELECT c.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
    "CROSS JOIN LATERAL (VALUES ({old}, -1), ({new}, 1)) AS c "
    "WHERE {old_key} IS DISTINCT FROM {new_key}"
)
# A row trigger before the delete: the order's timeline is still there (its rows go by cascade,
# before a statement trigger would run).
_DELETED_ROW = """
CREATE FUNCTION errand_stats_order_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO errand_stats_changes ({columns})
    SELECT {old}, -1 FROM (SELECT OLD.*) AS o;
    RETURN OLD;
END $$"""
# Timeline rows change an order's first acceptance: the order's contribution with its first
# acceptance before the statement (-1) and after it (+1).
_TIMELINE = """
CREATE FUNCTION errand_stats_timeline_{what}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO errand_stats_changes ({columns})
    SELECT c.* FROM (
        SELECT o.community_id, o.created_at, o.status, o.courier_id,
               extract(epoch FROM ({before}) - o.created_at)::float8 AS before_s,
               extract(epoch FROM ({after}) - o.created_at)::float8 AS after_s
        FROM orders o WHERE o.id IN (SELECT order_id FROM {changed} WHERE action = 'accept')
    ) AS x
    CROSS JOIN LATERAL (VALUES
        (x.community_id, x.created_at, x.status, x.courier_id, x.before_s, -1),
        (x.community_id, x.created_at, x.status, x.courier_id, x.after_s, 1)) AS c
    WHERE x.before_s IS DISTINCT FROM x.after_s;
    RETURN NULL;
END $$"""
_FIRST = "SELECT min(t.at) FROM order_timeline t WHERE t.order_id = o.id AND t.action = 'accept'"
_FIRST_OF_CHANGED = "SELECT min(c.at) FROM {changed} c WHERE c.order_id = o.id AND c.action = 'accept'"


def _function(name: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body};
    RETURN NULL;
END $$"""


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE errand_stats_changes (
    id bigserial PRIMARY KEY,
    community_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    status varchar(16) NOT NULL,
    courier_id uuid,
    accept_s float8,
    sign smallint NOT NULL
)"""
    )
    op.execute("CREATE INDEX ix_errand_stats_changes_span ON errand_stats_changes (community_id, created_at)")
    op.execute(
        """
CREATE TABLE errand_stats_cells (
    community_id uuid NOT NULL,
    day date NOT NULL,
    created integer NOT NULL,
    completed integer NOT NULL,
    expired integer NOT NULL,
    cancelled integer NOT NULL,
    accept_bins integer[] NOT NULL,
    accept_counts integer[] NOT NULL,
    accept_hist bytea NOT NULL,
    PRIMARY KEY (community_id, day)
)"""
    )
    op.execute(
        """
CREATE TABLE errand_stats_couriers (
    community_id uuid NOT NULL,
    day date NOT NULL,
    courier_id uuid NOT NULL,
    orders integer NOT NULL,
    PRIMARY KEY (community_id, courier_id, day)
)"""
    )
    # The acceptance histogram per local month too: a year's answer merges 12 of them and the
    # days of the partial months, not 366.
    op.execute(
        """
CREATE TABLE errand_stats_months (
    community_id uuid NOT NULL,
    month date NOT NULL,
    accept_bins integer[] NOT NULL,
    accept_counts integer[] NOT NULL,
    accept_hist bytea NOT NULL,
    PRIMARY KEY (community_id, month)
)"""
    )
    # Every courier that ever held an accepted order, per community: `/stats` probes each one's
    # days (PRIMARY KEY above) instead of reading every courier-day of the range.
    op.execute(
        "CREATE TABLE errand_stats_courier_list (community_id uuid NOT NULL, courier_id uuid NOT NULL, "
        "PRIMARY KEY (community_id, courier_id))"
    )
    op.execute(
        "CREATE TABLE errand_stats_state (id smallint PRIMARY KEY CHECK (id = 1), "
        "timezone text NOT NULL, built_at timestamptz NOT NULL)"
    )
    # The same bins as servicekit.loghist.BIN_FUNCTION_SQL (kept literal: a migration does not
    # follow later code changes).
    op.execute(
        """
CREATE FUNCTION errand_stats_bin(x float8) RETURNS integer IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT CASE WHEN x IS NULL THEN NULL WHEN abs(x) < 0.01 THEN 0
                ELSE (sign(x) * (1 + floor(ln(abs(x) / 0.01) / ln(1.01))))::integer END
$$"""
    )
    parts = {
        "columns": _COLUMNS,
        "old": _CONTRIBUTION.format(r="o"),
        "new": _CONTRIBUTION.format(r="n"),
        "old_key": _KEY.format(r="o"),
        "new_key": _KEY.format(r="n"),
    }
    op.execute(_function("errand_stats_order_inserted", _INSERTED.format(**parts)))
    op.execute(_function("errand_stats_order_updated", _UPDATED.format(**parts)))
    op.execute(_DELETED_ROW.format(**parts))
    op.execute(
        _TIMELINE.format(
            what="inserted",
            changed="new_rows",
            before=_FIRST + " AND t.id NOT IN (SELECT id FROM new_rows)",  # noqa: S608 (constants)
            after=_FIRST,
            columns=_COLUMNS,
        )
    )
    op.execute(
        _TIMELINE.format(
            what="deleted",
            changed="old_rows",
            before=f"SELECT least(({_FIRST}), ({_FIRST_OF_CHANGED.format(changed='old_rows')}))",
            after=_FIRST,
            columns=_COLUMNS,
        )
    )
    op.execute(
        "CREATE TRIGGER errand_stats_order_inserted AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION errand_stats_order_inserted()"
    )
    op.execute(
        "CREATE TRIGGER errand_stats_order_updated AFTER UPDATE ON orders "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION errand_stats_order_updated()"
    )
    op.execute(
        "CREATE TRIGGER errand_stats_order_deleted BEFORE DELETE ON orders "
        "FOR EACH ROW EXECUTE FUNCTION errand_stats_order_deleted()"
    )
    op.execute(
        "CREATE TRIGGER errand_stats_timeline_inserted AFTER INSERT ON order_timeline "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_stats_timeline_inserted()"
    )
    op.execute(
        "CREATE TRIGGER errand_stats_timeline_deleted AFTER DELETE ON order_timeline "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_stats_timeline_deleted()"
    )


def downgrade() -> None:
    for table, trigger in (
        ("orders", "errand_stats_order_inserted"),
        ("orders", "errand_stats_order_updated"),
        ("orders", "errand_stats_order_deleted"),
        ("order_timeline", "errand_stats_timeline_inserted"),
        ("order_timeline", "errand_stats_timeline_deleted"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    op.execute("DROP FUNCTION IF EXISTS errand_stats_bin(float8)")
    for table in (
        "errand_stats_state",
        "errand_stats_months",
        "errand_stats_courier_list",
        "errand_stats_couriers",
        "errand_stats_cells",
        "errand_stats_changes",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
