"""The five services of this repository as ServiceSpecs, and a fixture-friendly stack runner."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

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
from servicekit.stack import ServiceSpec, Stack, running_stack
from servicekit.tokens import TokenSigner

SPECS = {
    "errand": ServiceSpec("errand", errand.config.Settings, errand.main.create_app, errand.main.MIGRATIONS),
    "reports": ServiceSpec(
        "reports", reports.config.Settings, reports.main.create_app, reports.main.MIGRATIONS
    ),
    "forum": ServiceSpec("forum", forum.config.Settings, forum.main.create_app, forum.main.MIGRATIONS),
    "payments": ServiceSpec(
        "payments", payments.config.Settings, payments.main.create_app, payments.main.MIGRATIONS
    ),
    "gateway": ServiceSpec(
        "gateway", gateway.config.Settings, gateway.main.create_app, gateway.main.MIGRATIONS
    ),
}
UPSTREAM_FIELDS = {
    "errand": "errand_url",
    "reports": "reports_url",
    "forum": "forum_url",
    "payments": "payments_url",
}


@contextlib.asynccontextmanager
async def stack_of(
    names: list[str],
    *,
    namespace: str,
    signer: TokenSigner,
    overrides: dict[str, dict[str, object]] | None = None,
) -> AsyncIterator[Stack]:
    """Run the named services (and the gateway last, if named) wired to each other.

    The gateway gets the signer's private key; every service verifies with its public key.
    Upstreams that are not started point at a closed port.
    """
    ordered = [name for name in ("errand", "reports", "forum", "payments", "gateway") if name in names]
    merged: dict[str, dict[str, object]] = {name: dict((overrides or {}).get(name, {})) for name in ordered}
    if "gateway" in merged:
        merged["gateway"].setdefault("jwt_private_key", signer.private_pem)
        for name, field_name in UPSTREAM_FIELDS.items():
            if name not in ordered:
                merged["gateway"].setdefault(field_name, "http://127.0.0.1:1")
    async with running_stack(
        [SPECS[name] for name in ordered],
        namespace=namespace,
        public_key_pem=signer.public_pem,
        overrides=merged,
        gateway_upstream_fields={name: field for name, field in UPSTREAM_FIELDS.items() if name in ordered},
    ) as stack:
        yield stack
