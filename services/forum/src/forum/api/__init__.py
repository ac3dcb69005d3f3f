"""HTTP routers of the forum service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

from forum.api import deliberations, disputes, hotspots, lexicon, moderation, policy, threads

routers: list[APIRouter] = [
    threads.router,
    moderation.router,
    disputes.router,
    deliberations.router,
    policy.router,
    hotspots.router,
    lexicon.router,
]
