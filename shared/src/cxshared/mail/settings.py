"""The settings of a service that mails: a mixin beside ServiceSettings, so that they carry the
service's own prefix (FEEDBACK_SMTP_URL, METRICS_SMTP_URL)."""

import os
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "todo", "xxx", "test"}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte; smtp://: STARTTLS when offered


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://host[:port]` (port 25 by default; STARTTLS when the server offers it) or
    `smtps://host[:port]` (implicit TLS, port 465 by default). Credentials never go in the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    if parts.username or parts.password:
        raise ValueError("must not hold a user or password: set SMTP_USER and SMTP_PASSWORD")
    if not parts.hostname:
        raise ValueError("needs a host: smtp://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("takes no path or query: smtp://host:port")
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname, port=parts.port or (465 if implicit else 25), implicit_tls=implicit
    )


def parse_from(value: str) -> Address:
    """`Name <address>` or a bare address, as the From of every message."""
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line")
    name, address = parseaddr(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError("needs an address: 'cxloop <surveys@example.com>'")
    return Address(display_name=name, addr_spec=address)


class MailSettings(BaseSettings):
    # A mixin after ServiceSettings (class Settings(ServiceSettings, MailSettings)): pydantic
    # merges the bases' configurations in that order, so this one must name the key-file
    # directory too, or it would undo ServiceSettings' and the service's keys would be unread.
    model_config = SettingsConfigDict(secrets_dir=os.environ.get("CX_SECRETS_DIR"))

    smtp_url: str | None = Field(
        None,
        description="SMTP server the service mails through: smtp://host:port (STARTTLS when "
        "the server offers it; required when a user is set) or smtps://host:port (implicit "
        "TLS). Unset: e-mail is not configured and nothing is queued.",
    )
    smtp_user: str | None = Field(None, description="User to log in to the SMTP server as.")
    smtp_password: SecretStr | None = Field(None, description="Password of smtp_user.")
    smtp_ca_file: str | None = Field(
        None,
        description="PEM file of the certificate authorities the SMTP server's certificate is "
        "checked against, instead of the system's (a company's own CA).",
    )
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, description="Time allowed to the SMTP server for each step of a send."
    )
    mail_from: str | None = Field(
        None,
        description="From of every message: 'Name <address>'; its domain also names each "
        "Message-ID. Required with smtp_url.",
    )
    mail_rate_per_minute: int = Field(
        600, ge=1, description="Most messages each sender hands to the SMTP server a minute."
    )
    mail_sender_in_process: bool = Field(
        True,
        description="Run the mail sender inside `serve`; off when `send-mail` processes run apart.",
    )
    mail_poll_seconds: float = Field(
        2.0, gt=0, description="How often the sender looks for due mail when nothing wakes it."
    )
    mail_sender_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How much the sender lowers its CPU priority (Unix nice): mail waits a "
        "little so that answers and pages do not (0 keeps the service's priority).",
    )
    staff_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where staff open cxloop (the gateway), for the links in notifications.",
    )
    notify_digest_hour: int = Field(
        8,
        ge=0,
        le=23,
        description="Hour (UTC) after which each day's digest goes to those who chose one.",
    )
    notify_poll_seconds: float = Field(
        5.0, gt=0, description="How often each `serve` process looks for events to notify of."
    )
    mail_batch_size: int = Field(
        50, ge=1, description="Messages the sender claims at a time (one SMTP connection)."
    )
    mail_lease_seconds: float = Field(
        300.0,
        gt=0,
        description="How long claimed messages are the sender's; after that another may take them.",
    )
    mail_max_attempts: int = Field(
        20,
        ge=1,
        description="Tries before a message refused for a passing reason (4xx, server "
        "unreachable) is given up as failed.",
    )
    mail_backoff_base_seconds: float = Field(
        30.0, gt=0, description="First mail retry delay; it doubles with each try, with jitter."
    )
    mail_backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest mail retry delay.")

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if value:
            parse_smtp_url(value)
        return value or None

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str | None) -> str | None:
        if value:
            parse_from(value)
        return value or None

    @field_validator("smtp_password")
    @classmethod
    def _refuse_placeholder_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder; set a real secret")
        return value

    @model_validator(mode="after")
    def _from_with_url(self) -> Self:
        if self.smtp_url and not self.mail_from:
            raise ValueError("mail_from is required when smtp_url is set")
        if bool(self.smtp_user) != bool(self.smtp_password):
            raise ValueError("smtp_user and smtp_password go together")
        return self

    @property
    def mail_configured(self) -> bool:
        """Whether this service can send e-mail at all (the UI says so when it cannot)."""
        return self.smtp_url is not None
