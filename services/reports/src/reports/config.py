"""Settings of the reports service: environment variables prefixed `REPORTS_`."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.photos import DEFAULT_PHOTO_ROOT, PhotoSettings


class Settings(PhotoSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_", extra="ignore", frozen=True)

    service_name: str = "reports"
    http_port: int = 8002

    # Local disk (photo_storage=local, the default); photo_storage=s3 keeps photos in a bucket.
    photo_root: Path = DEFAULT_PHOTO_ROOT / "reports"
    # A technician juggling more jobs than this does none of them well; assign/grab refuse past it.
    max_open_jobs_per_staff: int = Field(default=8, ge=1, le=1000)
    # possible_duplicates looks this far back.
    duplicate_window_days: int = Field(default=7, ge=1, le=90)
    # How often the in-service SLA / auto-close job runs (0 disables it, e.g. in tests that drive it).
    job_interval_seconds: float = Field(default=60.0, ge=0)
    # How often changes are folded into the statistics cells (fast_stats); runs only when the jobs do.
    stats_fold_interval_seconds: float = Field(default=1.0, gt=0)
    urge_interval_minutes: int = Field(default=60, ge=1)
    # Public base URL announced in Open311 discovery.
    public_base_url: str = "http://127.0.0.1:8000"
