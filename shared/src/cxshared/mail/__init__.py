"""Mail over SMTP: a mail outbox written in the caller's transaction, a sender with leases and
retries, and the local SMTP server that keeps every message in development (docs/email.md)."""
