"""HTTP routers of the reports service (thin: validate, call one use case, shape the response).
The key and export routers come before the reports router, whose `/{report_id}` would otherwise
claim `/open311-keys` and `/export.csv`."""

from fastapi import APIRouter

from reports.api import export, open311, open311_keys, reports

routers: list[APIRouter] = [open311_keys.router, export.router, reports.router, open311.router]
