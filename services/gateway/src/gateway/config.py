from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings

# Where the service's Alembic migrations are: the CLI needs this without the app.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./data/gateway.db", description=ServiceSettings.describe("database_url")
    )
    port: int = Field(8000, description=ServiceSettings.describe("port"))
    relay_in_process: bool = Field(False, description="The gateway has no outbox of its own.")

    journey_url: str = Field("http://127.0.0.1:8001", description="Journey's base URL.")
    journey_api_key: SecretStr | None = Field(
        None,
        description="The gateway's key for journey (scopes write and gateway, so the backend "
        "records the staff user who acted).",
    )
    feedback_url: str = Field("http://127.0.0.1:8002", description="Feedback's base URL.")
    feedback_api_key: SecretStr | None = Field(None, description="The gateway's key for feedback.")
    metrics_url: str = Field("http://127.0.0.1:8003", description="Metrics' base URL.")
    metrics_api_key: SecretStr | None = Field(None, description="The gateway's key for metrics.")
    backend_timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="A backend slower than this is shown as missing on the page rather than "
        "holding it up.",
    )
    analysis_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="How long an analysis that reads a whole period (the dashboard's drivers) "
        "may take; its panel loads after the page, so the rest does not wait for it.",
    )
    survey_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="A survey definition is reused this long, then revalidated with feedback "
        "by its ETag.",
    )
    sign_in_attempts_per_minute: int = Field(
        10,
        ge=1,
        description="Sign-in attempts a minute from one address (and from one known browser). "
        "Raise it when many staff share one address, behind an office's NAT.",
    )
    session_idle_minutes: int = Field(
        60, ge=1, description="Staff sessions end after this long without a request."
    )
    session_absolute_hours: int = Field(
        12, ge=1, description="Staff sessions end after this long in any case."
    )
    secure_cookies: bool = Field(
        False,
        description="Cookies only over HTTPS: on behind TLS in production, off for "
        "http://127.0.0.1.",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Proxies in front of the gateway whose X-Forwarded-For is believed (JSON "
        "list of addresses or networks). Feedback must in turn trust the gateway's address.",
    )
    outreach_high_priority_loss: float = Field(
        5000.0,
        ge=0,
        description="An outreach case opened from the customers at risk is high priority when "
        "the customer's expected loss a year (in metrics' currency) is at least this; normal "
        "below.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address customers reach the gateway at, for survey links and the "
        "embed snippet.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
