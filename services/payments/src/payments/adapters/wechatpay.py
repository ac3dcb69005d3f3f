"""WeChat Pay API v3 (微信支付 APIv3), the real protocol: request signing, response and callback
verification, callback decryption, JSAPI prepay with the client's signed parameters, order query and
close, refunds and the trade bill.

The protocol, as WeChat Pay documents it:

- Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
  signature="..",timestamp="..",serial_no=".."``, the signature being SHA256withRSA (PKCS#1 v1.5) of
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's API private key.
- Every answer and every callback is signed by WeChat Pay: ``Wechatpay-Timestamp``, ``-Nonce``,
  ``-Signature`` (base64) and ``-Serial`` (the platform certificate serial or the platform public
  key id ``PUB_KEY_ID_...``); the signed message is ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- A callback's ``resource`` is AEAD_AES_256_GCM: key = the merchant's APIv3 key (32 bytes),
  nonce and associated_data as given, ciphertext base64 with the 16-byte tag at its end.
- The mini-program / JSAPI client pays with ``appId, timeStamp, nonceStr, package=prepay_id=..,
  signType=RSA, paySign``, paySign being SHA256withRSA of ``APPID\\nTIMESTAMP\\nNONCE\\nPACKAGE\\n``.

Everything here is plain protocol code without the database; the service layer decides what a
verified message means.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
# WeChat Pay's own clients refuse answers and callbacks older (or newer) than five minutes.
MAX_CLOCK_SKEW_SECONDS = 300


class WechatPayError(Exception):
    """The provider answered with an error (its `code` and `message`), or not at all."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ProviderUnreachable(WechatPayError):
    def __init__(self, message: str) -> None:
        super().__init__(0, "UNREACHABLE", message)


class SignatureRejected(Exception):
    """A message claiming to come from WeChat Pay failed verification: `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nonce() -> str:
    return secrets.token_hex(16).upper()


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the WeChat Pay merchant key must be an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A platform public key (PEM) or the public key of a platform certificate (PEM)."""
    text = pem.strip()
    if "BEGIN CERTIFICATE" in text:
        from cryptography import x509

        key: Any = x509.load_pem_x509_certificate(text.encode()).public_key()
    else:
        key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the WeChat Pay platform key must be an RSA public key")
    return key


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: str, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def request_message(method: str, path_and_query: str, timestamp: str, nonce_str: str, body: str) -> str:
    return f"{method}\n{path_and_query}\n{timestamp}\n{nonce_str}\n{body}\n"


def response_message(timestamp: str, nonce_str: str, body: str) -> str:
    return f"{timestamp}\n{nonce_str}\n{body}\n"


