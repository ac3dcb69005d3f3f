"""The shape of docker-compose.yml: services, images, health, start order, ports, volumes, secrets."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = {"gateway": 8000, "errand": 8001, "reports": 8002, "forum": 8003, "payments": 8004}
INFRA = {
    "postgres": ("postgres:15", "pg_isready"),
    "redis": ("redis:7", "redis-cli"),
    "rabbitmq": ("rabbitmq:3.10-management", "rabbitmq-diagnostics"),
    "minio": ("minio/minio:RELEASE.2025-04-22T22-12-26Z", "mc ready local"),
}
# Infrastructure every app waits for; MinIO only the apps that keep photos wait for.
SHARED_INFRA = ("postgres", "redis", "rabbitmq")
PHOTO_APPS = ("errand", "reports")

app_names = pytest.mark.parametrize("name", list(APPS))


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test must start with CMD or CMD-SHELL: {test}"
    return " ".join(test[1:])


def _published(port: Any) -> tuple[str | None, str]:
    """(published, target) of a `ports` entry, short or long syntax."""
    if isinstance(port, dict):
        published = port.get("published")
        return (None if published is None else str(published), str(port["target"]))
    text = str(port).split("/")[0]
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return None, parts[0]
    return parts[-2], parts[-1]


def _named_volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume["type"] == "volume":
                mounts[volume["source"]] = volume["target"]
            continue
        source, _, rest = volume.partition(":")
        if source and not source.startswith((".", "/", "~")):
            mounts[source] = rest.split(":")[0]
    return mounts


def test_the_eight_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == set(APPS) | set(INFRA)


@pytest.mark.parametrize("name", list(INFRA))
def test_infrastructure_image_and_healthcheck(name: str, compose: dict[str, Any]) -> None:
    image, probe = INFRA[name]
    service = compose["services"][name]
    assert service["image"] == image
    assert "build" not in service
    assert probe in _healthcheck_command(service)
    assert not service["healthcheck"].get("disable", False)


def test_rabbitmq_keeps_its_node_name_across_recreation(compose: dict[str, Any]) -> None:
    assert compose["services"]["rabbitmq"].get("hostname") == "rabbitmq"


def test_redis_healthcheck_authenticates(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert "--requirepass" in redis["command"]
    assert "REDISCLI_AUTH" in redis["environment"]


@pytest.mark.parametrize(
    ("service", "volume", "target"),
    [
        ("postgres", "postgres-data", "/var/lib/postgresql/data"),
        ("rabbitmq", "rabbitmq-data", "/var/lib/rabbitmq"),
        ("minio", "minio-data", "/data"),
    ],
)
def test_infrastructure_data_lives_in_named_volumes(
    compose: dict[str, Any], service: str, volume: str, target: str
) -> None:
    assert _named_volume_mounts(compose["services"][service]).get(volume) == target
    assert volume in (compose.get("volumes") or {})


def test_every_named_volume_used_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        undeclared = set(_named_volume_mounts(service)) - declared
        assert not undeclared, f"{name} uses undeclared volumes {undeclared}"


def test_bind_mounted_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).is_file(), f"{name}: {source} does not exist"


@app_names
def test_app_service_is_built_from_the_shared_dockerfile(name: str, compose: dict[str, Any]) -> None:
    build = compose["services"][name]["build"]
    assert isinstance(build, dict)
    assert build["context"] == "."
    assert build["dockerfile"] == "deploy/Dockerfile"
    assert (REPO_ROOT / build["context"] / build["dockerfile"]).is_file()
    args = build["args"]
    if isinstance(args, list):
        args = dict(arg.split("=", 1) for arg in args)
    assert args["SERVICE"] == name
    assert str(args.get("HTTP_PORT")) == str(APPS[name])


@app_names
def test_app_healthcheck_probes_readiness_on_its_own_port(name: str, compose: dict[str, Any]) -> None:
    service = compose["services"][name]
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the image has python, not curl"
    source = test[3]
    ast.parse(source)  # the one-liner must at least be valid Python
    assert f"http://127.0.0.1:{APPS[name]}/health/ready" in source
    assert "start_period" in service["healthcheck"], "migrations run before the server starts"


@app_names
def test_app_waits_for_healthy_infrastructure(name: str, compose: dict[str, Any]) -> None:
    depends_on = compose["services"][name]["depends_on"]
    assert isinstance(depends_on, dict), "use the long form with conditions"
    for infra in SHARED_INFRA + (("minio",) if name in PHOTO_APPS else ()):
        assert depends_on.get(infra, {}).get("condition") == "service_healthy", f"{name} -> {infra}"
    assert ("minio" in depends_on) == (name in PHOTO_APPS), name


def test_gateway_waits_for_healthy_services(compose: dict[str, Any]) -> None:
    depends_on = compose["services"]["gateway"]["depends_on"]
    for upstream in ("errand", "reports", "forum", "payments"):
        assert depends_on.get(upstream, {}).get("condition") == "service_healthy", upstream


def test_only_the_gateway_depends_on_other_app_services(compose: dict[str, Any]) -> None:
    # Services talk through events only (docs/architecture.md §1); only the edge waits for them.
    for name in set(APPS) - {"gateway"}:
        assert not set(compose["services"][name]["depends_on"]) & set(APPS), name


def test_gateway_publishes_8000(compose: dict[str, Any]) -> None:
    ports = [_published(port) for port in compose["services"]["gateway"].get("ports", [])]
    assert ("8000", "8000") in ports


@app_names
def test_only_the_gateway_is_published(name: str, compose: dict[str, Any]) -> None:
    if name != "gateway":
        assert not compose["services"][name].get("ports"), f"{name} must stay inside the compose network"


def test_infrastructure_is_not_published_beyond_loopback(compose: dict[str, Any]) -> None:
    for name in INFRA:
        for port in compose["services"][name].get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).rsplit(":", 2)[0]
            assert host_ip == "127.0.0.1", f"{name} publishes {port} on all interfaces"


def test_jwt_keys_are_file_secrets_and_only_the_gateway_sees_the_private_key(compose: dict[str, Any]) -> None:
    secrets = compose["secrets"]
    assert secrets["jwt_private_key"]["file"].startswith("./deploy/secrets/")
    assert secrets["jwt_public_key"]["file"].startswith("./deploy/secrets/")
    for name in APPS:
        mounted = {
            entry if isinstance(entry, str) else entry["source"]
            for entry in compose["services"][name]["secrets"]
        }
        assert "jwt_public_key" in mounted, name
        assert ("jwt_private_key" in mounted) == (name == "gateway"), name


def test_env_file_examples_exist(compose: dict[str, Any]) -> None:
    for name in APPS:
        for entry in compose["services"][name].get("env_file", []):
            path = entry if isinstance(entry, str) else entry["path"]
            assert (REPO_ROOT / f"{path}.example").is_file(), f"{path}.example is missing"
