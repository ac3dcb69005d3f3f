"""HTTP routers of the errand service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

from errand.api import couriers, export, merchants, orders

routers: list[APIRouter] = [export.router, orders.router, couriers.router, merchants.router]
