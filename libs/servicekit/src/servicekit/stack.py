"""A running WeiLinli stack inside one process, for end-to-end tests and benchmarks: each
service is a real uvicorn server on a free loopback port with its own freshly migrated database,
all on one private exchange. Services are passed in by the caller (servicekit imports none).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from servicekit.db import drop_database
from servicekit.migrations import migrate
from servicekit.serve import UVICORN_OPTIONS
from servicekit.settings import BaseServiceSettings
from servicekit.testing import delete_messaging, isolated_settings


@dataclass(frozen=True)
class ServiceSpec:
    """How to build one service: its settings class, app factory and migrations folder."""

    name: str
    settings_class: type[BaseServiceSettings]
    create_app: Callable[[BaseServiceSettings], FastAPI]
    migrations: Path


@dataclass
class Stack:
    urls: dict[str, str] = field(default_factory=dict)
    settings: dict[str, BaseServiceSettings] = field(default_factory=dict)
    apps: dict[str, FastAPI] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _serve(server: uvicorn.Server, name: str) -> None:
    """uvicorn answers a failed lifespan start-up with sys.exit(3), which asyncio lets out of the
    event loop past every ``finally``: made an ordinary error, so the stack's cleanup runs (and
    deletes the queue and database the failed service had already made)."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise RuntimeError(f"{name} failed to start (exit status {exc.code})") from None


@contextlib.asynccontextmanager
async def running_stack(
    specs: list[ServiceSpec],
    *,
    namespace: str,
    public_key_pem: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    gateway_upstream_fields: Mapping[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start ``specs`` in order (put the gateway last). ``gateway_upstream_fields`` maps a service
    name to the gateway settings field holding its URL (e.g. ``{"errand": "errand_url"}``)."""
    stack = Stack()
    ports = {spec.name: free_port() for spec in specs}
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    try:
        for spec in specs:
            values: dict[str, Any] = {"http_port": ports[spec.name], "jwt_public_key": public_key_pem}
            if gateway_upstream_fields and spec.name == "gateway":
                values.update(
                    {
                        field_name: f"http://127.0.0.1:{ports[name]}"
                        for name, field_name in gateway_upstream_fields.items()
                    }
                )
            values.update((overrides or {}).get(spec.name, {}))
            settings = isolated_settings(spec.settings_class, namespace=namespace, **values)
            # Recorded before anything is created, so a service that fails to start (after its
            # database was migrated or its consumer declared its queue) is cleaned up too.
            stack.settings[spec.name] = settings
            await migrate(settings, spec.migrations)
            app = spec.create_app(settings)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=ports[spec.name], lifespan="on", **UVICORN_OPTIONS
            )
            server = uvicorn.Server(config)
            task = asyncio.create_task(_serve(server, spec.name))
            servers.append((server, task))
            while not server.started:
                if task.done():
                    task.result()  # surfaces the start-up error
                    raise RuntimeError(f"{spec.name} stopped during start-up")
                await asyncio.sleep(0.02)
            stack.urls[spec.name] = f"http://127.0.0.1:{ports[spec.name]}"
            stack.apps[spec.name] = app
        yield stack
    finally:
        for server, task in reversed(servers):
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=20)
        for settings in stack.settings.values():
            with contextlib.suppress(Exception):
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
            with contextlib.suppress(Exception):
                await drop_database(settings.database_url.get_secret_value())
