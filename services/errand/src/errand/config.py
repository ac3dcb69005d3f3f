"""Settings of the errand service: environment variables prefixed `ERRAND_`.

Business rules (pricing, cancellation, releases, points and levels) are nested objects; override
them as JSON, e.g. ``ERRAND_PRICING='{"per_100m_fen": 60}'``.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from errand.domain.rules import CancellationRules, PointsRules, PricingRules, ReleaseRules
from servicekit.photos import DEFAULT_PHOTO_ROOT, PhotoSettings


class Settings(PhotoSettings):
    model_config = SettingsConfigDict(env_prefix="ERRAND_", extra="ignore", frozen=True)

    service_name: str = "errand"
    http_port: int = 8001

    # Redis keys (presence, open-order index) start with this, so staging and tests can share
    # one Redis with production-like names apart.
    redis_key_prefix: str = "errand"

    feed_radius_m: int = Field(default=500, ge=50, le=5000)
    feed_max_items: int = Field(default=50, ge=1, le=100)
    presence_ttl_seconds: int = Field(default=300, ge=10)

    quote_ttl_seconds: int = Field(default=600, ge=10)
    dispatch_timeout_seconds: int = Field(default=1800, ge=10)
    auto_complete_hours: float = Field(default=24, gt=0)
    delivery_code_max_attempts: int = Field(default=5, ge=1)
    max_tip_fen: int = Field(default=20_000, ge=0)
    # Where the couriers' proof-of-delivery photos are kept on local disk
    # (<root>/<community>/<order>/<uuid>.<ext>; photo_storage=s3 keeps them in a bucket instead).
    photo_root: Path = DEFAULT_PHOTO_ROOT / "errand"

    # How often the in-service timeout jobs look for dispatching orders to expire and delivered
    # orders to complete.
    jobs_interval_seconds: float = Field(default=15.0, gt=0)
    jobs_batch_size: int = Field(default=200, ge=1)

    pricing: PricingRules = PricingRules()
    cancellation: CancellationRules = CancellationRules()
    release: ReleaseRules = ReleaseRules()
    points: PointsRules = PointsRules()
