"""Settings of the reports service: environment variables prefixed `REPORTS_`."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_", extra="ignore", frozen=True)

    service_name: str = "reports"
    http_port: int = 8002
