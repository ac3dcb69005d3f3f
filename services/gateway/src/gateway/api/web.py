"""The two faces, served as static files: `/console/` and `/app/` (DESIGN.md §9, API.md "The faces").

Each is a single-page app built by Vite into `<web_dir>/<name>/dist` (`python3 dev.py run` builds
them). A path that names a file of the build is that file; Vite's hashed assets (`/assets/…`) are
cached for a year, everything else (index.html above all) is revalidated on every load, so a new
build reaches users at once. Any other path without a file extension is a deep link of the app's
router and gets index.html; a missing asset is a 404 problem, and an app that was never built is a
404 problem `web_not_built` saying how to build it (never a blank page or a 500).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from gateway.config import Settings
from servicekit.errors import problem_response

FACES = ("console", "app")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Everything from the gateway itself: no CDN, no third-party host can be reached by the page.
# Inline styles are allowed (Element Plus and Vant position popovers with style attributes).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def _file_in(dist: Path, relative: str) -> Path | None:
    """The file of the build at `relative`, or None (also for anything outside the build)."""
    if not relative or "\x00" in relative:
        return None
    try:
        candidate = (dist / relative).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(dist.resolve()) or not candidate.is_file():
        return None
    return candidate


def _takes_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in (
            "q=0",
            "q=0.0",
            "q=0.00",
        ):
            return True
    return False


def _serve(request: Request, dist: Path, face: str, relative: str) -> Response:
    index = dist / "index.html"
    if not index.is_file():
        return problem_response(request, code="web_not_built", status=404, params={"face": face})
    found = _file_in(dist, relative)
    if found is not None:
        cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        if found == index.resolve():
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        # A build may ship `<asset>.gz` beside an asset (web/app does): sent as is to a browser that
        # takes gzip, so a phone on 3G loads a third of the bytes and the gateway compresses nothing.
        packed = found.with_name(found.name + ".gz")
        if relative.startswith("assets/") and packed.is_file():
            headers["Vary"] = "Accept-Encoding"
            if _takes_gzip(request):
                headers["Content-Encoding"] = "gzip"
                media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                return FileResponse(packed, headers=headers, media_type=media_type)
        return FileResponse(found, headers=headers)
    last = relative.rsplit("/", 1)[-1]
    if relative.startswith("assets/") or "." in last:
        return problem_response(request, code="not_found", status=404)
    # A deep link (/console/reports/123): the app's router takes it from index.html.
    return FileResponse(
        index,
        headers={
            "Cache-Control": REVALIDATE,
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
        },
    )


def _router_for(face: str, dist: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route(f"/{face}", methods=["GET", "HEAD"])
    async def bare(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/{face}/{query}", status_code=308)

    @router.api_route(f"/{face}/{{relative:path}}", methods=["GET", "HEAD"])
    async def serve(request: Request, relative: str) -> Response:
        return _serve(request, dist, face, relative or "index.html")

    return router


def install_web(app: FastAPI, settings: Settings) -> None:
    for face in FACES:
        app.include_router(_router_for(face, settings.web_root / face / "dist"))
