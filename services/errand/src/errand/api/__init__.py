"""HTTP routers of the errand service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

routers: list[APIRouter] = []
