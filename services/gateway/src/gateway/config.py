from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./data/gateway.db"
    port: int = 8000
    # The gateway has no outbox of its own.
    relay_in_process: bool = False

    # The backends, each with the key the gateway uses for it (scopes write + gateway, so the
    # backend records the staff user who acted).
    journey_url: str = "http://127.0.0.1:8001"
    journey_api_key: SecretStr | None = None
    feedback_url: str = "http://127.0.0.1:8002"
    feedback_api_key: SecretStr | None = None
    metrics_url: str = "http://127.0.0.1:8003"
    metrics_api_key: SecretStr | None = None
    # A backend slower than this is shown as missing on the page rather than holding it up.
    backend_timeout_seconds: float = Field(5.0, gt=0)

    # A survey definition is reused this long, then revalidated with feedback by its ETag.
    survey_cache_seconds: float = Field(2.0, ge=0)

    # Staff sessions end after this long without a request, and after this long in any case.
    session_idle_minutes: int = Field(60, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    # Cookies only over HTTPS: on behind TLS in production, off for http://127.0.0.1.
    secure_cookies: bool = False
    # Proxies in front of the gateway whose X-Forwarded-For is believed (addresses or networks).
    # Feedback must in turn trust the gateway's address, to rate-limit each respondent.
    trusted_proxies: list[str] = []
    # The address customers reach the gateway at, for survey links and the embed snippet.
    public_url: str = "http://127.0.0.1:8000"


@lru_cache
def get_settings() -> Settings:
    return Settings()
