"""A local HTTP server speaking WeChat Pay API v3, for tests: the outside world as a real protocol.

It checks every request's WECHATPAY2-SHA256-RSA2048 signature with the merchant's public key (a
request that is not signed right gets 401 SIGN_ERROR, as at WeChat Pay), keeps orders and refunds,
signs every answer with its platform private key (Wechatpay-Timestamp/-Nonce/-Signature/-Serial),
and sends callbacks as WeChat Pay does: the resource encrypted with AEAD_AES_256_GCM under the
merchant's APIv3 key, the body signed, POSTed to the merchant's notify URL.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payments.adapters.wechatpay import (
    aead_encrypt,
    nonce,
    parse_authorization,
    request_message,
    response_message,
    rsa_sign,
    rsa_verify,
)

CST = timezone(timedelta(hours=8))
MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
PLATFORM_SERIAL = "PUB_KEY_ID_0114232025112500000000000000"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass
class Keys:
    """The key material both sides hold: the merchant's API key pair (the server knows the public
    half), WeChat Pay's platform key pair (the merchant knows the public half), the APIv3 key."""

    merchant: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    platform: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    apiv3_key: bytes = field(default_factory=lambda: secrets.token_hex(16).encode())

    def settings(self, base_url: str) -> dict[str, Any]:
        """The payments service's settings for this merchant at this server."""
        return {
            "wechatpay_base_url": base_url,
            "wechatpay_mchid": MCHID,
            "wechatpay_appid": APPID,
            "wechatpay_merchant_serial_no": MERCHANT_SERIAL,
            "wechatpay_merchant_private_key": _pem_private(self.merchant),
            "wechatpay_apiv3_key": self.apiv3_key.decode(),
            "wechatpay_platform_public_key": _pem_public(self.platform.public_key()),
            "wechatpay_platform_serial": PLATFORM_SERIAL,
        }


@dataclass
class Order:
    out_trade_no: str
    total: int
    openid: str
    notify_url: str
    description: str
    prepay_id: str
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None


@dataclass
class Refund:
    out_refund_no: str
    out_trade_no: str
    refund_id: str
    amount: int
    total: int
    notify_url: str
    status: str = "PROCESSING"
    success_time: str | None = None


