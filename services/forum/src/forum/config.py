"""Settings of the forum service: environment variables prefixed `FORUM_`."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore", frozen=True)

    service_name: str = "forum"
    http_port: int = 8003

    # Redis keys of this service would start here. The forum keeps none today: its posting limits
    # live in PostgreSQL, in the posting transaction (service_layer/common.py PostingGuard).
    redis_prefix: str = "forum:"
    # Posts (threads and replies) per member per minute, and how long an identical text by the
    # same member counts as a duplicate.
    posts_per_minute: int = Field(default=6, ge=1)
    duplicate_window_seconds: int = Field(default=600, ge=1)

    # The deliberation policy of a community that has not set its own (GET/PUT /forum/policy;
    # the committee sets it, never the proposer).
    support_threshold: int = Field(default=10, ge=1)
    support_window_days: int = Field(default=14, ge=1, le=90)
    quorum: int = Field(default=20, ge=1)
    pass_ratio: float = Field(default=0.5, gt=0, le=1)
    rating_threshold: float = Field(default=3.5, ge=1, le=5)

    # Background jobs: deliberation windows, overdue milestones, hotspot detection.
    jobs_enabled: bool = True
    jobs_interval_seconds: float = Field(default=300.0, gt=0)
