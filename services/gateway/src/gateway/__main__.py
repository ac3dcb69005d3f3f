"""`python -m gateway`: migrate the gateway database and serve the service."""

from gateway.config import Settings
from gateway.main import MIGRATIONS, create_app
from servicekit.serve import serve

if __name__ == "__main__":
    serve(Settings(), create_app, MIGRATIONS)
