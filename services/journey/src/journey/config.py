from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from cxshared.events.outbox import Sink
from cxshared.settings import ServiceSettings

# Where the service's Alembic migrations are: the CLI needs this without the app.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# What feedback keeps of journey to route cases: who owns each touchpoint, who leads each team.
FEEDBACK_EVENT_TYPES = ("touchpoint.*", "team.*")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="JOURNEY_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./data/journey.db", description=ServiceSettings.describe("database_url")
    )
    port: int = Field(8001, description=ServiceSettings.describe("port"))

    feedback_ingest_url: str | None = Field(
        None,
        description="Feedback's ingest endpoint, which receives every touchpoint.* and team.* "
        "event, so that feedback routes cases to the touchpoint's owner.",
    )
    feedback_ingest_api_key: SecretStr | None = Field(
        None, description="API key (scope ingest) of feedback for feedback_ingest_url."
    )

    @field_validator("feedback_ingest_api_key")
    @classmethod
    def _refuse_placeholder_feedback_key(cls, value: SecretStr | None) -> SecretStr | None:
        return cls._refuse_placeholder_secret(value)

    def other_sinks(self) -> list[Sink]:
        if not self.feedback_ingest_url:
            return []
        return [
            Sink(
                name="feedback",
                url=self.feedback_ingest_url,
                api_key=self.feedback_ingest_api_key,
                event_types=FEEDBACK_EVENT_TYPES,
            )
        ]


@lru_cache
def get_settings() -> Settings:
    return Settings()
