"""Services share only libs/ and events (docs/architecture.md §1): no service imports another service, and
the libraries never import a service."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "src" / path.name).is_dir())
LIBS = sorted(path.name for path in (ROOT / "libs").iterdir() if (path / "src" / path.name).is_dir())


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) for every absolute import, and for importlib calls with a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"import_module", "__import__"} and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield node.lineno, first.value.split(".")[0]


def sources(kind: str, name: str) -> list[Path]:
    files = sorted((ROOT / kind / name / "src").rglob("*.py"))
    assert files, f"no sources for {kind}/{name}"
    return files


def test_the_workspace_is_what_the_design_says() -> None:
    assert set(SERVICES) == {"gateway", "errand", "reports", "forum", "payments"}
    assert {"servicekit", "contracts"} <= set(LIBS)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    forbidden = set(SERVICES) - {service}
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("services", service)
        for line, module in imported_modules(path)
        if module in forbidden
    ]
    assert offences == []


@pytest.mark.parametrize("lib", LIBS)
def test_a_library_imports_no_service(lib: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("libs", lib)
        for line, module in imported_modules(path)
        if module in SERVICES
    ]
    assert offences == []


def test_contracts_depend_on_no_infrastructure() -> None:
    """contracts is the shared language of events: pydantic only, never servicekit."""
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("libs", "contracts")
        for line, module in imported_modules(path)
        if module in {"servicekit", "sqlalchemy", "fastapi", "aio_pika", *SERVICES}
    ]
    assert offences == []


def test_the_checker_sees_imports() -> None:
    """Guards the tests above against an import scanner that finds nothing."""
    found = {
        module for _, module in imported_modules(ROOT / "services" / "errand" / "src" / "errand" / "main.py")
    }
    assert {"servicekit", "errand", "fastapi"} <= found
