"""Settings of the errand service: environment variables prefixed `ERRAND_`."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ERRAND_", extra="ignore", frozen=True)

    service_name: str = "errand"
    http_port: int = 8001
