from gateway.adapters.tables import metadata
from gateway.config import Settings
from servicekit.migrations import run_alembic_env

run_alembic_env(metadata, Settings)
