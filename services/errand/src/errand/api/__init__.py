"""HTTP routers of the errand service (thin: validate, call one use case, shape the response)."""

from fastapi import APIRouter

from errand.api import couriers, merchants, orders

routers: list[APIRouter] = [orders.router, couriers.router, merchants.router]
