"""Bundle budgets (DESIGN.md §9): the gzipped JavaScript of the first load of each face, from its
build, within its limit (console 250 KiB, app 200 KiB). The figures are printed (`-s`) and recorded
in web/README.md; scripts/web_budget.py prints the same."""

from __future__ import annotations

import re

import pytest

from tests.web.scripts import load_script


@pytest.mark.parametrize("face", ["console", "app"])
def test_first_load_within_budget(face: str) -> None:
    budget = load_script("web_budget")
    figures = budget.figures(face)
    print(figures.line())
    assert figures.first_load_files, "no JavaScript found: is the build empty?"
    assert figures.entry_gzip <= figures.first_load_gzip <= figures.all_js_gzip
    assert figures.within, figures.line()


@pytest.mark.parametrize("face", ["console", "app"])
def test_nothing_in_the_build_points_at_another_host(face: str) -> None:
    """No CDN (DESIGN.md §9): stylesheets and the page load nothing from another host (the browser
    tests check the same at run time)."""
    dist = load_script("web_budget").WEB / face / "dist"
    external = re.compile(r"""url\(\s*["']?(?:https?:)?//|(?:src|href)=["']?(?:https?:)?//""")
    found = [
        f"{path.relative_to(dist)}: {match.group(0)}"
        for path in sorted(dist.rglob("*"))
        if path.suffix in {".css", ".html"}
        for match in external.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
