"""Settings base every service extends.

Each service subclass sets its own env prefix (``ERRAND_``, ``REPORTS_`` ...), so one machine can run
all four services from one environment without their variables colliding. Values that are secrets
have development defaults so that `make run` works on a fresh machine; outside development those
defaults are refused at start-up instead of silently going to production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

DEV_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEV_DATABASE_HOST = "postgresql+asyncpg://postgres@127.0.0.1:5432"

# Where `make run` keeps what it generates locally (development JWT keys, uploaded photos).
LOCAL_STATE_DIR = Path(".var")


class DefaultSecretError(ValueError):
    """A secret still has its development default in a non-development environment."""


class BaseServiceSettings(BaseSettings):
    """Common settings; subclasses set ``service_name`` and ``model_config['env_prefix']``."""

    model_config = SettingsConfigDict(env_prefix="WEILINLI_", extra="ignore", frozen=True)

    # Secret fields whose development default must be replaced outside development.
    secret_fields: ClassVar[tuple[str, ...]] = ("amqp_url", "database_url")

    service_name: str = "service"
    environment: Environment = "development"
    log_level: str = "INFO"

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    database_url: SecretStr = SecretStr("")
    amqp_url: SecretStr = SecretStr(DEV_AMQP_URL)
    redis_url: str = "redis://127.0.0.1:6379/0"

    # Messaging names are settings so that tests (and staging beside production on one broker)
    # can use their own exchange and queues.
    events_exchange: str = "weilinli.events"
    dead_letter_exchange: str = "weilinli.dlx"
    queue_prefix: str = ""
    # Tests only: the broker deletes a queue unused for this long (x-expires), so a test run that
    # was killed before its cleanup leaves nothing behind for good. Never set in a deployment.
    queue_expires_seconds: float | None = Field(default=None, gt=0)
    # Database connections (deploy/README.md, "Database connections"): one service process opens
    # at most db_pool_size + db_max_overflow pooled connections, plus the relay's LISTEN connection
    # and, while it starts, one migration connection (``max_db_connections``). The defaults keep
    # four services at 4 x 16 = 64 of PostgreSQL's default max_connections = 100.
    # Each message in flight holds a pooled connection: prefetch must leave room for the relay and
    # for HTTP requests, or a backlog opens and closes overflow connections by the hundred.
    consumer_prefetch: int = Field(default=8, ge=1, le=1000)
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=4, ge=0, le=500)
    # A request waits this long for a pooled connection, then answers 503 service_busy.
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    delivery_limit: int = Field(default=5, ge=1, le=100)
    retry_base_delay_seconds: float = Field(default=0.5, ge=0)
    retry_max_delay_seconds: float = Field(default=30.0, ge=0)
    publish_timeout_seconds: float = Field(default=5.0, gt=0)
    outbox_batch_size: int = Field(default=200, ge=1, le=5000)
    outbox_fallback_poll_seconds: float = Field(default=5.0, gt=0)
    outbox_max_backoff_seconds: float = Field(default=10.0, gt=0)
    # Most messages published and not yet confirmed at any time (the batch in flight included).
    outbox_confirm_window: int = Field(default=1000, ge=1, le=100_000)
    # A batch whose confirms stop arriving for this long commits what was confirmed and hands the
    # late ones to a connection of their own (at most outbox_straggler_connections at a time).
    outbox_straggler_seconds: float = Field(default=0.5, gt=0)
    outbox_straggler_connections: int = Field(default=1, ge=0, le=16)
    # Retention (servicekit/retention.py explains the horizons): inbox rows 7 days, Idempotency-Key
    # rows 48 hours; the job runs hourly, its first round a minute after start.
    inbox_retention_seconds: float = Field(default=7 * 24 * 3600.0, gt=0)
    idempotency_key_retention_seconds: float = Field(default=48 * 3600.0, gt=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    retention_first_run_seconds: float = Field(default=60.0, ge=0)
    retention_batch_size: int = Field(default=5000, ge=1, le=100_000)
    # Outbox backlog and queue depths for /metrics are sampled this often (0: never).
    metrics_interval_seconds: float = Field(default=15.0, ge=0)

    # Access tokens are verified with the gateway's public key (PEM text or a file holding it).
    jwt_public_key: str = ""
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "weilinli-gateway"
    jwt_audience: str = "weilinli"
    jwt_algorithms: tuple[str, ...] = ("EdDSA",)
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=300)

    community_timezone: str = "Asia/Shanghai"

    # Development only: the demo seeder's secret for this run (servicekit.clock). One variable for
    # every service, WEILINLI_DEMO_TIME_SECRET, which `dev.py run` generates; refused elsewhere.
    demo_time_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("demo_time_secret", "WEILINLI_DEMO_TIME_SECRET"),
    )

    @model_validator(mode="before")
    @classmethod
    def _default_database_url(cls, data: Any) -> Any:
        # Each service gets its own database, named after the service, unless told otherwise.
        if isinstance(data, dict) and not data.get("database_url"):
            name = data.get("service_name") or cls.model_fields["service_name"].default
            data = {**data, "database_url": f"{DEV_DATABASE_HOST}/weilinli_{name}"}
        return data

    @model_validator(mode="after")
    def _demo_time_in_development_only(self) -> BaseServiceSettings:
        if self.environment != "development" and self.demo_time_secret.get_secret_value():
            raise ValueError(
                f"{self.service_name}: WEILINLI_DEMO_TIME_SECRET is for development only; "
                f"refused in {self.environment}"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_development(self) -> BaseServiceSettings:
        if self.environment == "development":
            return self
        defaults = _development_defaults(self)
        offending = [name for name in self.secret_fields if _secret_text(getattr(self, name)) in defaults]
        if not self.jwt_public_key and self.jwt_public_key_file is None:
            offending.append("jwt_public_key")
        if offending:
            prefix = self.model_config.get("env_prefix", "")
            names = ", ".join(f"{prefix}{name.upper()}" for name in offending)
            raise DefaultSecretError(
                f"{self.service_name}: set {names}; development defaults are refused in {self.environment}"
            )
        return self

    @model_validator(mode="after")
    def _pool_covers_consumers(self) -> BaseServiceSettings:
        if (
            self.consumer_prefetch + self.relay_pool_connections + 1
            > self.db_pool_size + self.db_max_overflow
        ):
            raise ValueError(
                "consumer_prefetch must leave room in the database pool (pool size + overflow) for the "
                "outbox relay (1 + outbox_straggler_connections) and at least one HTTP request"
            )
        return self

    @model_validator(mode="after")
    def _inbox_outlives_redeliveries(self) -> BaseServiceSettings:
        # The broker redelivers one message at most delivery_limit + 1 times, retry_max_delay apart;
        # the inbox keeps an event id far longer than that (x10) so no redelivery is applied twice.
        window = (self.delivery_limit + 1) * max(self.retry_max_delay_seconds, 1.0)
        if self.inbox_retention_seconds < 10 * window:
            raise ValueError(
                f"inbox_retention_seconds must be at least {10 * window:.0f} (10 x the redelivery window)"
            )
        return self

    @property
    def relay_pool_connections(self) -> int:
        """Pooled connections the outbox relay may hold: its batch and its straggler holders."""
        return 1 + self.outbox_straggler_connections

    @property
    def max_db_connections(self) -> int:
        """The most PostgreSQL connections one process of this service opens: the pool with its
        overflow, the relay's LISTEN connection, and the migration connection of start-up
        (counted although it is closed before the pool opens, so a restart overlapping the old
        process still fits)."""
        return self.db_pool_size + self.db_max_overflow + 1 + 1

    @property
    def queue_name(self) -> str:
        return f"{self.queue_prefix}{self.service_name}.events"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.queue_name}.dlq"


def _secret_text(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _development_defaults(settings: BaseServiceSettings) -> set[str]:
    return {
        DEV_AMQP_URL,
        "",
        f"{DEV_DATABASE_HOST}/weilinli_{settings.service_name}",
    }
