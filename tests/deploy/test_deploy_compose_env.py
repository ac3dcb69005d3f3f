"""The environment docker-compose.yml gives each service is one its Settings class accepts.

Every `<PREFIX>...` variable must name a real field (a typo would be silently ignored by
pydantic-settings), and the services must start in `production` with exactly that environment:
no development default left, URLs pointing at the compose hostnames, credentials matching the
infrastructure containers' own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic_settings import BaseSettings

from errand.config import Settings as ErrandSettings
from forum.config import Settings as ForumSettings
from gateway.config import Settings as GatewaySettings
from payments.config import Settings as PaymentsSettings
from reports.config import Settings as ReportsSettings

SERVICES: dict[str, tuple[str, int, type[BaseSettings]]] = {
    "gateway": ("GATEWAY_", 8000, GatewaySettings),
    "errand": ("ERRAND_", 8001, ErrandSettings),
    "reports": ("REPORTS_", 8002, ReportsSettings),
    "forum": ("FORUM_", 8003, ForumSettings),
    "payments": ("PAYMENTS_", 8004, PaymentsSettings),
}
ENV_DIR = Path(__file__).resolve().parents[2] / "deploy" / "env"
SECRETS_DIR = "/run/secrets"

service_names = pytest.mark.parametrize("name", list(SERVICES))


def _prefixed(env: dict[str, str | None], prefix: str) -> dict[str, str | None]:
    return {key: value for key, value in env.items() if key.upper().startswith(prefix)}


def _field_names(settings_cls: type[BaseSettings]) -> set[str]:
    return {field.lower() for field in settings_cls.model_fields}


def _secret_mounts(compose: dict[str, Any], name: str) -> dict[str, str]:
    """Container path -> top-level secret name, for the secrets a service mounts."""
    mounts: dict[str, str] = {}
    for entry in compose["services"][name].get("secrets", []):
        if isinstance(entry, str):
            mounts[f"{SECRETS_DIR}/{entry}"] = entry
        else:
            target = entry.get("target") or entry["source"]
            path = target if target.startswith("/") else f"{SECRETS_DIR}/{target}"
            mounts[path] = entry["source"]
    return mounts


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stand-ins for deploy/secrets/*.pem: a real Ed25519 pair, keyed 'private' / 'public'."""
    directory = tmp_path_factory.mktemp("secrets")
    private = Ed25519PrivateKey.generate()
    files = {
        "private": (
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        "public": private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    paths = {}
    for kind, content in files.items():
        paths[kind] = directory / f"jwt_{kind}_key.pem"
        paths[kind].write_bytes(content)
    return paths


def _instantiate(
    monkeypatch: pytest.MonkeyPatch,
    compose: dict[str, Any],
    name: str,
    env: dict[str, str | None],
    key_files: dict[str, Path],
) -> Any:
    """Settings of `name` built from exactly `env` (secret paths redirected to real key files)."""
    prefix, _, settings_cls = SERVICES[name]
    for key in list(os.environ):
        if key.upper().startswith(prefix):
            monkeypatch.delenv(key)
    mounts = _secret_mounts(compose, name)
    for key, value in env.items():
        assert value is not None, f"{name}: {key} has no value in docker-compose.yml"
        if value.startswith(f"{SECRETS_DIR}/"):
            assert value in mounts, f"{name}: {key}={value} but that secret is not mounted in {name}"
            host_file = compose["secrets"][mounts[value]]["file"]
            value = str(key_files["private" if "private" in host_file else "public"])
        monkeypatch.setenv(key, value)
    return settings_cls()


@service_names
def test_prefixed_variables_name_real_settings_fields(name: str, service_env) -> None:
    prefix, _, settings_cls = SERVICES[name]
    env = _prefixed(service_env(name), prefix)
    assert env, f"{name} sets no {prefix}* variables"
    unknown = sorted(key for key in env if key[len(prefix) :].lower() not in _field_names(settings_cls))
    assert unknown == [], f"{name}: not fields of {settings_cls.__module__}.Settings: {unknown}"


@service_names
def test_no_variable_of_another_service_is_set(name: str, service_env) -> None:
    foreign = [p for other, (p, _, _) in SERVICES.items() if other != name]
    stray = sorted(key for key in service_env(name) if key.upper().startswith(tuple(foreign)))
    assert stray == []


@service_names
def test_settings_start_in_production_with_the_compose_environment(
    name: str, compose: dict[str, Any], service_env, monkeypatch: pytest.MonkeyPatch, key_files
) -> None:
    prefix, port, _ = SERVICES[name]
    settings = _instantiate(monkeypatch, compose, name, _prefixed(service_env(name), prefix), key_files)

    assert settings.environment == "production"
    assert settings.service_name == name
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == port

    database = urlsplit(settings.database_url.get_secret_value())
    assert database.scheme == "postgresql+asyncpg"
    assert (database.hostname, database.port, database.path) == ("postgres", 5432, f"/weilinli_{name}")

    amqp = urlsplit(settings.amqp_url.get_secret_value())
    assert (amqp.scheme, amqp.hostname, amqp.port) == ("amqp", "rabbitmq", 5672)

    redis = urlsplit(settings.redis_url)
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)

    # The key files do not exist here; the path must be set and point at a mounted secret.
    public_key_path = service_env(name)[f"{prefix}JWT_PUBLIC_KEY_FILE"]
    assert public_key_path in _secret_mounts(compose, name)
    assert settings.jwt_public_key_file is not None


@service_names
@pytest.mark.parametrize("dropped", ["DATABASE_URL", "AMQP_URL", "JWT_PUBLIC_KEY_FILE"])
def test_without_a_compose_secret_production_start_is_refused(
    name: str, dropped: str, compose: dict[str, Any], service_env, monkeypatch, key_files
) -> None:
    # Proves the check above runs with the development defaults refused (environment=production).
    prefix = SERVICES[name][0]
    env = _prefixed(service_env(name), prefix)
    assert env.pop(f"{prefix}{dropped}", None) is not None, f"{name}: {prefix}{dropped} not set"
    # The key-file setting is reported under the name of the key it stands for.
    with pytest.raises(ValueError, match=f"{prefix}{dropped.removesuffix('_FILE')}"):
        _instantiate(monkeypatch, compose, name, env, key_files)


def test_gateway_routes_to_the_compose_services_and_holds_the_private_key(
    compose: dict[str, Any], service_env, monkeypatch: pytest.MonkeyPatch, key_files
) -> None:
    settings = _instantiate(
        monkeypatch, compose, "gateway", _prefixed(service_env("gateway"), "GATEWAY_"), key_files
    )
    for upstream, url in settings.upstreams.items():
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port) == ("http", upstream, SERVICES[upstream][1])
        assert service_env(upstream)[f"{SERVICES[upstream][0]}HTTP_PORT"] == str(parts.port)
    assert service_env("gateway")["GATEWAY_JWT_PRIVATE_KEY_FILE"] in _secret_mounts(compose, "gateway")
    assert settings.jwt_private_key_file


