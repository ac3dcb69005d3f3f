"""Fitness tests: the house rules of docs/architecture.md §2, read from the source with `ast`.

- `domain/` imports only the standard library, `contracts`, its own service's domain and the pure
  servicekit modules (PURE_SERVICEKIT), which themselves import only the standard library.
- `api/` never imports SQLAlchemy.
- Only use cases (`service_layer/`) and consumers commit (and the command-line entry points, which
  are use cases of the shell); routers never call `commit()`.
- Every service has the same rooms.
- Routers never handle Idempotency-Key by hand: they hand `idempotency.Keyed.of(key, body)` to the
  use case, which claims and records it (servicekit.idempotency).
- `ProblemError` (an HTTP answer) only at the edges: `domain/` and `service_layer/` raise
  `servicekit.domain.DomainError`.

Known debts are listed by name below, each with its reason; a debt that is paid must be struck off
(the lists may only shrink). `test_the_rules_catch_*` feed each rule a synthetic service that breaks
it, so a rule that stops seeing is noticed.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["errand", "reports", "forum", "gateway", "payments"]
SERVICEKIT = ROOT / "libs" / "servicekit" / "src" / "servicekit"
PURE_SERVICEKIT = ("servicekit.domain", "servicekit.cells")
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
ROOMS = frozenset(
    {
        "__init__.py",
        "main.py",
        "config.py",
        "messages.py",
        "consumers.py",
        "domain",
        "service_layer",
        "adapters",
        "api",
        "migrations",
    }
)
# Entry points run from the shell: each is the use case of its command.
SHELL_COMMITTERS = frozenset({"cli.py", "seed.py"})

# -- known debts (each may only be struck off) ------------------------------------------------------
# jieba (the Chinese word segmenter) and OpenCC (traditional -> simplified) are pure computation with
# no I/O; the forum's text rules and lexicon wrap them. They move behind a segmenter/converter port
# in adapters/ so the domain takes them as arguments.
# openpyxl reads an uploaded XLSX directory sheet inside the gateway's directory-import rules; the
# reading belongs in adapters/, the rules stay.
DOMAIN_IMPORT_DEBT = {
    ("forum", "domain/text.py", "jieba"),
    ("forum", "domain/lexicon.py", "opencc"),
    ("gateway", "domain/directory_import.py", "openpyxl"),
}
# The reports presenter and Open311 still build their queries; they move into use cases with the
# reports router rework.
API_SQLALCHEMY_DEBT = {
    ("reports", "api/present.py"),
}
COMMIT_DEBT: set[tuple[str, str]] = set()
# The forum still claims keys in its router dependency `once` and hands its use cases a
# BeforeCommit callback; it moves to `Keyed` (claim in the use case) with the forum use-case rework.
IDEMPOTENCY_DEBT = {
    ("forum", "api/deps.py"),
}


def package(service: str, root: Path = ROOT) -> Path:
    return root / "services" / service / "src" / service


def imported(tree: ast.AST) -> Iterator[tuple[str, ...]]:
    """For each import, the names it may refer to: `from a import b` is `a` or `a.b`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield (alias.name,)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield (node.module, f"{node.module}.{alias.name}")


def _within(name: str, allowed: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)


