"""deploy/k8s/: each overlay renders offline (tests/deploy/kustomize.py) and every object is valid
against the Kubernetes schemas (kubernetes-validate, strict: no unknown fields); every service has
its Deployment, Service, HPA, PDB, NetworkPolicy, ConfigMap and Secret, probes and resources; only
the gateway is reachable from outside; the settings are real fields of each service's Settings and
start it in production; all replicas' pools fit the PostgreSQL of the operator example.

A new service (e.g. payments) is one directory written by deploy/k8s/scaffold.py and one line in
base/kustomization.yaml; SERVICES below is read from that list, so it is checked at once."""

from __future__ import annotations

import importlib
import os
import runpy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.kustomize import render

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
SERVICES = [
    entry
    for entry in yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())["resources"]
    if entry != "common"
]
PER_SERVICE_KINDS = {
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}
MAX_CONNECTIONS_KEY = "max_connections"
# The services that keep photos (servicekit.photos.PhotoSettings).
PHOTO_SERVICES = ("errand", "reports")
SUPERUSER_RESERVED = 3
ADMIN_HEADROOM = 10


def rendered(overlay: str) -> list[dict[str, Any]]:
    return render(K8S / "overlays" / overlay)


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def settings_class(service: str) -> Any:
    return importlib.import_module(f"{service}.config").Settings


def env_of(docs: list[dict[str, Any]], service: str) -> dict[str, str]:
    config = find(docs, "ConfigMap", f"{service}-config")["data"]
    secrets = find(docs, "Secret", f"{service}-secrets")["stringData"]
    return {**config, **secrets}


