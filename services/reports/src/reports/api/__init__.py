"""HTTP routers of the reports service (thin: validate, call one use case, shape the response).
The key router comes before the reports router, whose `/{report_id}` would otherwise claim
`/open311-keys`."""

from fastapi import APIRouter

from reports.api import open311, open311_keys, reports

routers: list[APIRouter] = [open311_keys.router, reports.router, open311.router]