def authorization_header(
    key: rsa.RSAPrivateKey,
    *,
    mchid: str,
    serial_no: str,
    method: str,
    path_and_query: str,
    body: str,
    timestamp: str | None = None,
    nonce_str: str | None = None,
) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce_str = nonce_str or nonce()
    signature = rsa_sign(key, request_message(method, path_and_query, timestamp, nonce_str, body))
    return (
        f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of a WECHATPAY2-SHA256-RSA2048 Authorization header (for the test server)."""
    schema, _, rest = header.partition(" ")
    if schema != AUTH_SCHEMA:
        raise ValueError("not a WeChat Pay v3 authorization")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value.strip('"')
    return fields


def aead_decrypt(apiv3_key: bytes, nonce_str: str, associated_data: str, ciphertext_b64: str) -> bytes:
    return AESGCM(apiv3_key).decrypt(
        nonce_str.encode(), base64.b64decode(ciphertext_b64), associated_data.encode()
    )


def aead_encrypt(apiv3_key: bytes, nonce_str: str, associated_data: str, plaintext: bytes) -> str:
    """What WeChat Pay does to a callback's resource (used by the local test server)."""
    return base64.b64encode(
        AESGCM(apiv3_key).encrypt(nonce_str.encode(), plaintext, associated_data.encode())
    ).decode()


@dataclass(frozen=True)
class WechatPayConfig:
    base_url: str
    mchid: str
    appid: str
    merchant_serial_no: str
    merchant_private_key_pem: str
    apiv3_key: bytes
    platform_public_key_pem: str
    platform_serial: str
    notify_url: str
    refund_notify_url: str
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted callback: its id, event type and the resource's plaintext."""

    id: str
    event_type: str
    resource: dict[str, Any]


class WechatPayClient:
    """One merchant's APIv3 client. Answers are verified before they are believed."""

    def __init__(self, config: WechatPayConfig, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._key = load_private_key(config.merchant_private_key_pem)
        self._platform_key = load_public_key(config.platform_public_key_pem)
        self._http = http or httpx.AsyncClient(base_url=config.base_url, timeout=config.timeout_seconds)
        if len(config.apiv3_key) != 32:
            raise ValueError("the APIv3 key is 32 bytes")

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- verification --------------------------------------------------------------------------
    def verify(self, headers: Mapping[str, str], body: str, *, now: float | None = None) -> None:
        """Check a WeChat Pay signature over ``body``; SignatureRejected says what is wrong."""
        # httpx's and Starlette's headers are case-insensitive already; a plain dict may not be.
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = lowered.get("wechatpay-timestamp")
        nonce_str = lowered.get("wechatpay-nonce")
        signature = lowered.get("wechatpay-signature")
        serial = lowered.get("wechatpay-serial")
        if not (timestamp and nonce_str and signature and serial):
            raise SignatureRejected("missing_headers")
        try:
            moment = int(timestamp)
        except ValueError:
            raise SignatureRejected("bad_timestamp") from None
        if abs((now if now is not None else time.time()) - moment) > MAX_CLOCK_SKEW_SECONDS:
            raise SignatureRejected("stale_timestamp")
        if serial != self.config.platform_serial:
            raise SignatureRejected("unknown_serial")
        if not rsa_verify(self._platform_key, response_message(timestamp, nonce_str, body), signature):
            raise SignatureRejected("bad_signature")

    def open_notification(
        self, headers: Mapping[str, str], body: str, *, now: float | None = None
    ) -> Notification:
        """Verify and decrypt a callback (payment or refund)."""
        self.verify(headers, body, now=now)
        try:
            document = json.loads(body)
            resource = document["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise SignatureRejected("bad_algorithm")
            plaintext = aead_decrypt(
                self.config.apiv3_key,
                resource["nonce"],
                resource.get("associated_data") or "",
                resource["ciphertext"],
            )
            return Notification(str(document["id"]), str(document["event_type"]), json.loads(plaintext))
        except SignatureRejected:
            raise
        except (InvalidTag, KeyError, TypeError, ValueError, AttributeError):
            raise SignatureRejected("undecryptable") from None

    # -- client parameters ---------------------------------------------------------------------
    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        timestamp = str(int(time.time()))
        nonce_str = nonce()
        package = f"prepay_id={prepay_id}"
        message = f"{self.config.appid}\n{timestamp}\n{nonce_str}\n{package}\n"
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": rsa_sign(self._key, message),
        }

    # -- requests ------------------------------------------------------------------------------
    async def _request(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, raw: bool = False
    ) -> tuple[int, Any]:
        text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        parts = urlsplit(path)
        path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Authorization": authorization_header(
                self._key,
                mchid=self.config.mchid,
                serial_no=self.config.merchant_serial_no,
                method=method,
                path_and_query=path_and_query,
                body=text,
            ),
            "Accept": "application/json",
            "User-Agent": "weilinli-payments/1.0",
            "Wechatpay-Serial": self.config.platform_serial,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(
                method, path, content=text.encode() if body is not None else None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(type(exc).__name__) from exc
        if raw:
            # Bill files are not signed (their SHA1 comes, signed, with the download URL).
            if response.status_code != 200:
                raise WechatPayError(response.status_code, "BILL_DOWNLOAD_FAILED")
            return response.status_code, response.content
        payload = response.text
        if response.status_code >= 500:
            raise ProviderUnreachable(f"HTTP {response.status_code}")
        try:
            self.verify(response.headers, payload)
        except SignatureRejected as exc:
            raise WechatPayError(response.status_code, "RESPONSE_NOT_VERIFIED", exc.reason) from exc
        data = json.loads(payload) if payload else None
        if response.status_code >= 400:
            code = str((data or {}).get("code", "ERROR"))
            raise WechatPayError(response.status_code, code, str((data or {}).get("message", "")))
        return response.status_code, data

    async def jsapi_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total_fen: int,
        openid: str,
        time_expire: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "notify_url": self.config.notify_url,
            "amount": {"total": total_fen, "currency": "CNY"},
            "payer": {"openid": openid},
        }
        if time_expire:
            body["time_expire"] = time_expire
        _, data = await self._request("POST", "/v3/pay/transactions/jsapi", body=body)
        return str(data["prepay_id"])

    async def query(self, out_trade_no: str) -> dict[str, Any]:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={quote(self.config.mchid)}"
        _, data = await self._request("GET", path)
        return dict(data)

    async def close(self, out_trade_no: str) -> None:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close"
        await self._request("POST", path, body={"mchid": self.config.mchid})

    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> dict[str, Any]:
        body = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "reason": reason[:80],
            "notify_url": self.config.refund_notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        _, data = await self._request("POST", "/v3/refund/domestic/refunds", body=body)
        return dict(data)

    async def query_refund(self, out_refund_no: str) -> dict[str, Any]:
        _, data = await self._request("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no)}")
        return dict(data)

    async def trade_bill(self, bill_date: str) -> bytes:
        """The day's trade bill (bill_type ALL), its SHA1 checked against the signed answer."""
        _, data = await self._request("GET", f"/v3/bill/tradebill?bill_date={quote(bill_date)}&bill_type=ALL")
        url = urlsplit(str(data["download_url"]))
        _, content = await self._request("GET", url.path + (f"?{url.query}" if url.query else ""), raw=True)
        if (
            data.get("hash_type", "SHA1") == "SHA1"
            and hashlib.sha1(content, usedforsecurity=False).hexdigest() != str(data["hash_value"]).lower()
        ):
            raise WechatPayError(200, "BILL_HASH_MISMATCH")
        return bytes(content)


def parse_trade_bill(content: bytes) -> list[dict[str, str]]:
    """Rows of a trade bill CSV (every value prefixed with a backquote; a summary after the rows)."""
    lines = content.decode("utf-8-sig").splitlines()
    if not lines:
        return []
    header = [name.strip() for name in lines[0].split(",")]
    rows = []
    for line in lines[1:]:
        if not line.startswith("`"):
            break  # the summary block: 总交易单数,应结订单总金额,...
        values = [value.strip().lstrip("`") for value in line.split(",")]
        rows.append(dict(zip(header, values, strict=False)))
    return rows
