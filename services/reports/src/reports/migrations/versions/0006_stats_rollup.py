"""Statistics rollup (issue 16.1): every change to a report's statistics appends a signed change
row in the same transaction (statement triggers with transition tables: no row is shared between
writers, so submissions never queue behind each other); the stats fold job moves them into
per-day and per-month cells per category, staff and community, with log-binned histograms of
the time to accept and to resolve (as arrays for the fold, and the same as packed big-endian
(bin, count) pairs for the reader: array_send cost ~11 us an array). See
reports.service_layer.fast_stats.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What one report contributes to /stats (the same columns as stats._STATS_SQL reads).
_CONTRIBUTION = (
    "{r}.community_id, {r}.submitted_at, {r}.category, COALESCE({r}.assignee_id::text, ''), "
    "extract(epoch FROM {r}.accepted_at - {r}.submitted_at)::float8, "
    "extract(epoch FROM {r}.first_resolved_at - {r}.submitted_at)::float8, "
    "({r}.accept_breached_at IS NOT NULL OR {r}.resolve_breached_at IS NOT NULL), "
    "{r}.reopen_count > 0, {r}.first_resolved_at IS NOT NULL, {r}.rating_overall"
)
_KEY = (
    "({r}.community_id, {r}.submitted_at, {r}.category, {r}.assignee_id, {r}.accepted_at, "
    "{r}.first_resolved_at, ({r}.accept_breached_at IS NOT NULL OR {r}.resolve_breached_at IS NOT NULL), "
    "{r}.reopen_count > 0, {r}.rating_overall)"
)
_COLUMNS = "community_id, submitted_at, category, staff, accept_s, resolve_s, breached, reopened, resolved, rating, sign"


_INSERTED = "INSERT INTO report_stats_changes ({columns}) SELECT {new}, 1 FROM new_rows n"
_DELETED = "INSERT INTO report_stats_changes ({columns}) SELECT {old}, -1 FROM old_rows o"
_UPDATED = (
    "INSERT INTO report_stats_changes ({columns}) "
    "SELECT c.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
    "CROSS JOIN LATERAL (VALUES ({old}, -1), ({new}, 1)) AS c "
    "WHERE {old_key} IS DISTINCT FROM {new_key}"
)


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
CREATE TABLE report_stats_changes (
    id bigserial PRIMARY KEY,
    community_id uuid NOT NULL,
    submitted_at timestamptz NOT NULL,
    category varchar(64) NOT NULL,
    staff text NOT NULL,
    accept_s float8,
    resolve_s float8,
    breached boolean NOT NULL,
    reopened boolean NOT NULL,
    resolved boolean NOT NULL,
    rating smallint,
    sign smallint NOT NULL
)"""
    )
    op.execute(
        "CREATE INDEX ix_report_stats_changes_span ON report_stats_changes (community_id, submitted_at)"
    )
    op.execute(
        """
CREATE TABLE report_stats_cells (
    community_id uuid NOT NULL,
    grain char(1) NOT NULL,
    period date NOT NULL,
    dim char(1) NOT NULL,
    key text NOT NULL,
    count integer NOT NULL,
    resolved integer NOT NULL,
    breached integer NOT NULL,
    reopened integer NOT NULL,
    ratings integer NOT NULL,
    rating_sum integer NOT NULL,
    accept_bins integer[] NOT NULL,
    accept_counts integer[] NOT NULL,
    resolve_bins integer[] NOT NULL,
    resolve_counts integer[] NOT NULL,
    accept_hist bytea NOT NULL,
    resolve_hist bytea NOT NULL,
    PRIMARY KEY (community_id, grain, period, dim, key)
)"""
    )
    op.execute(
        "CREATE TABLE report_stats_state (id smallint PRIMARY KEY CHECK (id = 1), "
        "timezone text NOT NULL, built_at timestamptz NOT NULL)"
    )
    # Log bins: bin i >= 1 holds [0.01 s * 1.01^(i-1), 0.01 s * 1.01^i), 0 holds |x| < 0.01 s,
    # negative values mirror. Immutable, so the fold and the reader always agree on a bin.
    op.execute(
        """
CREATE FUNCTION report_stats_bin(x float8) RETURNS integer IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
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
    for name, template in (
        ("report_stats_inserted", _INSERTED),
        ("report_stats_deleted", _DELETED),
        ("report_stats_updated", _UPDATED),
    ):
        op.execute(_function(name, template.format(**parts)))
    for event, table, function in (
        ("INSERT", "NEW TABLE AS new_rows", "report_stats_inserted"),
        ("DELETE", "OLD TABLE AS old_rows", "report_stats_deleted"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "report_stats_updated"),
    ):
        op.execute(
            f"CREATE TRIGGER {function} AFTER {event} ON reports REFERENCING {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    for function in ("report_stats_inserted", "report_stats_deleted", "report_stats_updated"):
        op.execute(f"DROP TRIGGER IF EXISTS {function} ON reports")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP FUNCTION IF EXISTS report_stats_bin(float8)")
    op.execute("DROP TABLE IF EXISTS report_stats_state")
    op.execute("DROP TABLE IF EXISTS report_stats_cells")
    op.execute("DROP TABLE IF EXISTS report_stats_changes")