def test_credentials_match_the_infrastructure_containers(compose: dict[str, Any], service_env) -> None:
    postgres = service_env("postgres")
    rabbitmq = service_env("rabbitmq")
    redis_command = compose["services"]["redis"]["command"]
    assert isinstance(redis_command, list), "keep the redis command in list form"
    redis_password = redis_command[redis_command.index("--requirepass") + 1]
    assert service_env("redis")["REDISCLI_AUTH"] == redis_password

    for name, (prefix, _, _) in SERVICES.items():
        env = service_env(name)
        database = urlsplit(env[f"{prefix}DATABASE_URL"])
        assert (database.username, database.password) == (
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
        ), name
        amqp = urlsplit(env[f"{prefix}AMQP_URL"])
        assert (amqp.username, amqp.password) == (
            rabbitmq["RABBITMQ_DEFAULT_USER"],
            rabbitmq["RABBITMQ_DEFAULT_PASS"],
        ), name
        assert amqp.path == "/", f"{name}: the default vhost / is the one RabbitMQ creates"
        assert urlsplit(env[f"{prefix}REDIS_URL"]).password == redis_password, name


@pytest.mark.parametrize("name", ["errand", "reports"])
def test_photo_services_keep_photos_in_the_compose_minio(
    name: str, compose: dict[str, Any], service_env, monkeypatch: pytest.MonkeyPatch, key_files
) -> None:
    prefix = SERVICES[name][0]
    minio = service_env("minio")
    settings = _instantiate(monkeypatch, compose, name, _prefixed(service_env(name), prefix), key_files)
    assert settings.photo_storage == "s3"
    endpoint = urlsplit(settings.photo_s3_endpoint)
    assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "minio", 9000)
    assert settings.photo_s3_access_key.get_secret_value() == minio["MINIO_ROOT_USER"]
    assert settings.photo_s3_secret_key.get_secret_value() == minio["MINIO_ROOT_PASSWORD"]


@service_names
def test_env_file_example_tunes_real_fields_and_is_accepted(
    name: str, compose: dict[str, Any], service_env, read_env_file, monkeypatch, key_files
) -> None:
    prefix, _, settings_cls = SERVICES[name]
    entries = compose["services"][name].get("env_file", [])
    paths = [entry if isinstance(entry, str) else entry["path"] for entry in entries]
    assert paths == [f"deploy/env/{name}.env"]
    assert all(isinstance(entry, dict) and entry.get("required") is False for entry in entries), (
        "the env file is optional tuning: mark it required: false"
    )

    example = read_env_file(ENV_DIR / f"{name}.env.example")
    assert example, f"deploy/env/{name}.env.example is empty"
    assert all(key.startswith(prefix) for key in example)
    unknown = sorted(key for key in example if key[len(prefix) :].lower() not in _field_names(settings_cls))
    assert unknown == []
    compose_env = _prefixed(service_env(name), prefix)
    shadowed = sorted(set(example) & set(compose_env))
    assert shadowed == [], f"set in docker-compose.yml's environment (which wins), not here: {shadowed}"

    settings = _instantiate(monkeypatch, compose, name, {**example, **compose_env}, key_files)
    assert settings.environment == "production"


def test_compose_env_example_lists_every_interpolated_variable_with_its_default(
    compose_interpolation, read_env_file
) -> None:
    example = read_env_file(ENV_DIR / "compose.env.example")
    variables = compose_interpolation.variables
    assert sorted(example) == sorted(variables)
    for variable, defaults in variables.items():
        # One variable, one default everywhere it is used (e.g. the postgres password in the
        # postgres container and in the four database URLs).
        assert len(set(defaults)) == 1, f"{variable} has different defaults: {sorted(map(str, defaults))}"
        assert example[variable] == defaults[0], f"compose.env.example {variable} != compose default"
