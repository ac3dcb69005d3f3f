"""HTTP routers of the gateway service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

from gateway.api import auth, community, directory, me, notifications, people

routers: list[APIRouter] = [
    auth.router,
    me.router,
    notifications.router,
    community.router,
    directory.router,
    people.router,
]
