from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware in UTC. Every stored time is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