def test_services_are_the_repositorys() -> None:
    assert {"gateway", "errand", "reports", "forum"} <= set(SERVICES)
    for service in SERVICES:
        assert (K8S / "base" / service / "kustomization.yaml").is_file()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay: str) -> None:
    docs = rendered(overlay)
    assert len(docs) >= 7 * len(SERVICES)
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["metadata"]["namespace"] == "weilinli"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_objects_probes_and_resources(overlay: str, service: str) -> None:
    docs = rendered(overlay)
    for kind in PER_SERVICE_KINDS:
        find(docs, kind, service)
    deployment = find(docs, "Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert probe in container, probe
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    for part in [container, *pod["initContainers"]]:
        assert part["resources"]["requests"]["cpu"]
        assert part["resources"]["requests"]["memory"]
        assert part["resources"]["limits"]["memory"]
    [init] = pod["initContainers"]
    assert init["command"] == ["python", "-m", service, "migrate"]
    hpa = find(docs, "HorizontalPodAutoscaler", service)
    assert hpa["spec"]["scaleTargetRef"]["name"] == service
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    pdb = find(docs, "PodDisruptionBudget", service)
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node can always be drained


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_is_reachable_from_outside(overlay: str) -> None:
    docs = rendered(overlay)
    deny = find(docs, "NetworkPolicy", "default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    [ingress] = [d for d in docs if d["kind"] == "Ingress"]
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"gateway"}
    for service in SERVICES:
        assert find(docs, "Service", service)["spec"].get("type", "ClusterIP") == "ClusterIP"
        policy = find(docs, "NetworkPolicy", service)
        sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        namespaces = {
            p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for p in sources
            if "namespaceSelector" in p
        }
        pods = [p["podSelector"]["matchLabels"] for p in sources if "podSelector" in p]
        if service == "gateway":
            assert namespaces == {"ingress-nginx", "monitoring"}
            assert pods == []
        else:
            assert namespaces == {"monitoring"}
            assert pods == [{"app.kubernetes.io/name": "gateway"}]


@pytest.mark.parametrize("service", SERVICES)
def test_settings_are_real_fields_and_start_the_service_in_production(
    service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    docs = rendered(OVERLAYS[0])
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix"))
    env = env_of(docs, service)
    unknown = [k for k in env if not k.startswith(prefix) or k[len(prefix) :].lower() not in cls.model_fields]
    assert unknown == []
    for required in (
        "DATABASE_URL",
        "AMQP_URL",
        "REDIS_URL",
        "JWT_PUBLIC_KEY_FILE",
        "ENVIRONMENT",
        "HTTP_PORT",
    ):
        assert f"{prefix}{required}" in env
    port = find(docs, "Service", service)["spec"]["ports"][0]["port"]
    assert env[f"{prefix}HTTP_PORT"] == str(port)
    public_key = tmp_path / "jwt_public_key"
    public_key.write_text("-----BEGIN PUBLIC KEY-----\nplaceholder\n-----END PUBLIC KEY-----\n")
    for key in list(os.environ):
        if key.startswith(prefix):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(f"{prefix}JWT_PUBLIC_KEY_FILE", str(public_key))
    if service == "gateway":
        monkeypatch.setenv("GATEWAY_JWT_PRIVATE_KEY_FILE", str(public_key))
    settings = cls()
    assert settings.environment == "production"
    assert settings.http_port == port
    # Replicas share photos only through object storage.
    assert getattr(settings, "photo_storage", None) == ("s3" if service in PHOTO_SERVICES else None)
    # The measured resources hold for two decoder processes, whatever the node's core count.
    assert getattr(settings, "photo_decode_workers", None) == (2 if service in PHOTO_SERVICES else None)
    if service == "gateway":
        for upstream, url in settings.upstreams.items():
            assert url == f"http://{upstream}:{find(docs, 'Service', upstream)['spec']['ports'][0]['port']}"


def postgres_max_connections() -> int:
    docs = list(yaml.safe_load_all((K8S / "operators" / "cloudnativepg-cluster.yaml").read_text()))
    [cluster] = [d for d in docs if d["kind"] == "Cluster"]
    return int(cluster["spec"]["postgresql"]["parameters"][MAX_CONNECTIONS_KEY])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_replica_at_the_autoscalers_maximum_fits_postgresql(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Σ over services of maxReplicas x max_db_connections (pool + overflow + LISTEN + migration),
    plus ADMIN_HEADROOM, within max_connections - superuser_reserved. The small overlay must fit
    PostgreSQL's default 100 (DESIGN §10); the district one the CloudNativePG example's."""
    docs = rendered(overlay)
    limit = 100 if overlay == "small" else postgres_max_connections()
    total = 0
    for service in SERVICES:
        cls = settings_class(service)
        prefix = str(cls.model_config.get("env_prefix"))
        config = find(docs, "ConfigMap", f"{service}-config")["data"]
        values = {k[len(prefix) :].lower(): v for k, v in config.items() if k.startswith(prefix)}
        # Only the arithmetic is wanted here, not the checks that need the Secret's values.
        values.pop("environment")
        values.pop("photo_storage", None)
        per_pod = cls.model_validate(values).max_db_connections
        total += find(docs, "HorizontalPodAutoscaler", service)["spec"]["maxReplicas"] * per_pod
    assert total + ADMIN_HEADROOM <= limit - SUPERUSER_RESERVED, (overlay, total, limit)


def test_operator_examples_parse_and_name_what_the_secrets_point_at() -> None:
    cnpg = list(yaml.safe_load_all((K8S / "operators" / "cloudnativepg-cluster.yaml").read_text()))
    rabbit = yaml.safe_load((K8S / "operators" / "rabbitmq-cluster.yaml").read_text())
    assert {d["kind"] for d in cnpg} == {"Cluster", "ScheduledBackup"}
    assert rabbit["kind"] == "RabbitmqCluster"
    assert rabbit["spec"]["replicas"] >= 3  # quorum queues
    docs = rendered(OVERLAYS[0])
    for service in SERVICES:
        env = env_of(docs, service)
        assert f"@{cnpg[0]['metadata']['name']}-rw:5432/" in next(
            v for k, v in env.items() if k.endswith("DATABASE_URL")
        )
        assert f"@{rabbit['metadata']['name']}:5672/" in next(
            v for k, v in env.items() if k.endswith("AMQP_URL")
        )


def test_the_scaffold_writes_what_base_holds() -> None:
    """The committed directories are the scaffold's output (plus the gateway's upstream settings),
    so a new service gets the same shape."""
    module = runpy.run_path(str(K8S / "scaffold.py"))
    for service in SERVICES:
        port = yaml.safe_load((K8S / "base" / service / "service.yaml").read_text())["spec"]["ports"][0][
            "port"
        ]
        expected = module["files"](service, port, f"{service.upper()}_")
        for name, body in expected.items():
            actual = (K8S / "base" / service / name).read_text()
            if (service == "gateway" and name == "configmap.yaml") or (
                service in PHOTO_SERVICES and name in {"configmap.yaml", "secret.yaml"}
            ):
                assert actual.startswith(body)
            else:
                assert actual == body, (service, name)


def test_an_invalid_object_is_refused() -> None:
    """The validation is real: a misspelt field in a Deployment fails it."""
    deployment = find(rendered(OVERLAYS[0]), "Deployment", "errand")
    deployment["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
