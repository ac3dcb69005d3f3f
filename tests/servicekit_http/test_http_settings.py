"""Settings: one env prefix per service, development defaults refused outside development."""

from __future__ import annotations

import importlib
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from servicekit.settings import DEV_AMQP_URL, DEV_DATABASE_HOST, BaseServiceSettings

SERVICES = {"errand": 8001, "reports": 8002, "forum": 8003, "gateway": 8000}
_KEY = Ed25519PrivateKey.generate()
PUBLIC_PEM = (
    _KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


def settings_class(service: str) -> type[BaseServiceSettings]:
    cls = importlib.import_module(f"{service}.config").Settings
    assert issubclass(cls, BaseServiceSettings)
    return cls


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the machine exports for the services must not decide these tests."""
    for name in list(os.environ):
        if name.startswith(("ERRAND_", "REPORTS_", "FORUM_", "GATEWAY_", "WEILINLI_")):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("service", SERVICES)
def test_defaults_are_fine_in_development(service: str) -> None:
    settings = settings_class(service)()
    assert settings.environment == "development"
    assert settings.service_name == service
    assert settings.http_port == SERVICES[service]
    assert settings.database_url.get_secret_value() == f"{DEV_DATABASE_HOST}/weilinli_{service}"
    assert settings.amqp_url.get_secret_value() == DEV_AMQP_URL
    assert settings.queue_name == f"{service}.events"
    assert settings.dead_letter_queue_name == f"{service}.events.dlq"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_only_its_own_prefix(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = service.upper()
    monkeypatch.setenv(f"{prefix}_HTTP_PORT", "9123")
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", f"{DEV_DATABASE_HOST}/custom_{service}")
    monkeypatch.setenv(f"{prefix}_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("WEILINLI_HTTP_PORT", "9999")  # the base prefix is nobody's
    for other, port in SERVICES.items():
        settings = settings_class(other)()
        if other == service:
            assert settings.http_port == 9123
            assert settings.database_url.get_secret_value() == f"{DEV_DATABASE_HOST}/custom_{service}"
            assert settings.log_level == "DEBUG"
        else:
            assert settings.http_port == port, other
            assert settings.database_url.get_secret_value() == f"{DEV_DATABASE_HOST}/weilinli_{other}"
            assert settings.log_level == "INFO"


def test_settings_are_frozen() -> None:
    settings = settings_class("errand")()
    with pytest.raises(ValidationError):
        settings.http_port = 1  # type: ignore[misc]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_all_defaults_are_refused(
    service: str, environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = service.upper()
    monkeypatch.setenv(f"{prefix}_ENVIRONMENT", environment)
    with pytest.raises(ValueError, match=f"{prefix}_AMQP_URL") as raised:
        settings_class(service)()
    message = str(raised.value)
    assert f"{prefix}_DATABASE_URL" in message
    assert f"{prefix}_JWT_PUBLIC_KEY" in message
    assert environment in message


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("AMQP_URL", "ERRAND_AMQP_URL"),
        ("DATABASE_URL", "ERRAND_DATABASE_URL"),
        ("JWT_PUBLIC_KEY", "ERRAND_JWT_PUBLIC_KEY"),
    ],
)
def test_production_names_the_one_default_left(
    missing: str, named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {
        "ENVIRONMENT": "production",
        "AMQP_URL": "amqp://errand:s3cret@rabbit:5672/weilinli",
        "DATABASE_URL": "postgresql+asyncpg://errand:s3cret@db:5432/errand",
        "JWT_PUBLIC_KEY": PUBLIC_PEM,
    }
    del values[missing]
    for name, value in values.items():
        monkeypatch.setenv(f"ERRAND_{name}", value)
    with pytest.raises(ValueError, match=named) as raised:
        settings_class("errand")()
    others = {f"ERRAND_{name}" for name in ("AMQP_URL", "DATABASE_URL", "JWT_PUBLIC_KEY")} - {named}
    for other in others:
        assert other not in str(raised.value)


def test_production_refuses_the_development_values_spelled_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERRAND_ENVIRONMENT", "production")
    monkeypatch.setenv("ERRAND_AMQP_URL", DEV_AMQP_URL)
    monkeypatch.setenv("ERRAND_DATABASE_URL", f"{DEV_DATABASE_HOST}/weilinli_errand")
    monkeypatch.setenv("ERRAND_JWT_PUBLIC_KEY", PUBLIC_PEM)
    with pytest.raises(ValueError, match="ERRAND_AMQP_URL, ERRAND_DATABASE_URL"):
        settings_class("errand")()


@pytest.mark.parametrize("service", SERVICES)
def test_production_with_explicit_values_starts(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = service.upper()
    monkeypatch.setenv(f"{prefix}_ENVIRONMENT", "production")
    monkeypatch.setenv(f"{prefix}_AMQP_URL", f"amqp://{service}:s3cret@rabbit:5672/weilinli")
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", f"postgresql+asyncpg://{service}:s3cret@db:5432/{service}")
    monkeypatch.setenv(f"{prefix}_JWT_PUBLIC_KEY", PUBLIC_PEM)
    if service == "gateway":  # the gateway also signs, so it needs the private half as well
        monkeypatch.setenv("GATEWAY_JWT_PRIVATE_KEY", PRIVATE_PEM)
    settings = settings_class(service)()
    assert settings.environment == "production"
    assert settings.jwt_public_key == PUBLIC_PEM
    assert "s3cret" not in repr(settings)  # secrets stay out of reprs and logs
    assert "PRIVATE KEY" not in repr(settings)


def test_a_public_key_file_is_enough_in_production(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "jwt.pub.pem"
    key_file.write_text(PUBLIC_PEM)
    settings = settings_class("reports")(
        environment="production",
        amqp_url="amqp://reports:s3cret@rabbit:5672/",
        database_url="postgresql+asyncpg://reports:s3cret@db/reports",
        jwt_public_key_file=key_file,
    )
    assert settings.jwt_public_key_file == key_file


def test_the_default_database_follows_the_service_name() -> None:
    settings = settings_class("forum")(service_name="forum2")
    assert settings.database_url.get_secret_value() == f"{DEV_DATABASE_HOST}/weilinli_forum2"
