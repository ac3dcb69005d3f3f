"""Settings of the payments service: environment variables prefixed `PAYMENTS_`.

WeChat Pay is off until its merchant settings are given (``PAYMENTS_WECHATPAY_MCHID`` and the rest,
deploy/env/payments.env.example); until then creating a payment answers 503
``payment_provider_unconfigured`` and everything else (ledger, fees, callbacks refused) works.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from payments.adapters.wechatpay import WechatPayConfig
from servicekit.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)

    secret_fields: ClassVar[tuple[str, ...]] = ("amqp_url", "database_url")

    service_name: str = "payments"
    http_port: int = 8004
    # Money is the quietest service: a smaller pool keeps five services inside PostgreSQL's
    # default 100 connections with room for people and tools (tests/deploy/test_connection_budget.py).
    consumer_prefetch: int = Field(default=4, ge=1, le=1000)
    db_pool_size: int = Field(default=6, ge=1, le=500)
    db_max_overflow: int = Field(default=2, ge=0, le=500)

    # WeChat Pay API v3 (商户号 mchid, the mini-program's appid, the merchant API key and its
    # certificate serial, the APIv3 key for callbacks, WeChat Pay's platform public key and its id).
    wechatpay_base_url: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = ""
    wechatpay_appid: str = ""
    wechatpay_merchant_serial_no: str = ""
    wechatpay_merchant_private_key: SecretStr = SecretStr("")
    wechatpay_merchant_private_key_file: Path | None = None
    wechatpay_apiv3_key: SecretStr = SecretStr("")
    wechatpay_platform_public_key: str = ""
    wechatpay_platform_public_key_file: Path | None = None
    # The platform public key's id (PUB_KEY_ID_...) or the platform certificate's serial: what
    # WeChat Pay sends as Wechatpay-Serial.
    wechatpay_platform_serial: str = ""
    # Where WeChat Pay posts callbacks: the gateway's public address + the service's paths.
    public_base_url: str = "http://127.0.0.1:8000"
    wechatpay_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    # An unpaid order is closed after this long (WeChat Pay's time_expire).
    payment_ttl_seconds: int = Field(default=1800, ge=60, le=7 * 24 * 3600)
    # Errands: pay before the order is dispatched, or once it is delivered (issue 17, item 3).
    errand_payment_timing: Literal["before_dispatch", "on_delivery"] = "before_dispatch"
    # How often the sweep asks WeChat Pay about pending orders and refunds (0: tests drive it).
    sweep_interval_seconds: float = Field(default=30.0, ge=0)
    # A pending order is asked about once it is this old and then at most this often.
    sweep_after_seconds: float = Field(default=60.0, ge=0)

    @property
    def wechatpay(self) -> WechatPayConfig | None:
        """The merchant's configuration, or None while WeChat Pay is not configured."""
        private_key = self.wechatpay_merchant_private_key.get_secret_value()
        if not private_key and self.wechatpay_merchant_private_key_file is not None:
            private_key = Path(self.wechatpay_merchant_private_key_file).read_text()
        public_key = self.wechatpay_platform_public_key
        if not public_key and self.wechatpay_platform_public_key_file is not None:
            public_key = Path(self.wechatpay_platform_public_key_file).read_text()
        apiv3 = self.wechatpay_apiv3_key.get_secret_value()
        if not (self.wechatpay_mchid and self.wechatpay_appid and private_key and public_key and apiv3):
            return None
        base = self.public_base_url.rstrip("/")
        return WechatPayConfig(
            base_url=self.wechatpay_base_url,
            mchid=self.wechatpay_mchid,
            appid=self.wechatpay_appid,
            merchant_serial_no=self.wechatpay_merchant_serial_no,
            merchant_private_key_pem=private_key,
            apiv3_key=apiv3.encode(),
            platform_public_key_pem=public_key,
            platform_serial=self.wechatpay_platform_serial,
            notify_url=f"{base}/api/v1/payments/wechat/notify",
            refund_notify_url=f"{base}/api/v1/payments/wechat/refund-notify",
            timeout_seconds=self.wechatpay_timeout_seconds,
        )
