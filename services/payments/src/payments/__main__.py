"""`python -m payments`: migrate the payments database and serve the service."""

from payments.config import Settings
from payments.main import MIGRATIONS, create_app
from servicekit.serve import serve

if __name__ == "__main__":
    serve(Settings(), create_app, MIGRATIONS)