def _sources(directory: Path) -> Iterator[tuple[Path, ast.AST]]:
    for path in sorted(directory.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def impure_imports(directory: Path, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """(file, module) of every import under ``directory`` that is neither the standard library nor
    within ``allowed``."""
    found = []
    for path, tree in _sources(directory):
        for names in imported(tree):
            if names[0].split(".")[0] in STDLIB or any(_within(name, allowed) for name in names):
                continue
            found.append((path.relative_to(directory.parent).as_posix(), names[0]))
    return found


def domain_violations(service: str, root: Path = ROOT) -> set[tuple[str, str, str]]:
    allowed = ("contracts", f"{service}.domain", *PURE_SERVICEKIT)
    return {
        (service, file, module.split(".")[0] if module.split(".")[0] not in {"servicekit"} else module)
        for file, module in impure_imports(package(service, root) / "domain", allowed)
    }


def sqlalchemy_in_api(service: str, root: Path = ROOT) -> set[tuple[str, str]]:
    api = package(service, root) / "api"
    return {
        (service, path.relative_to(api.parent).as_posix())
        for path, tree in _sources(api)
        if any(name.split(".")[0] == "sqlalchemy" for names in imported(tree) for name in names)
    }


def _commits(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
        for node in ast.walk(tree)
    )


def committers_outside_use_cases(service: str, root: Path = ROOT) -> set[tuple[str, str]]:
    top = package(service, root)
    found = set()
    for path, tree in _sources(top):
        relative = path.relative_to(top).as_posix()
        if relative.startswith(("service_layer/", "migrations/")) or relative == "consumers.py":
            continue
        if relative in SHELL_COMMITTERS:
            continue
        if _commits(tree):
            found.add((service, relative))
    return found


def _names_problem_error(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "ProblemError"
    if isinstance(node, ast.Attribute):
        return node.attr == "ProblemError"
    return isinstance(node, ast.alias) and node.name == "ProblemError"


def problems_inside(service: str, root: Path = ROOT) -> set[tuple[str, str]]:
    """(service, file) of every domain or use-case module that names ProblemError."""
    top = package(service, root)
    found = set()
    for room in ("domain", "service_layer"):
        for path, tree in _sources(top / room):
            if any(_names_problem_error(node) for node in ast.walk(tree)):
                found.add((service, path.relative_to(top).as_posix()))
    return found


def _handles_idempotency(node: ast.AST) -> bool:
    """A by-hand Idempotency-Key: the header declared again (servicekit.idempotency.IdempotencyKey
    is the one declaration), or a key claimed, recorded or fingerprinted outside a use case."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.lower() == "idempotency-key"
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Attribute):
            return False
        if isinstance(func.value, ast.Name) and func.value.id == "idempotency":
            return func.attr in {"claim", "fingerprint"}
        return func.attr == "record" and "claim" in ast.unparse(func.value).lower()
    if isinstance(node, ast.ImportFrom) and node.module == "servicekit.idempotency":
        return any(alias.name in {"claim", "fingerprint", "IdempotencyClaim"} for alias in node.names)
    return False


def idempotency_by_hand(service: str, root: Path = ROOT) -> set[tuple[str, str]]:
    """(service, file) of every router module that handles Idempotency-Key itself instead of
    handing `idempotency.Keyed.of(key, body)` to its use case."""
    top = package(service, root)
    return {
        (service, path.relative_to(top).as_posix())
        for path, tree in _sources(top / "api")
        if any(_handles_idempotency(node) for node in ast.walk(tree))
    }


def missing_rooms(service: str, root: Path = ROOT) -> set[str]:
    return {room for room in ROOMS if not (package(service, root) / room).exists()}


# -- the rules, on the real services -----------------------------------------------------------------
@pytest.mark.parametrize("service", SERVICES)
def test_domain_imports_only_the_standard_library_contracts_and_pure_servicekit(service: str) -> None:
    debt = {d for d in DOMAIN_IMPORT_DEBT if d[0] == service}
    assert domain_violations(service) == debt


def test_the_pure_servicekit_modules_import_only_the_standard_library() -> None:
    for module in PURE_SERVICEKIT:
        path = SERVICEKIT / f"{module.split('.')[1]}.py"
        tree = ast.parse(path.read_text())
        outside = [names[0] for names in imported(tree) if names[0].split(".")[0] not in STDLIB]
        assert outside == [], (module, outside)


@pytest.mark.parametrize("service", SERVICES)
def test_routers_never_import_sqlalchemy(service: str) -> None:
    assert sqlalchemy_in_api(service) == {d for d in API_SQLALCHEMY_DEBT if d[0] == service}


@pytest.mark.parametrize("service", SERVICES)
def test_only_use_cases_and_consumers_commit(service: str) -> None:
    assert committers_outside_use_cases(service) == {d for d in COMMIT_DEBT if d[0] == service}


@pytest.mark.parametrize("service", SERVICES)
def test_problem_errors_only_at_the_edges(service: str) -> None:
    assert problems_inside(service) == set()


@pytest.mark.parametrize("service", SERVICES)
def test_routers_never_handle_idempotency_keys_by_hand(service: str) -> None:
    assert idempotency_by_hand(service) == {d for d in IDEMPOTENCY_DEBT if d[0] == service}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service: str) -> None:
    assert missing_rooms(service) == set()
    assert (package(service) / "migrations" / "versions").is_dir()


# -- the test of the tests: each rule sees a synthetic service that breaks it ------------------------
def _service(root: Path, files: dict[str, str]) -> None:
    top = package("demo", root)
    for room in ROOMS:
        target = top / room
        if room.endswith(".py"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
        else:
            target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)


def test_the_rules_pass_a_service_that_keeps_them(tmp_path: Path) -> None:
    _service(
        tmp_path,
        {
            "domain/order.py": "import enum\nfrom contracts import OrderCreatedV1\n"
            "from servicekit.domain import Machine\nfrom demo.domain import rules\n",
            "api/orders.py": "from fastapi import APIRouter\nfrom demo.service_layer import orders\n"
            "from servicekit import idempotency\nfrom servicekit.idempotency import IdempotencyKey\n\n"
            "async def route(body, key: IdempotencyKey = None):\n"
            "    return await orders.create(idempotency.Keyed.of(key, body))\n",
            "service_layer/orders.py": "async def run(uow):\n    await uow.commit()\n",
            "consumers.py": "async def on(uow):\n    await uow.commit()\n",
        },
    )
    assert domain_violations("demo", tmp_path) == set()
    assert sqlalchemy_in_api("demo", tmp_path) == set()
    assert committers_outside_use_cases("demo", tmp_path) == set()
    assert problems_inside("demo", tmp_path) == set()
    assert idempotency_by_hand("demo", tmp_path) == set()
    assert missing_rooms("demo", tmp_path) == set()


def test_the_rules_catch_a_service_that_breaks_them(tmp_path: Path) -> None:
    _service(
        tmp_path,
        {
            "domain/order.py": "import sqlalchemy\nfrom servicekit.db import UnitOfWork\n"
            "from servicekit import errors\nfrom other.domain import x\n",
            "api/orders.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "async def route(ctx):\n    await ctx.uow.commit()\n",
            "adapters/store.py": "def save(session):\n    session.commit()\n",
            "api/quotes.py": "from fastapi import Header\n\n"
            "async def route(key: str = Header(alias='Idempotency-Key')):\n    pass\n",
            "api/claims.py": "from servicekit import idempotency\n\n"
            "async def route(uow, user, key, body):\n"
            "    claim, stored = await idempotency.claim(uow, scope='s', user_id=user.id, key=key,\n"
            "        request_fingerprint=idempotency.fingerprint(body))\n",
            "api/deps.py": "async def once(uow, claim):\n    await claim.record(uow, 201, {})\n",
            "service_layer/orders.py": "from servicekit.errors import ProblemError\n\n"
            "def refuse():\n    raise ProblemError('nope', 409)\n",
        },
    )
    (package("demo", tmp_path) / "consumers.py").unlink()
    assert domain_violations("demo", tmp_path) == {
        ("demo", "domain/order.py", "sqlalchemy"),
        ("demo", "domain/order.py", "servicekit.db"),
        ("demo", "domain/order.py", "servicekit"),
        ("demo", "domain/order.py", "other"),
    }
    assert sqlalchemy_in_api("demo", tmp_path) == {("demo", "api/orders.py")}
    assert committers_outside_use_cases("demo", tmp_path) == {
        ("demo", "api/orders.py"),
        ("demo", "adapters/store.py"),
    }
    assert problems_inside("demo", tmp_path) == {("demo", "service_layer/orders.py")}
    assert idempotency_by_hand("demo", tmp_path) == {
        ("demo", "api/quotes.py"),
        ("demo", "api/claims.py"),
        ("demo", "api/deps.py"),
    }
    assert missing_rooms("demo", tmp_path) == {"consumers.py"}
