"""The web client is typed from the committed web/shared/openapi.json (and schema.d.ts generated from
it): both must match the code, or the client and the API drift apart. When this fails, run
`.venv/bin/python scripts/export_openapi.py && (cd web && npm run gen:api)` and commit the result."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.scripts import ROOT

EXPORT = (
    "import logging, sys; logging.disable(logging.CRITICAL); sys.path.insert(0, 'scripts'); "
    "import export_openapi as e; sys.stdout.write(e.render(e.merged_spec()))"
)
FIX = "run `.venv/bin/python scripts/export_openapi.py && (cd web && npm run gen:api)` and commit"


def test_committed_openapi_matches_the_code() -> None:
    # A fresh interpreter, as the script runs: problem codes that other tests register in this
    # process (the error registry is process-wide) must not leak into the document.
    exported = subprocess.run(
        [sys.executable, "-c", EXPORT], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    spec = json.loads(exported)
    committed = (ROOT / "web" / "shared" / "openapi.json").read_text(encoding="utf-8")
    assert committed == exported, f"web/shared/openapi.json is stale: {FIX}"
    assert "x-weilinli-unavailable" not in spec
    # Each service's operations are in the one document, under the gateway's prefixes.
    for prefix in (
        "/api/v1/auth/",
        "/api/v1/errand/",
        "/api/v1/reports/",
        "/api/v1/forum/",
        "/api/v1/payments/",
        "/api/v1/fees/",
        "/open311/",
    ):
        assert any(path.startswith(prefix) for path in spec["paths"]), prefix


def test_committed_typescript_schema_matches_openapi_json(tmp_path: Path) -> None:
    web = ROOT / "web"
    binary = web / "node_modules" / ".bin" / "openapi-typescript"
    if not binary.exists():
        pytest.fail("web/node_modules is missing: python3 dev.py test installs it (npm ci)")
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to check the generated client"
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(binary), "shared/openapi.json", "-o", str(out)], cwd=web, check=True, capture_output=True
    )
    committed = (web / "shared" / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert committed == out.read_text(encoding="utf-8"), f"web/shared/src/api/schema.d.ts is stale: {FIX}"
