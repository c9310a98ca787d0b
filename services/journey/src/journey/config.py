from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings

# Where the service's Alembic migrations are: the CLI needs this without the app.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="JOURNEY_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./data/journey.db", description=ServiceSettings.describe("database_url")
    )
    port: int = Field(8001, description=ServiceSettings.describe("port"))


@lru_cache
def get_settings() -> Settings:
    return Settings()
