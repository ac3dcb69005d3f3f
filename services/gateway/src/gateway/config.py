"""Settings of the gateway: environment variables prefixed `GATEWAY_`."""

from typing import ClassVar

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings, DefaultSecretError


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    secret_fields: ClassVar[tuple[str, ...]] = ("amqp_url", "database_url")

    service_name: str = "gateway"
    http_port: int = 8000

    # The gateway signs access tokens; services only ever see the public half.
    jwt_private_key: SecretStr = SecretStr("")
    jwt_private_key_file: str = ""

    # Upstream services the gateway routes to and reports on in /health/ready.
    errand_url: str = "http://127.0.0.1:8001"
    reports_url: str = "http://127.0.0.1:8002"
    forum_url: str = "http://127.0.0.1:8003"
    upstream_health_timeout_seconds: float = 2.0

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
    def upstreams(self) -> dict[str, str]:
        return {"errand": self.errand_url, "reports": self.reports_url, "forum": self.forum_url}
