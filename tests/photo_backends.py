"""Run a service's photo tests on both stores: local disk (the default) and S3-compatible object
storage (a local S3 server, servicekit.testing.local_s3_server). The app keeps serving through its
real routes; only the store it reads from ``app.state.photo_store`` (and its orphan sweep's) is
swapped, so one running app serves both parametrisations. How a service builds the store from its
settings is tested once with a service started on ``photo_storage=s3``
(tests/reports/test_photo_storage.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from servicekit.photos import PhotoSettings, PhotoStorage, store_of
from servicekit.s3_photos import S3PhotoStore
from servicekit.testing import s3_photo_settings

BACKENDS = ["local", "s3"]


def new_bucket() -> str:
    return f"wltest-{uuid.uuid4().hex[:20]}"


@contextlib.asynccontextmanager
async def photos_in(app: Any, backend: str, request: pytest.FixtureRequest) -> AsyncIterator[PhotoStorage]:
    if backend == "local":
        yield store_of(app)
        return
    endpoint: str = request.getfixturevalue("s3_endpoint")
    settings: PhotoSettings = app.state.runtime.settings
    store = S3PhotoStore.from_settings(settings.model_copy(update=s3_photo_settings(endpoint, new_bucket())))
    await store.prepare()
    original = app.state.photo_store
    app.state.photo_store = app.state.photo_sweep.store = store
    try:
        yield store
    finally:
        app.state.photo_store = app.state.photo_sweep.store = original
        await store.aclose()


async def stored_paths(store: PhotoStorage) -> set[str]:
    return {item.path for item in await store.listing()}
