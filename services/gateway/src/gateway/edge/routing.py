"""Which requests go where: the upstream a path belongs to (prefix, path untouched), the paths left
unthrottled, and the body limit a route allows."""

from __future__ import annotations

PROXY_PREFIXES = {
    "/api/v1/errand": "errand",
    "/api/v1/reports": "reports",
    "/open311": "reports",
    "/api/v1/forum": "forum",
    "/api/v1/payments": "payments",
    "/api/v1/fees": "payments",
}


# Public paths that must stay cheap and unthrottled (probes, scrapes, docs).
# The faces (/console/, /app/) are static files: a page load fetches a dozen at once.
UNLIMITED_PREFIXES = ("/health/", "/metrics", "/docs", "/openapi.json", "/redoc", "/console/", "/app/")


# Routes carrying photos (reports' photo upload, an errand's delivery proof) get the large limit.
_PHOTO_SEGMENTS = frozenset({"photos", "deliver"})


# The directory import takes a sheet of up to 10 MB (the route itself refuses a larger file).
IMPORT_PATHS = frozenset({"/api/v1/community/directory/import"})


def match_upstream(path: str) -> str | None:
    for prefix, name in PROXY_PREFIXES.items():
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] in "/."):
            return name
    return None


def is_photo_route(path: str) -> bool:
    return path.rstrip("/").rpartition("/")[2] in _PHOTO_SEGMENTS
