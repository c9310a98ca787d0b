"""Every table of the gateway, for Alembic. Importing this registers them all."""

from cxshared.ratelimit import RateLimitBucket
from gateway.users.models import SignInThrottle, StaffSession, TrustedDevice, User

__all__ = ["RateLimitBucket", "SignInThrottle", "StaffSession", "TrustedDevice", "User"]
