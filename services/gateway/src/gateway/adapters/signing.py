"""The gateway's token signer: the private key from settings, or in development a local key pair
whose public half the services load too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from fastapi import FastAPI

from gateway.config import Settings
from servicekit.auth import ensure_dev_keypair
from servicekit.health import HealthCheck
from servicekit.runtime import ServiceRuntime
from servicekit.settings import LOCAL_STATE_DIR
from servicekit.tokens import TokenSigner


def load_signer(settings: Settings) -> TokenSigner:
    pem = settings.jwt_private_key.get_secret_value()
    if not pem and settings.jwt_private_key_file:
        pem = Path(settings.jwt_private_key_file).read_text()
    if not pem:
        # Only reachable in development: the settings refuse a missing key elsewhere.
        private_path, _ = ensure_dev_keypair(LOCAL_STATE_DIR / "keys")
        pem = private_path.read_text()
    return TokenSigner.from_pem(pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience)


@contextlib.asynccontextmanager
async def token_signer(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    app.state.token_signer = load_signer(settings)
    yield {}
