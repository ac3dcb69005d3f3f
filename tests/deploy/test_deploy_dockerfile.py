"""deploy/Dockerfile, read as instructions (no Docker engine here to build it)."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / "deploy" / "Dockerfile.dockerignore"


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_instructions(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue  # comments (and parser directives) and blank lines
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        keyword, _, args = " ".join(part for part in buffer if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = []
    assert not buffer, "the Dockerfile ends inside a line continuation"
    return instructions


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m[1] or m[2], m[0]), text)


def _arg(instruction: Instruction) -> tuple[str, str | None]:
    name, sep, default = instruction.args.partition("=")
    return name.strip(), (default.strip().strip('"') if sep else None)


def _env(instruction: Instruction) -> dict[str, str]:
    return dict(token.split("=", 1) for token in shlex.split(instruction.args))


def _flags_and_operands(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    flags, operands = {}, []
    for token in shlex.split(instruction.args):
        if token.startswith("--"):
            key, _, value = token[2:].partition("=")
            flags[key] = value
        else:
            operands.append(token)
    return flags, operands


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_instructions(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stages(instructions: list[Instruction]) -> list[Stage]:
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            result.append(Stage(_expand(words[0], global_args), name))
        elif not result:
            assert instruction.keyword == "ARG", f"line {instruction.line}: only ARG may precede FROM"
            key, default = _arg(instruction)
            global_args[key] = default or ""
        else:
            result[-1].instructions.append(instruction)
    assert result, "no FROM"
    return result


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_multi_stage_on_python_311_slim(stages: list[Stage]) -> None:
    python_stages = [stage for stage in stages if stage.base == "python:3.11-slim"]
    assert len(python_stages) >= 2, [stage.base for stage in stages]
    assert stages[-1].base == "python:3.11-slim"


def test_service_is_a_build_argument_of_the_build_and_runtime_stages(stages: list[Stage]) -> None:
    for stage in stages:
        if stage.base.startswith("python:"):
            assert "SERVICE" in {_arg(i)[0] for i in stage.all("ARG")}, f"stage {stage.name}: no ARG SERVICE"


def test_dependencies_come_from_the_lock(stages: list[Stage]) -> None:
    syncs = [i.args for stage in stages for i in stage.all("RUN") if "uv sync" in i.args]
    assert syncs, "no `uv sync`"
    for command in syncs:
        for option in ("--frozen", "--no-dev", '--package "${SERVICE}"'):
            assert option in command, f"`{option}` missing in: {command}"


def test_every_workspace_member_is_copied_before_the_first_sync(stages: list[Stage]) -> None:
    root = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members = root["tool"]["uv"]["workspace"]["members"]
    copied: set[str] = set()
    for stage in stages:
        for instruction in stage.instructions:
            if instruction.keyword == "RUN" and "uv sync" in instruction.args:
                wanted = {"pyproject.toml", "uv.lock", *(f"{m}/pyproject.toml" for m in members)}
                assert wanted <= copied, f"uv sync --frozen needs {sorted(wanted - copied)}"
                return
            if instruction.keyword == "COPY":
                flags, operands = _flags_and_operands(instruction)
                if "from" not in flags:
                    copied.update(operands[:-1])
    pytest.fail("no uv sync")


def test_copied_sources_exist_and_are_not_ignored(stages: list[Stage]) -> None:
    ignored = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    for stage in stages:
        for instruction in stage.all("COPY") + stage.all("ADD"):
            flags, operands = _flags_and_operands(instruction)
            if "from" in flags:
                continue
            for source in operands[:-1]:
                assert (REPO_ROOT / source).exists(), f"line {instruction.line}: {source} does not exist"
                hits = [
                    p for p in ignored if fnmatch.fnmatch(source, p) or source.startswith(p.rstrip("/") + "/")
                ]
                assert not hits, f"{source} is excluded by Dockerfile.dockerignore {hits}"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    assert {".git", ".venv", "deploy/secrets", "deploy/env/*.env", ".var", "tests"} <= ignored


def test_runtime_runs_as_a_non_root_user(final: Stage) -> None:
    users = final.all("USER")
    assert users, "the runtime stage has no USER"
    user = users[-1].args.split(":")[0]
    assert user not in {"root", "0", ""}
    created = " ".join(i.args for i in final.all("RUN"))
    assert re.search(rf"useradd\b.*(--uid {user}\b|\b{user}\b)", created), f"user {user} is never created"


def test_runtime_environment(final: Stage) -> None:
    env: dict[str, str] = {}
    for instruction in final.all("ENV"):
        env.update(_env(instruction))
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert env.get("SERVICE") == "${SERVICE}", "CMD reads $SERVICE at run time: carry the build arg over"
    assert final.all("EXPOSE"), "EXPOSE the service port"


def test_cmd_runs_the_built_service_module(final: Stage) -> None:
    commands = final.all("CMD")
    assert commands, "no CMD"
    cmd = commands[-1].args
    words = json.loads(cmd) if cmd.startswith("[") else ["/bin/sh", "-c", cmd]
    if words[:2] in (["/bin/sh", "-c"], ["sh", "-c"]):
        script = words[2]
        assert re.search(r"\bexec\s+python", script), "exec, so the server gets SIGTERM as the main process"
    else:
        script = " ".join(words)
    # `python -m <service>` migrates and serves it (services/<svc>/src/<svc>/__main__.py).
    assert re.search(r"python -m \"?\$\{?SERVICE\}?\"?", script), script
    assert not final.all("ENTRYPOINT"), "an ENTRYPOINT would change how CMD runs"
