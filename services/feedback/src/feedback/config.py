from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./data/feedback.db"
    port: int = 8002


@lru_cache
def get_settings() -> Settings:
    return Settings()
