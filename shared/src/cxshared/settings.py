"""Settings base: each service subclasses it with its own env prefix (JOURNEY_, FEEDBACK_ ...)."""

import os
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxshared.events.outbox import Sink

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "todo", "xxx", "test"}


class ServiceSettings(BaseSettings):
    # Secrets may also come as files named after their variable (journey_ingest_api_key …)
    # in the directory CX_SECRETS_DIR names: docker-compose's key volume, Docker secrets.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, secrets_dir=os.environ.get("CX_SECRETS_DIR")
    )

    database_url: str = Field(
        "sqlite:///./data/service.db",
        description="SQLAlchemy URL of the service's own database: sqlite:///path or "
        "postgresql://user@host/db.",
    )
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, description="Port `serve` listens on.")

    log_format: Literal["console", "json"] = Field(
        "console",
        validation_alias=AliasChoices("LOG_FORMAT", "log_format"),
        description="console (readable, coloured on a terminal) or json (one object a line).",
    )
    log_level: str = Field(
        "INFO",
        validation_alias=AliasChoices("LOG_LEVEL", "log_level"),
        description="DEBUG, INFO, WARNING or ERROR.",
    )
    request_log_level: str = Field(
        "INFO",
        validation_alias=AliasChoices("REQUEST_LOG_LEVEL", "request_log_level"),
        description="Level of the one request.completed line per request; DEBUG hides it "
        "under LOG_LEVEL=INFO (`make run` does). Answers with a 5xx status are logged at "
        "INFO at least.",
    )

    max_body_bytes: int = Field(
        1_000_000, description="Larger request bodies are refused with 413."
    )

    relay_in_process: bool = Field(
        True,
        description="Run the outbox relay inside `serve`; off when `relay` processes run apart.",
    )
    relay_poll_seconds: float = Field(
        1.0, description="How often the relay looks for due deliveries when nothing wakes it."
    )
    relay_batch_size: int = Field(50, description="Deliveries the relay claims at a time.")
    relay_lease_seconds: float = Field(
        60.0,
        description="How long a claimed delivery is the relay's; after that another may take it.",
    )
    relay_max_attempts: int = Field(
        12, description="Attempts before a delivery is dead (replayable from the API)."
    )
    relay_backoff_base_seconds: float = Field(
        2.0, description="First retry delay; it doubles with each attempt, with jitter."
    )
    relay_backoff_max_seconds: float = Field(3600.0, description="Longest retry delay.")
    relay_timeout_seconds: float = Field(
        10.0, description="Time allowed to a webhook receiver or sink for one delivery."
    )

    ingest_url: str | None = Field(
        None,
        description="Metrics' ingest endpoint, which receives every event besides webhook "
        "subscribers (journey and feedback).",
    )
    ingest_api_key: SecretStr | None = Field(
        None, description="API key (scope ingest) for ingest_url."
    )

    webhook_allow_private_urls: bool = Field(
        False,
        description="Accept webhook URLs on private, loopback or link-local addresses "
        "(local development only).",
    )

    @field_validator("ingest_api_key")
    @classmethod
    def _refuse_placeholder_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder; set a real secret")
        return value

    def other_sinks(self) -> list[Sink]:
        """Destinations besides metrics' ingest that a service's settings configure."""
        return []

    @classmethod
    def describe(cls, name: str) -> str:
        """The description of a setting, for a subclass that changes only its default."""
        return cls.model_fields[name].description or ""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
