#!/usr/bin/env python3
"""WeiLinli's one entry point: `python3 dev.py run | test | lint | bench`.

Standard library only, so it works on a fresh machine that has Python 3.11 and pip: it installs
uv if missing, installs the locked workspace, then hands over to the real command.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UV_REQUIREMENT = "uv>=0.9,<1"

COMMANDS = {
    "run": ["scripts/run_local.py"],
    "test": ["-m", "pytest"],
    "lint": [],  # several steps, see below
    "bench": ["-m", "bench"],
}
LINT_STEPS = (["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."], ["-m", "mypy"])


def uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    try:
        subprocess.run([sys.executable, "-m", "uv", "--version"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        print("dev.py: installing uv with pip ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", UV_REQUIREMENT], check=True)
    return [sys.executable, "-m", "uv"]


def build_web() -> int:
    """Build web/console and web/app when their sources changed (scripts/build_web.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_web  # a script beside this one, standard library only

    try:
        build_web.ensure_built()
    except build_web.WebBuildError as exc:
        print(f"dev.py: the web apps were not built: {exc}", flush=True)
        return 1
    return 0


def vitest() -> int:
    """The web packages' unit tests (Vitest): a full test run starts with them (seconds)."""
    npx = shutil.which("npx")
    if npx is None:
        print("dev.py: npx is missing, Vitest not run", flush=True)
        return 1
    return subprocess.run([npx, "vitest", "run"], cwd=ROOT / "web").returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        print("usage: python3 dev.py {run [--no-demo]|test|lint|bench} [extra args for pytest/bench]")
        return 2
    command, extra = argv[0], argv[1:]
    os.chdir(ROOT)
    # The machine's Python 3.11 is the interpreter; uv must never download one.
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    os.environ.setdefault("UV_PYTHON", sys.executable if sys.version_info[:2] == (3, 11) else "3.11")
    base = uv()
    subprocess.run([*base, "sync", "--frozen", "--quiet"], check=True)
    # The synced environment's interpreter is run directly rather than through `uv run`: one
    # process less between Ctrl-C and the runner, and no second opinion on the exit status.
    venv = Path(os.environ.get("UV_PROJECT_ENVIRONMENT", ROOT / ".venv"))
    python = str(venv / "bin" / "python")
    if command == "lint":
        for step in LINT_STEPS:
            result = subprocess.run([python, *step])
            if result.returncode:
                return result.returncode
        return 0
    if command in ("run", "test"):
        built = build_web()
        # `run` goes on without the faces (the gateway answers /console/ with a clear problem);
        # tests need them (the browser tests drive the built apps).
        if built and command == "test":
            return built
    if command == "test" and not extra:
        # A full run (what .ci/run does) includes the web unit tests; a run of chosen tests does not.
        status = vitest()
        if status:
            return status
    child = subprocess.Popen([python, *COMMANDS[command], *extra])
    # Ctrl-C reaches the whole process group; the child decides how to stop (the runner stops
    # every service cleanly), so this process only waits for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A SIGTERM meant for us (a supervisor, a test) is passed on, so nothing is left running.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: child.send_signal(signal.SIGTERM))
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
