"""Every table of the gateway, for Alembic. Importing this registers them all."""

from cxshared.ratelimit import RateLimitBucket
from gateway.users.models import (
    AuditEntry,
    FactorRequirement,
    RecoveryCode,
    SecondFactor,
    SignInThrottle,
    StaffSession,
    TrustedDevice,
    User,
)

__all__ = [
    "AuditEntry",
    "FactorRequirement",
    "RateLimitBucket",
    "RecoveryCode",
    "SecondFactor",
    "SignInThrottle",
    "StaffSession",
    "TrustedDevice",
    "User",
]
