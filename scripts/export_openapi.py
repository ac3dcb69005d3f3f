"""Write the gateway's merged OpenAPI document to web/shared/openapi.json, without running servers.

The gateway serves `/openapi.json` as its own document merged with the four services' (see
gateway.api.docs.merge_specs); this script builds the same merge from each app's
`create_app().openapi()`, so the web client can be generated offline and a test can tell when the
committed copy is stale (tests/web/test_openapi_export.py).

    .venv/bin/python scripts/export_openapi.py            # write web/shared/openapi.json
    .venv/bin/python scripts/export_openapi.py --check    # exit 1 when the committed copy is stale
    cd web && npm run gen:api                              # then regenerate schema.d.ts

The apps are built in the development environment (its default settings need no secrets), which
also documents the development-only routes (`/dev/sms`), like a development gateway does.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "web" / "shared" / "openapi.json"


def merged_spec() -> dict[str, Any]:
    import errand.config
    import errand.main
    import forum.config
    import forum.main
    import gateway.config
    import gateway.main
    import payments.config
    import payments.main
    import reports.config
    import reports.main
    from gateway.api.docs import merge_specs

    development = {"environment": "development", "log_level": "WARNING"}
    upstreams = {
        "errand": errand.main.create_app(errand.config.Settings(**development)).openapi(),
        "reports": reports.main.create_app(reports.config.Settings(**development)).openapi(),
        "forum": forum.main.create_app(forum.config.Settings(**development)).openapi(),
        "payments": payments.main.create_app(payments.config.Settings(**development)).openapi(),
    }
    gateway_app = gateway.main.create_app(gateway.config.Settings(**development))
    return merge_specs(gateway_app.openapi(), upstreams)


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    logging.disable(logging.CRITICAL)
    text = render(merged_spec())
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run scripts/export_openapi.py and `npm run gen:api`")
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
