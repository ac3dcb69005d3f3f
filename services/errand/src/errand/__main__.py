"""`python -m errand`: migrate the errand database and serve the service."""

from errand.config import Settings
from errand.main import MIGRATIONS, create_app
from servicekit.serve import serve

if __name__ == "__main__":
    serve(Settings(), create_app, MIGRATIONS)
