"""Offline checks of docker-compose.yml and deploy/Dockerfile (no Docker engine needed).

The fixtures load the compose file the way Compose does the parts that matter here: YAML with
merge keys (duplicate keys are an error, as in Compose), then variable interpolation of values
(`$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
`${VAR:+alt}`, `${VAR+alt}`) against an empty environment, i.e. what `docker compose up` sees on a
machine where nothing is configured yet (every variable must then fall back to its example).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_UniqueKeyLoader)


_VAR = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    rf"\$(?:(?P<escaped>\$)|\{{(?P<braced>{_VAR})(?:(?P<op>:?[-?+])(?P<arg>[^}}$]*))?\}}|(?P<bare>{_VAR}))"
)


@dataclass
class Interpolation:
    """Result of interpolating a compose document."""

    value: Any
    variables: dict[str, list[str | None]] = field(default_factory=dict)  # name -> defaults seen
    problems: list[str] = field(default_factory=list)


def interpolate(document: Any, env: Mapping[str, str]) -> Interpolation:
    result = Interpolation(value=None)

    def substitute(text: str, where: str) -> str:
        if "$" in _TOKEN.sub("", text):
            result.problems.append(f"{where}: unsupported or malformed substitution in {text!r}")

        def one(match: re.Match[str]) -> str:
            if match["escaped"]:
                return "$"
            name = match["braced"] or match["bare"]
            op, arg = match["op"], match["arg"]
            present = name in env
            value = env.get(name, "")
            result.variables.setdefault(name, []).append(arg if op in (":-", "-") else None)
            if op == ":-":
                return value if value else arg
            if op == "-":
                return value if present else arg
            if op in (":?", "?"):
                if (op == ":?" and not value) or (op == "?" and not present):
                    result.problems.append(f"{where}: required variable {name} is not set ({arg})")
                return value
            if op == ":+":
                return arg if value else ""
            if op == "+":
                return arg if present else ""
            if not present:
                result.problems.append(f"{where}: variable {name} has no default")
            return value

        return _TOKEN.sub(one, text)

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            # Compose interpolates values, never keys.
            return {key: walk(value, f"{where}.{key}") for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, f"{where}[{i}]") for i, item in enumerate(node)]
        if isinstance(node, str):
            return substitute(node, where)
        return node

    result.value = walk(document, "")
    return result


def environment_of(service: Mapping[str, Any]) -> dict[str, str | None]:
    """A compose service's `environment` (list or mapping form) as a dict; None = no value."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        out: dict[str, str | None] = {}
        for item in env:
            key, sep, value = item.partition("=")
            out[key] = value if sep else None
        return out
    return {key: None if value is None else _scalar_text(value) for key, value in env.items()}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_env_file(path: Path) -> dict[str, str]:
    """The subset of Compose's env_file syntax the examples use: KEY=VALUE, # comments."""
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        assert sep, f"{path}:{number}: not KEY=VALUE: {line!r}"
        assert re.fullmatch(_VAR, key), f"{path}:{number}: bad variable name {key!r}"
        assert key not in out, f"{path}:{number}: {key} set twice"
        out[key] = value
    return out


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    document = load_yaml(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    return document


@pytest.fixture(scope="session")
def compose_interpolation(compose_raw: dict[str, Any]) -> Interpolation:
    return interpolate(compose_raw, env={})


@pytest.fixture(scope="session")
def compose(compose_interpolation: Interpolation) -> dict[str, Any]:
    """docker-compose.yml as Compose sees it with no variables set (every example default)."""
    return compose_interpolation.value


@pytest.fixture(scope="session")
def service_env(compose: dict[str, Any]) -> Callable[[str], dict[str, str | None]]:
    def get(name: str) -> dict[str, str | None]:
        return environment_of(compose["services"][name])

    return get


@pytest.fixture(scope="session")
def read_env_file() -> Callable[[Path], dict[str, str]]:
    return parse_env_file
