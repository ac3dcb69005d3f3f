from payments.adapters.tables import metadata
from payments.config import Settings
from servicekit.migrations import run_alembic_env

run_alembic_env(metadata, Settings)
