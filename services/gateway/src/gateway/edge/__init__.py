"""The gateway's edge: one plain ASGI middleware (middleware.py) in front of its own routes."""

from gateway.edge.limits import client_ip
from gateway.edge.middleware import EdgeMiddleware
from gateway.edge.routing import PROXY_PREFIXES, match_upstream

__all__ = ["PROXY_PREFIXES", "EdgeMiddleware", "client_ip", "match_upstream"]