class WechatPayServer:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.orders: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}
        self.requests: list[tuple[str, str]] = []
        self.bills: dict[str, bytes] = {}
        # Faults a test switches on: every API answers 503 / the refund answer is SUCCESS at once.
        self.down = False
        self.refunds_succeed_at_once = False
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- signing --------------------------------------------------------------------------------
    def signed_headers(
        self, body: str, *, timestamp: int | None = None, key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce_str = nonce()
        signature = rsa_sign(key or self.keys.platform, response_message(stamp, nonce_str, body))
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce_str,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": PLATFORM_SERIAL,
            "Request-ID": uuid.uuid4().hex,
        }

    def _answer(self, status: int, data: dict[str, Any] | None = None) -> web.Response:
        body = "" if data is None else json.dumps(data, ensure_ascii=False)
        headers = self.signed_headers(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        return web.Response(status=status, text=body if data is not None else None, headers=headers)

    def _error(self, status: int, code: str, message: str) -> web.Response:
        return self._answer(status, {"code": code, "message": message})

    # -- the API --------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        path_qs = request.path_qs
        self.requests.append((request.method, request.path))
        if self.down:
            return web.Response(status=503, text="")
        if request.path == "/v3/billdownload/file":
            return web.Response(body=self.bills.get(request.query.get("token", ""), b""))
        try:
            fields = parse_authorization(request.headers.get("Authorization", ""))
        except ValueError:
            return self._error(401, "SIGN_ERROR", "missing authorization")
        message = request_message(
            request.method, path_qs, fields.get("timestamp", ""), fields.get("nonce_str", ""), body
        )
        if (
            fields.get("mchid") != MCHID
            or fields.get("serial_no") != MERCHANT_SERIAL
            or not rsa_verify(self.keys.merchant.public_key(), message, fields.get("signature", ""))
        ):
            return self._error(401, "SIGN_ERROR", "签名错误")
        data = json.loads(body) if body else {}
        parts = request.path.split("/")
        if request.method == "POST" and request.path == "/v3/pay/transactions/jsapi":
            return self._jsapi(data)
        if request.path.startswith("/v3/pay/transactions/out-trade-no/"):
            order = self.orders.get(parts[5])
            if order is None:
                return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
            if request.method == "POST" and parts[-1] == "close":
                if order.state == "SUCCESS":
                    return self._error(400, "ORDERPAID", "订单已支付")
                order.state = "CLOSED"
                return self._answer(204)
            return self._answer(200, self.transaction(order))
        if request.method == "POST" and request.path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if request.method == "GET" and request.path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get(parts[-1])
            if refund is None:
                return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self._answer(200, self.refund_view(refund))
        if request.method == "GET" and request.path == "/v3/bill/tradebill":
            day = request.query.get("bill_date", "")
            content = self.bill_csv(day)
            token = uuid.uuid4().hex
            self.bills[token] = content
            return self._answer(
                200,
                {
                    "hash_type": "SHA1",
                    "hash_value": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
                    "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
                },
            )
        return self._error(404, "NOT_FOUND", "no such API")

    def _jsapi(self, data: dict[str, Any]) -> web.Response:
        if (
            data.get("mchid") != MCHID
            or data.get("appid") != APPID
            or not data.get("payer", {}).get("openid")
        ):
            return self._error(400, "PARAM_ERROR", "参数错误")
        no = data["out_trade_no"]
        existing = self.orders.get(no)
        if existing is not None:
            if existing.total != data["amount"]["total"]:
                return self._error(400, "INVALID_REQUEST", "订单号重复")
            return self._answer(200, {"prepay_id": existing.prepay_id})
        order = Order(
            out_trade_no=no,
            total=int(data["amount"]["total"]),
            openid=data["payer"]["openid"],
            notify_url=data["notify_url"],
            description=data["description"],
            prepay_id=f"wx{uuid.uuid4().hex}",
        )
        self.orders[no] = order
        return self._answer(200, {"prepay_id": order.prepay_id})

    def _refund(self, data: dict[str, Any]) -> web.Response:
        order = self.orders.get(data.get("out_trade_no", ""))
        if order is None or order.state not in ("SUCCESS", "REFUND"):
            return self._error(400, "INVALID_REQUEST", "订单未支付")
        no = data["out_refund_no"]
        existing = self.refunds.get(no)
        if existing is None:
            refunded = sum(r.amount for r in self.refunds.values() if r.out_trade_no == order.out_trade_no)
            if refunded + data["amount"]["refund"] > order.total or data["amount"]["total"] != order.total:
                return self._error(400, "INVALID_REQUEST", "退款金额错误")
            existing = Refund(
                out_refund_no=no,
                out_trade_no=order.out_trade_no,
                refund_id=f"50{uuid.uuid4().int % 10**28:028d}",
                amount=int(data["amount"]["refund"]),
                total=order.total,
                notify_url=data.get("notify_url", ""),
            )
            self.refunds[no] = existing
            order.state = "REFUND"
            if self.refunds_succeed_at_once:
                existing.status = "SUCCESS"
                existing.success_time = datetime.now(CST).isoformat(timespec="seconds")
        return self._answer(200, self.refund_view(existing))

    # -- views ----------------------------------------------------------------------------------
    def transaction(self, order: Order) -> dict[str, Any]:
        view: dict[str, Any] = {
            "appid": APPID,
            "mchid": MCHID,
            "out_trade_no": order.out_trade_no,
            "trade_state": order.state,
            "trade_state_desc": order.state,
            "attach": "",
            "payer": {"openid": order.openid},
            "amount": {"total": order.total, "currency": "CNY"},
        }
        if order.transaction_id:
            view.update(
                transaction_id=order.transaction_id,
                trade_type="JSAPI",
                bank_type="OTHERS",
                success_time=order.success_time,
                amount={
                    "total": order.total,
                    "payer_total": order.total,
                    "currency": "CNY",
                    "payer_currency": "CNY",
                },
            )
        return view

    def refund_view(self, refund: Refund) -> dict[str, Any]:
        return {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": self.orders[refund.out_trade_no].transaction_id,
            "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "success_time": refund.success_time,
            "create_time": datetime.now(CST).isoformat(timespec="seconds"),
            "status": refund.status,
            "amount": {
                "total": refund.total,
                "refund": refund.amount,
                "payer_total": refund.total,
                "payer_refund": refund.amount,
                "currency": "CNY",
            },
        }

    def bill_csv(self, day: str) -> bytes:
        """The trade bill (bill_type ALL) as WeChat Pay writes it: a header, one backquoted row per
        payment and per refund, then the summary."""
        header = (
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
            "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
            "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
        )
        lines = [header]
        paid = 0
        for order in self.orders.values():
            if order.transaction_id is None:
                continue
            yuan = f"{order.total / 100:.2f}"
            lines.append(
                ",".join(
                    f"`{value}"
                    for value in (
                        f"{day} 10:00:00",
                        APPID,
                        MCHID,
                        "0",
                        "",
                        order.transaction_id,
                        order.out_trade_no,
                        order.openid,
                        "JSAPI",
                        "SUCCESS",
                        "OTHERS",
                        "CNY",
                        yuan,
                        "0.00",
                        "0",
                        "0",
                        "0.00",
                        "0.00",
                        "",
                        "",
                        order.description,
                        "",
                        "0.00",
                        "0.60%",
                        yuan,
                        "0.00",
                        "",
                    )
                )
            )
            paid += order.total
        refunded = 0
        for refund in self.refunds.values():
            if refund.status != "SUCCESS":
                continue
            order = self.orders[refund.out_trade_no]
            lines.append(
                ",".join(
                    f"`{value}"
                    for value in (
                        f"{day} 11:00:00",
                        APPID,
                        MCHID,
                        "0",
                        "",
                        order.transaction_id,
                        order.out_trade_no,
                        order.openid,
                        "JSAPI",
                        "REFUND",
                        "OTHERS",
                        "CNY",
                        "0.00",
                        "0.00",
                        refund.refund_id,
                        refund.out_refund_no,
                        f"{refund.amount / 100:.2f}",
                        "0.00",
                        "ORIGINAL",
                        "SUCCESS",
                        order.description,
                        "",
                        "0.00",
                        "0.60%",
                        f"{order.total / 100:.2f}",
                        f"{refund.amount / 100:.2f}",
                        "",
                    )
                )
            )
            refunded += refund.amount
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        lines.append(
            f"`{len(lines) - 2},`{paid / 100:.2f},`{refunded / 100:.2f},`0.00,`0.00,"
            f"`{paid / 100:.2f},`{refunded / 100:.2f}"
        )
        return ("\n".join(lines) + "\n").encode()

    # -- the payer and WeChat Pay's callbacks ---------------------------------------------------
    def pay(self, out_trade_no: str) -> Order:
        """The payer confirms in WeChat: the order is paid (no callback yet)."""
        order = self.orders[out_trade_no]
        order.state = "SUCCESS"
        order.transaction_id = order.transaction_id or f"42000{uuid.uuid4().int % 10**23:023d}"
        order.success_time = datetime.now(CST).isoformat(timespec="seconds")
        return order

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Refund:
        refund = self.refunds[out_refund_no]
        refund.status = status
        refund.success_time = datetime.now(CST).isoformat(timespec="seconds") if status == "SUCCESS" else None
        return refund

    def callback(
        self,
        event_type: str,
        resource: dict[str, Any],
        *,
        original_type: str,
        timestamp: int | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: bytes | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A callback as WeChat Pay sends it: headers and body bytes."""
        nonce_str = secrets.token_hex(6)  # 12 characters: the AEAD nonce
        ciphertext = aead_encrypt(
            apiv3_key or self.keys.apiv3_key,
            nonce_str,
            original_type,
            json.dumps(resource, ensure_ascii=False).encode(),
        )
        summary = "支付成功" if event_type == "TRANSACTION.SUCCESS" else "退款成功"
        document = {
            "id": str(uuid.uuid4()),
            "create_time": datetime.now(CST).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": original_type,
                "nonce": nonce_str,
            },
        }
        body = json.dumps(document, ensure_ascii=False)
        headers = self.signed_headers(body, timestamp=timestamp, key=signing_key)
        headers["Content-Type"] = "application/json"
        return headers, body.encode()

    def payment_callback(self, out_trade_no: str, **kwargs: Any) -> tuple[dict[str, str], bytes]:
        order = self.orders[out_trade_no]
        resource = self.transaction(order)
        resource.update(kwargs.pop("override", {}))
        return self.callback("TRANSACTION.SUCCESS", resource, original_type="transaction", **kwargs)

    def refund_callback(self, out_refund_no: str, **kwargs: Any) -> tuple[dict[str, str], bytes]:
        refund = self.refunds[out_refund_no]
        resource = {
            "mchid": MCHID,
            "out_trade_no": refund.out_trade_no,
            "transaction_id": self.orders[refund.out_trade_no].transaction_id,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_status": refund.status,
            "success_time": refund.success_time,
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund.total,
                "refund": refund.amount,
                "payer_total": refund.total,
                "payer_refund": refund.amount,
            },
        }
        event = "REFUND.SUCCESS" if refund.status == "SUCCESS" else f"REFUND.{refund.status}"
        return self.callback(event, resource, original_type="refund", **kwargs)

    async def post(
        self, client: httpx.AsyncClient, path: str, callback: tuple[dict[str, str], bytes]
    ) -> httpx.Response:
        """POST a callback to the merchant (the service's notify path)."""
        headers, body = callback
        return await client.post(path, content=body, headers=headers)


def now_utc() -> datetime:
    return datetime.now(UTC)
