"""Bundle budgets of the two faces (DESIGN.md §9, issues 13 and 14): the JavaScript a browser fetches
to show the signed-in shell, gzipped, from the built dist (its Vite manifest).

    python3 scripts/web_budget.py        # prints each face's figures beside its limit; 1 when over

"First load" is the entry chunk plus the chunks of the first screens (sign-in, the shell and its
home screen) with everything they import statically; later screens are lazy chunks and not counted.
tests/web/test_bundle_budget.py holds the builds to these limits; figures go in web/README.md.
"""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
KB = 1024

# face: (limit in KiB gzipped, the source files of the first screens)
BUDGETS: dict[str, tuple[int, tuple[str, ...]]] = {
    "console": (250, ("src/views/SignInView.vue", "src/views/ShellView.vue", "src/views/HomeView.vue")),
    # The app's sign-in screen is in its entry chunk (its router imports it statically).
    "app": (200, ("src/views/TabsShell.vue", "src/views/HomeView.vue")),
}


@dataclass(frozen=True)
class Figures:
    face: str
    limit_kib: int
    entry_gzip: int
    first_load_gzip: int
    first_load_files: tuple[str, ...]
    all_js_gzip: int

    def line(self) -> str:
        verdict = "ok" if self.within else "OVER"
        return (
            f"{self.face}: first load {self.first_load_gzip / KB:.1f} KiB gzipped JS "
            f"(limit {self.limit_kib} KiB, {verdict}; entry alone {self.entry_gzip / KB:.1f} KiB; "
            f"{len(self.first_load_files)} files; all JS {self.all_js_gzip / KB:.1f} KiB)"
        )

    @property
    def within(self) -> bool:
        return self.first_load_gzip <= self.limit_kib * KB


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def figures(face: str) -> Figures:
    dist = WEB / face / "dist"
    manifest_path = dist / ".vite" / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} is missing: build first (python3 scripts/build_web.py)")
    manifest: dict[str, dict[str, object]] = json.loads(manifest_path.read_text(encoding="utf-8"))
    limit, first_screens = BUDGETS[face]

    def closure(key: str, seen: set[str]) -> set[str]:
        if key in seen:
            return seen
        seen.add(key)
        for child in manifest[key].get("imports", []):  # type: ignore[union-attr]
            closure(str(child), seen)
        return seen

    entries = [key for key, chunk in manifest.items() if chunk.get("isEntry")]
    entry_keys: set[str] = set()
    for key in entries:
        closure(key, entry_keys)
    first_keys = set(entry_keys)
    for source in first_screens:
        if source not in manifest:
            raise KeyError(f"{face}: {source} is not a chunk of the build (renamed? update BUDGETS)")
        closure(source, first_keys)

    def js_files(keys: set[str]) -> set[str]:
        return {str(manifest[key]["file"]) for key in keys if str(manifest[key]["file"]).endswith(".js")}

    def total(files: set[str]) -> int:
        return sum(_gzip_size(dist / name) for name in files)

    first_files = js_files(first_keys)
    all_js = {str(path.relative_to(dist)) for path in (dist / "assets").glob("*.js")}
    return Figures(
        face=face,
        limit_kib=limit,
        entry_gzip=total(js_files(entry_keys)),
        first_load_gzip=total(first_files),
        first_load_files=tuple(sorted(first_files)),
        all_js_gzip=total(all_js),
    )


def main() -> int:
    status = 0
    for face in BUDGETS:
        measured = figures(face)
        print(measured.line())
        status |= not measured.within
    return status


if __name__ == "__main__":
    sys.exit(main())
