"""`python -m bench [--list] [NAME [OPTIONS]]`: list the benchmarks, run one, or (no arguments) run
the default set.

A benchmark is a module ``bench/<name>.py`` with ``DESCRIPTION`` (one line) and ``main(argv) -> int``.
Those in ``DEFAULT`` run when no name is given (this is what `python3 dev.py bench` does); any
other such module runs by name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

# Run, in this order, by `python -m bench` with no arguments.
DEFAULT: tuple[str, ...] = ("event_latency", "errand", "reports", "forum", "gateway")


HERE = Path(__file__).parent


def _available() -> list[str]:
    found = [info.name for info in pkgutil.iter_modules([str(HERE)]) if not info.name.startswith("_")]
    return [*DEFAULT, *sorted(name for name in found if name not in DEFAULT)]


def _load(name: str) -> ModuleType | None:
    """The benchmark module called ``name``, or None if there is none (import errors propagate)."""
    if name not in _available():
        return None
    module = importlib.import_module(f"bench.{name}")
    return module if callable(getattr(module, "main", None)) else None


def _usage() -> str:
    lines = [
        "usage: python -m bench [--list] [NAME [OPTIONS]]   (python3 dev.py bench ...)",
        "",
        f"  no arguments    run {', '.join(DEFAULT)} with default options",
        "  NAME [OPTIONS]  run one benchmark; NAME --help shows its options",
        "",
        "benchmarks:",
    ]
    for name in _available():
        try:
            module = _load(name)
        except Exception as exc:
            lines.append(f"  {name:<16}(cannot be imported: {exc!r})")
            continue
        if module is None:
            continue
        default = "" if name in DEFAULT else "  (by name only)"
        lines.append(f"  {name:<16}{getattr(module, 'DESCRIPTION', '')}{default}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help", "-l", "--list", "list"):
        print(_usage())
        return 0
    if argv:
        name, rest = argv[0], argv[1:]
        module = _load(name)
        if module is None:
            print(f"bench: unknown benchmark {name!r}\n", file=sys.stderr)
            print(_usage(), file=sys.stderr)
            return 2
        status: int = module.main(rest)
        return status
    status = 0
    for name in DEFAULT:
        module = _load(name)
        if module is None:
            print(f"bench: {name} is not a benchmark module", file=sys.stderr)
            status = max(status, 1)
            continue
        print(f"=== {name} ===", flush=True)
        status = max(status, module.main([]))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
