"""HTTP routers of the reports service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

routers: list[APIRouter] = []
