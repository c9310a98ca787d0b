from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./data/feedback.db"
    port: int = 8002

    # Public endpoints: requests a minute, shared by every worker.
    rate_limit_per_client: int = 120
    rate_limit_per_survey: int = 3000
    # Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. 10.0.0.0/8).
    trusted_proxies: list[str] = []


@lru_cache
def get_settings() -> Settings:
    return Settings()
