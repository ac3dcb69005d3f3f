"""Build the two faces (web/console, web/app) when their sources changed: `python3 dev.py run` and
`python3 dev.py test` call this first; `python3 scripts/build_web.py [--force]` runs it alone.

Standard library only (dev.py runs it before the Python environment exists). Steps:
1. `npm ci` from web/package-lock.json when node_modules is missing or older than the lock file
   (`--prefer-offline`: the npm cache is used when it holds the locked versions).
2. For each face, `npm run build -w <face>` (vue-tsc type check + vite build) when its dist is older
   than any source of the face, of web/shared or of the workspace files; otherwise skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
FACES = ("console", "app")
WORKSPACE_FILES = ("package.json", "package-lock.json", "tsconfig.base.json")
SKIPPED_DIRS = frozenset({"node_modules", "dist", "tests"})


class WebBuildError(Exception):
    pass


def _say(message: str) -> None:
    print(f"build_web: {message}", flush=True)


def _files(folder: Path) -> Iterable[Path]:
    for path in folder.iterdir():
        if path.is_dir():
            if path.name not in SKIPPED_DIRS:
                yield from _files(path)
        elif path.is_file():
            yield path


def _newest(paths: Iterable[Path]) -> float:
    return max((path.stat().st_mtime for path in paths), default=0.0)


def sources_mtime(face: str) -> float:
    workspace = [WEB / name for name in WORKSPACE_FILES if (WEB / name).exists()]
    return max(_newest(workspace), _newest(_files(WEB / "shared")), _newest(_files(WEB / face)))


def needs_install() -> bool:
    marker = WEB / "node_modules" / ".package-lock.json"
    return not marker.exists() or marker.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime


def needs_build(face: str) -> bool:
    index = WEB / face / "dist" / "index.html"
    return not index.exists() or index.stat().st_mtime < sources_mtime(face)


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildError("npm is not installed (Node.js 20 with npm is needed to build web/)")
    result = subprocess.run([npm, *args], cwd=WEB)
    if result.returncode:
        raise WebBuildError(f"`npm {' '.join(args)}` failed with status {result.returncode}")


def ensure_built(*, force: bool = False) -> list[str]:
    """Install and build what is stale; returns the faces built. Raises WebBuildError."""
    if needs_install():
        _say("npm ci (web/package-lock.json changed or node_modules missing)")
        _npm("ci", "--prefer-offline", "--no-audit", "--no-fund")
    built = []
    for face in FACES:
        if force or needs_build(face):
            _say(f"building web/{face}")
            _npm("run", "build", "-w", face)
            (WEB / face / "dist" / "index.html").touch()
            built.append(face)
        else:
            _say(f"web/{face} is up to date")
    return built


def main(argv: list[str]) -> int:
    try:
        ensure_built(force="--force" in argv)
    except WebBuildError as exc:
        _say(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
