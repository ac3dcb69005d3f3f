"""`python -m forum`: migrate the forum database and serve the service."""

from forum.config import Settings
from forum.main import MIGRATIONS, create_app
from servicekit.serve import serve

if __name__ == "__main__":
    serve(Settings(), create_app, MIGRATIONS)
