"""The first run's demo seeding as the run command wires it, without starting anything: the
README lists exactly the logins the seeder prints, `--no-demo` and production skip it."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
import threading
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)  # run_local imports seed_demo from its own directory
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_readme_lists_the_logins_the_full_demo_prints() -> None:
    seeder = load("seed_demo")
    cast = seeder.make_cast(random.Random(seeder.DEFAULT_SEED), 1.0)
    logins = seeder.demo_logins(cast)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The demo community") :]
    section = section[: section.index("\n### ", 1)]
    listed = set(re.findall(r"1380000\d{4}", section))
    assert listed == {a.phone for a in logins}
    assert seeder.DEMO_PASSWORD in section
    for role in (
        "admin",
        "committee",
        "property_manager",
        "property_staff",
        "mediator",
        "courier",
        "resident",
    ):
        assert role in {a.role for a in logins}


def test_production_never_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    run_local = load("run_local")
    said: list[str] = []
    monkeypatch.setattr(run_local, "say", said.append)
    settings: dict[str, Any] = {"gateway": SimpleNamespace(environment="production")}
    thread = run_local.seed_demo_in_background(settings, [], {}, threading.Event())
    assert thread is None
    assert said == ["no demo community in production"]


def test_no_demo_is_passed_to_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run_local = load("run_local")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(run_local, "run", lambda **kwargs: calls.append(kwargs) or 0)
    assert run_local.main(["--no-demo"]) == 0
    assert run_local.main([]) == 0
    assert calls == [{"demo": False, "demo_scale": 1.0}, {"demo": True, "demo_scale": 1.0}]
