"""Settings base: each service subclasses it with its own env prefix (JOURNEY_, FEEDBACK_ ...)."""

import os
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "todo", "xxx", "test"}


class ServiceSettings(BaseSettings):
    # Secrets may also come as files named after their variable (journey_ingest_api_key …)
    # in the directory CX_SECRETS_DIR names: docker-compose's key volume, Docker secrets.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, secrets_dir=os.environ.get("CX_SECRETS_DIR")
    )

    database_url: str = "sqlite:///./data/service.db"
    host: str = "127.0.0.1"
    port: int = 8000

    log_format: Literal["console", "json"] = Field(
        "console", validation_alias=AliasChoices("LOG_FORMAT", "log_format")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))

    max_body_bytes: int = 1_000_000

    # Outbox relay.
    relay_in_process: bool = True
    relay_poll_seconds: float = 1.0
    relay_batch_size: int = 50
    relay_lease_seconds: float = 60.0
    relay_max_attempts: int = 12
    relay_backoff_base_seconds: float = 2.0
    relay_backoff_max_seconds: float = 3600.0
    relay_timeout_seconds: float = 10.0

    # Where every event is delivered besides webhook subscribers (metrics' ingest endpoint).
    ingest_url: str | None = None
    ingest_api_key: SecretStr | None = None

    # Webhook URLs on private, loopback or link-local addresses are refused unless this is set
    # (local development only).
    webhook_allow_private_urls: bool = False

    @field_validator("ingest_api_key")
    @classmethod
    def _refuse_placeholder_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder; set a real secret")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
