"""Settings of the gateway: environment variables prefixed `GATEWAY_`."""

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings, DefaultSecretError

MB = 1024 * 1024
# services/gateway/src/gateway/config.py -> the repository's web/ folder.
_REPOSITORY_WEB = Path(__file__).resolve().parents[4] / "web"


class WeChatTemplate(BaseModel):
    """One subscription-message template: its id, and per data key what fills it (`title`,
    `body`: the notification's words, cut to WeChat's 20 characters; `time`: when it happened)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template_id: str = Field(min_length=1, max_length=128)
    fields: dict[str, Literal["title", "body", "time"]] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    free_attempts: int
    delay_base_seconds: float
    delay_max_seconds: float
    memory_seconds: float
    per_phone: int
    per_phone_window_seconds: float

    def arguments(self) -> list[int]:
        return [
            self.free_attempts,
            int(self.delay_base_seconds * 1000),
            int(self.delay_max_seconds * 1000),
            max(1, int(self.memory_seconds * 1000)),
            self.per_phone,
            max(1, int(self.per_phone_window_seconds * 1000)),
        ]


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    secret_fields: ClassVar[tuple[str, ...]] = ("amqp_url", "database_url")

    service_name: str = "gateway"
    http_port: int = 8000

    # The gateway signs access tokens; services only ever see the public half.
    jwt_private_key: SecretStr = SecretStr("")
    jwt_private_key_file: str = ""
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86400, ge=60)
    # A notification stream ticket opens one stream within this many seconds (docs/contract.md: <= 60).
    stream_ticket_seconds: int = Field(default=60, ge=1, le=60)
    # argon2id cost (argon2-cffi's defaults, RFC 9106's second recommendation); tests lower it.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=1024)

    # Rights follow changes at once: how long the edge trusts its copy of a user's rights stamp
    # (README "Rights follow changes at once"; the contract allows 5 s).
    rights_cache_seconds: float = Field(default=1.0, ge=0, le=4)

    # Upstream services the gateway routes to and reports on in /health/ready.
    errand_url: str = "http://127.0.0.1:8001"
    reports_url: str = "http://127.0.0.1:8002"
    forum_url: str = "http://127.0.0.1:8003"
    payments_url: str = "http://127.0.0.1:8004"
    upstream_health_timeout_seconds: float = 2.0

    # Proxy: whole-request budget per upstream (retries of idempotent requests fit inside it).
    errand_timeout_seconds: float = Field(default=10.0, gt=0)
    reports_timeout_seconds: float = Field(default=30.0, gt=0)
    forum_timeout_seconds: float = Field(default=10.0, gt=0)
    # Creating a payment waits for WeChat Pay (its client times out after 5 s).
    payments_timeout_seconds: float = Field(default=15.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    proxy_retries: int = Field(default=2, ge=0, le=5)
    # Body limits: photo uploads to reports may carry 6 photos of 10 MB each plus form fields.
    max_body_bytes: int = Field(default=1 * MB, ge=1024)
    max_photo_body_bytes: int = Field(default=64 * MB, ge=1024)
    # The directory import: a 10 MB sheet plus its multipart envelope.
    max_import_body_bytes: int = Field(default=11 * MB, ge=1024)
    # Circuit breaker per upstream: consecutive failures that open it and how long it stays open
    # before one probe request is let through.
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_open_seconds: float = Field(default=5.0, gt=0)

    cors_allow_origins: tuple[str, ...] = ()

    # The built faces (/console/, /app/: gateway.api.web): `<web_dir>/<console|app>/dist`. Empty means
    # the repository's web/ folder beside services/ (where `python3 dev.py run` builds them).
    web_dir: str = ""

    # Rate limits (sliding window in Redis). Login and registration are stricter.
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    rate_limit_per_user: int = Field(default=600, ge=1)
    rate_limit_per_ip: int = Field(default=1200, ge=1)
    auth_rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    auth_rate_limit_per_ip: int = Field(default=20, ge=1)
    # Sign-in attempts (README "Sign-in throttling"): per phone and client address, this many
    # free attempts, then a delay doubling from the base up to the max; forgotten after the
    # memory of quiet or at a success. Per phone from all addresses: at most
    # AUTH_RATE_LIMIT_PER_PHONE failed attempts per LOGIN_PHONE_WINDOW_SECONDS.
    login_free_attempts: int = Field(default=5, ge=1)
    login_delay_base_seconds: float = Field(default=1.0, gt=0)
    login_delay_max_seconds: float = Field(default=300.0, gt=0)
    login_memory_seconds: float = Field(default=3600.0, gt=0)
    auth_rate_limit_per_phone: int = Field(default=100, ge=1)
    login_phone_window_seconds: float = Field(default=3600.0, gt=0)
    redis_timeout_seconds: float = Field(default=0.25, gt=0)
    # Trust X-Forwarded-For from these peers only (a load balancer in front of the gateway).
    trusted_proxies: tuple[str, ...] = ()

    # WeChat mini-program login.
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechat_secret: SecretStr = SecretStr("")
    wechat_timeout_seconds: float = Field(default=5.0, gt=0)
    # WeChat subscription messages (订阅消息, README "WeChat subscription messages"): per
    # notification event type, the template and which of its keys carry what. JSON in
    # GATEWAY_WECHAT_SUBSCRIBE_TEMPLATES, e.g. {"errand.order.accepted.v1": {"template_id": "T1",
    # "fields": {"thing1": "title", "thing2": "body", "time3": "time"}}}. Empty: none are sent.
    wechat_subscribe_templates: dict[str, WeChatTemplate] = Field(default_factory=dict)
    wechat_subscribe_page: str = "pages/notifications/index"
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    wechat_push_poll_seconds: float = Field(default=1.0, gt=0)
    wechat_push_batch: int = Field(default=20, ge=1, le=500)
    wechat_push_max_attempts: int = Field(default=6, ge=1)
    # Refresh the cached access token this long before WeChat's expiry.
    wechat_token_refresh_margin_seconds: int = Field(default=300, ge=0)

    # SMS codes (README "Accounts: SMS codes, reset, deletion"). The catcher keeps messages in
    # memory for `GET /dev/sms` (development only); elsewhere it warns at start-up.
    sms_provider: Literal["catcher", "tencent"] = "catcher"
    sms_tencent_endpoint: str = "https://sms.tencentcloudapi.com"
    sms_tencent_secret_id: str = ""
    sms_tencent_secret_key: SecretStr = SecretStr("")
    sms_tencent_region: str = "ap-guangzhou"
    sms_tencent_sdk_app_id: str = ""
    sms_tencent_sign_name: str = ""
    # The template takes one parameter, the code: "您的验证码为{1}，10分钟内有效。"
    sms_tencent_template_id: str = ""
    # An errand's delivery code to a recipient without an account; one parameter, the code:
    # "有人为您下了跑腿订单，收货码{1}，送达时请告诉跑腿员。" (empty: the verification template).
    sms_tencent_delivery_template_id: str = ""
    sms_timeout_seconds: float = Field(default=5.0, gt=0)
    sms_code_ttl_seconds: int = Field(default=600, ge=60)
    sms_per_minute: int = Field(default=1, ge=1)
    sms_per_hour: int = Field(default=5, ge=1)
    sms_code_max_attempts: int = Field(default=5, ge=1)
    # Phone verification at registration: None means on outside development, off in it.
    registration_requires_sms: bool | None = None

    @property
    def sms_required_at_registration(self) -> bool:
        if self.registration_requires_sms is None:
            return self.environment != "development"
        return self.registration_requires_sms

    @model_validator(mode="after")
    def _signing_key_outside_development(self) -> "Settings":
        if self.environment != "development" and not (
            self.jwt_private_key.get_secret_value() or self.jwt_private_key_file
        ):
            raise DefaultSecretError(
                f"gateway: set GATEWAY_JWT_PRIVATE_KEY or GATEWAY_JWT_PRIVATE_KEY_FILE; "
                f"development keys are refused in {self.environment}"
            )
        return self

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            free_attempts=self.login_free_attempts,
            delay_base_seconds=self.login_delay_base_seconds,
            delay_max_seconds=self.login_delay_max_seconds,
            memory_seconds=self.login_memory_seconds,
            per_phone=self.auth_rate_limit_per_phone,
            per_phone_window_seconds=self.login_phone_window_seconds,
        )

    @property
    def web_root(self) -> Path:
        return Path(self.web_dir) if self.web_dir else _REPOSITORY_WEB

    @property
    def upstreams(self) -> dict[str, str]:
        return {
            "errand": self.errand_url,
            "reports": self.reports_url,
            "forum": self.forum_url,
            "payments": self.payments_url,
        }

    @property
    def redis_prefix(self) -> str:
        """Redis keys and channels belong to the deployment's exchange, so staging beside production
        (or parallel tests) never share rate-limit counters or notification fan-out."""
        return f"{self.events_exchange}:gateway:"

    @property
    def upstream_timeouts(self) -> dict[str, float]:
        return {
            "errand": self.errand_timeout_seconds,
            "reports": self.reports_timeout_seconds,
            "forum": self.forum_timeout_seconds,
            "payments": self.payments_timeout_seconds,
        }
