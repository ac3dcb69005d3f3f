from reports.adapters.tables import metadata
from reports.config import Settings
from servicekit.migrations import run_alembic_env

run_alembic_env(metadata, Settings)
