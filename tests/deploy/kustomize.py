"""A minimal offline kustomize for the tests: enough of `kubectl kustomize` to render
deploy/k8s/overlays/* (no kustomize binary on these machines, none downloaded at test time).

Supported: `resources` (files and directories with a kustomization.yaml), `namespace`, and
`patches` given by `path` with a `target` of `kind` (and optionally `name`), applied as strategic
merge patches (maps merge; lists of maps with a `name` merge by name; other lists replace). Anything
else in a kustomization.yaml is refused, so the tests never pass on something they did not render.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def render(directory: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    documents: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            documents.extend(render(path))
        else:
            documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in kustomization.get("patches", []):
        body = yaml.safe_load((directory / patch["path"]).read_text())
        target = patch["target"]
        matched = [
            doc
            for doc in documents
            if doc["kind"] == target["kind"]
            and ("name" not in target or doc["metadata"]["name"] == target["name"])
        ]
        if not matched:
            raise ValueError(f"{directory}: patch {patch['path']} matches nothing")
        for doc in matched:
            merged = merge(
                doc, {k: v for k, v in body.items() if k not in ("metadata", "apiVersion", "kind")}
            )
            doc.clear()
            doc.update(merged)
    namespace = kustomization.get("namespace")
    if namespace:
        for doc in documents:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = namespace
    seen: set[tuple[str, str]] = set()
    for doc in documents:
        key = (doc["kind"], doc["metadata"]["name"])
        if key in seen:
            raise ValueError(f"{directory}: {key} defined twice")
        seen.add(key)
    return documents


def merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        result = copy.deepcopy(base)
        for key, value in patch.items():
            result[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return result
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in base + patch)
    ):
        by_name = {item["name"]: item for item in base}
        result = [merge(by_name[item["name"]], item) if item["name"] in by_name else item for item in patch]
        patched = {item["name"] for item in patch}
        return [copy.deepcopy(item) for item in base if item["name"] not in patched] + result
    return copy.deepcopy(patch)
