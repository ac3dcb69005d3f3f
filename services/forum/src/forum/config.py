"""Settings of the forum service: environment variables prefixed `FORUM_`."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore", frozen=True)

    service_name: str = "forum"
    http_port: int = 8003
