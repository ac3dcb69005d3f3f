"""HTTP routers of the payments service (thin: validate, call one use case, shape the response).
WeChat Pay's callbacks, the office's routes and the ledger come before `/{payment_id}`, which
would otherwise claim them."""

from fastapi import APIRouter

from payments.api import admin, fees, payments, wechat

routers: list[APIRouter] = [wechat.router, admin.router, payments.router, fees.router]
