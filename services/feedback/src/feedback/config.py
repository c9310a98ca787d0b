from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cxshared.mail.settings import MailSettings
from cxshared.settings import ServiceSettings

# Where the service's Alembic migrations are: the CLI needs this without the app.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Settings(ServiceSettings, MailSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./data/feedback.db", description=ServiceSettings.describe("database_url")
    )
    port: int = Field(8002, description=ServiceSettings.describe("port"))

    rate_limit_per_client: int = Field(
        120,
        description="Requests a minute to the public endpoints from one client address, "
        "shared by every worker; over it, 429 with Retry-After.",
    )
    rate_limit_per_survey: int = Field(
        3000, description="Requests a minute to one survey's public endpoints, from everyone."
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Proxies whose X-Forwarded-For is believed, as a JSON list of addresses "
        'or networks (["10.0.0.0/8"]); the gateway\'s address belongs here.',
    )

    case_sla_high_first_contact_hours: float = Field(
        24, gt=0, description="Time to first contact of a high-priority case."
    )
    case_sla_high_resolution_hours: float = Field(
        120, gt=0, description="Time to resolution of a high-priority case (5 days)."
    )
    case_sla_normal_first_contact_hours: float = Field(
        72, gt=0, description="Time to first contact of a normal-priority case."
    )
    case_sla_normal_resolution_hours: float = Field(
        240, gt=0, description="Time to resolution of a normal-priority case (10 days)."
    )
    case_sla_check_seconds: float = Field(
        60,
        ge=0,
        description="How often each `serve` process looks for cases past their SLA and "
        "announces each breach once (`case.breached`); 0 turns it off.",
    )
    case_followup_days: float = Field(
        14, gt=0, description="How long a case's recovery follow-up link can be answered."
    )

    public_url: str | None = Field(
        None,
        description="The address respondents reach the gateway at (its GATEWAY_PUBLIC_URL), "
        "for the links in invitation mail: https, or http on loopback for development. Unset: "
        "no survey's invitations can be mailed.",
        examples=["https://surveys.example.com"],
    )
    invitation_sweep_seconds: float = Field(
        60,
        ge=0,
        description="How often each `serve` process copies mail outcomes to invitations (sent, "
        "bounced) and queues the reminders that are due (docs/email.md); 0 turns it off.",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
        if not url.hostname or not (url.scheme == "https" or (url.scheme == "http" and loopback)):
            raise ValueError("must be an https:// address (http:// only on loopback)")
        if url.query or url.fragment or url.username:
            raise ValueError("must be a plain address, without query, fragment or user")
        return value.rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
