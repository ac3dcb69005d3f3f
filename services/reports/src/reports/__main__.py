"""`python -m reports`: migrate the reports database and serve the service."""

from reports.config import Settings
from reports.main import MIGRATIONS, create_app
from servicekit.serve import serve

if __name__ == "__main__":
    serve(Settings(), create_app, MIGRATIONS)
