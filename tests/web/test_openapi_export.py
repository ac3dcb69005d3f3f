"""The web client is typed from the committed web/shared/openapi.json (and schema.d.ts generated from
it): both must match the code, or the client and the API drift apart. When this fails, run
`.venv/bin/python scripts/export_openapi.py && (cd web && npm run gen:api)` and commit the result."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.scripts import ROOT, load_script

FIX = "run `.venv/bin/python scripts/export_openapi.py && (cd web && npm run gen:api)` and commit"


def test_committed_openapi_matches_the_code(restore_logging: None) -> None:
    export = load_script("export_openapi")
    spec = export.merged_spec()
    committed = (ROOT / "web" / "shared" / "openapi.json").read_text(encoding="utf-8")
    assert committed == export.render(spec), f"web/shared/openapi.json is stale: {FIX}"
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
