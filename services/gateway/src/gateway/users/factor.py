"""The staff second factor (docs/gateway.md, "Second factor"): TOTP (RFC 6238) through an
authenticator app, ten recovery codes, who must have one, the lock after wrong codes, and
the audit log of what happens to each factor.

A code is accepted for the time step it belongs to, give or take one step (30 s) of clock
drift, and only once: the step of the last accepted code is stored and a code for it or an
earlier one is refused (replay). The check and the write are one conditional UPDATE, so two
requests with the same code cannot both pass."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, col, select

from cxshared.db import read_session, write_session
from cxshared.timeutil import as_utc, utcnow
from gateway.users.models import (
    AuditEntry,
    FactorRequirement,
    RecoveryCode,
    Role,
    SecondFactor,
    StaffSession,
    User,
)
from gateway.users.service import hash_token

ISSUER = "cxloop"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted too
RECOVERY_CODES = 10
# Wrong codes in a row before the account takes none for a while (1 minute, doubling to 60).
LOCK_AFTER = 5
# A sensitive action asks for a code again when the session's was given longer ago.
FRESH_FOR = timedelta(minutes=15)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class FactorError(ValueError):
    """A code that was refused, said in words for the page."""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://, what the QR code holds
    qr_svg: str

    @property
    def spaced(self) -> str:
        """The key in groups of four, as people type it (the apps ignore the spaces)."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class Status:
    enrolled_at: datetime | None
    pending: bool  # set up, not confirmed by a first code yet
    recovery_left: int
    required: bool


@dataclass(frozen=True)
class NewSession:
    """The cookie token and CSRF token a session got when it gave its second factor."""

    token: str
    token_hash: str
    csrf_token: str


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def _step(now: datetime) -> int:
    return int(as_utc(now).timestamp()) // STEP_SECONDS


def code_for(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (for tests and the shell)."""
    return str(pyotp.TOTP(secret).at(as_utc(now)))


def required_roles(engine: Engine) -> set[str]:
    with read_session(engine) as session:
        rows = session.exec(select(FactorRequirement).where(FactorRequirement.required)).all()
    return {row.role for row in rows}


def is_required(engine: Engine, user: User) -> bool:
    return user.role in required_roles(engine)


def confirmed(session: Session, user_id: str) -> SecondFactor | None:
    factor = session.get(SecondFactor, user_id)
    return factor if factor is not None and factor.confirmed_at is not None else None


def has_factor(engine: Engine, user_id: str) -> bool:
    with read_session(engine) as session:
        return confirmed(session, user_id) is not None


def status(engine: Engine, user: User) -> Status:
    with read_session(engine) as session:
        factor = session.get(SecondFactor, user.id)
        left = len(
            session.exec(
                select(RecoveryCode.code_hash).where(
                    RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
                )
            ).all()
        )
    return Status(
        enrolled_at=factor.confirmed_at if factor else None,
        pending=factor is not None and factor.confirmed_at is None,
        recovery_left=left,
        required=is_required(engine, user),
    )


def begin_enrolment(engine: Engine, user: User, token_hash: str = "") -> Enrolment:
    """A new secret for the user, not in force until confirmed by a first code from the same
    session (`token_hash`), the only one shown it. Starting again replaces an unconfirmed one;
    a confirmed factor is turned off first, never replaced here."""
    secret = pyotp.random_base32()
    with write_session(engine) as session:
        factor = session.get(SecondFactor, user.id)
        if factor is not None and factor.confirmed_at is not None:
            raise FactorError("A second factor is set up already: turn it off first.")
        if factor is None:
            factor = SecondFactor(user_id=user.id, secret=secret)
        factor.secret, factor.last_step, factor.created_at = secret, None, utcnow()
        factor.pending_session, factor.failures, factor.locked_until = token_hash, 0, None
        session.add(factor)
    return enrolment(user, secret)


def pending_enrolment(engine: Engine, user: User, token_hash: str = "") -> Enrolment | None:
    """The set-up this session started and has not confirmed (another session's stays its
    own: the secret is shown to one browser only)."""
    with read_session(engine) as session:
        factor = session.get(SecondFactor, user.id)
    if factor is None or factor.confirmed_at is not None:
        return None
    if not secrets.compare_digest(factor.pending_session or "", token_hash):
        return None
    return enrolment(user, factor.secret)


def enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(  # a viewBox, no fixed size: the page scales it whole
        scale=5,
        dark="#1f2933",
        light="#ffffff",
        title="QR code for your authenticator app",
        omitsize=True,
    )
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def confirm_enrolment(
    engine: Engine, user: User, code: str, token_hash: str = "", now: datetime | None = None
) -> tuple[list[str], NewSession | None]:
    """Puts the pending factor this session started in force with its first code, ends the
    user's other sessions (any opened with the password alone would otherwise keep going
    without the factor) and gives this one a new token. Returns the ten recovery codes, shown
    once and kept only as hashes, and the session's new tokens."""
    now = now or utcnow()
    with write_session(engine) as session:
        factor = session.get(SecondFactor, user.id)
        if (
            factor is None
            or factor.confirmed_at is not None
            or not secrets.compare_digest(factor.pending_session or "", token_hash)
        ):
            raise FactorError("There is no set-up of this browser waiting for a code: start again.")
        step = _matching_step(factor.secret, code, now)
        if step is None:  # recorded, then refused once the transaction is committed
            _audit(session, "second_factor.wrong_code", user.email, user.email,
                   "a wrong code while setting up")  # fmt: skip
        else:
            factor.confirmed_at, factor.last_step, factor.pending_session = now, step, None
            session.add(factor)
            codes = _new_recovery_codes(session, user.id)
            session.execute(
                delete(StaffSession).where(
                    col(StaffSession.user_id) == user.id,
                    col(StaffSession.token_hash) != token_hash,
                )
            )
            _audit(session, "second_factor.enrolled", user.email, user.email, "authenticator "
                   "app confirmed; ten recovery codes issued; other sessions ended")  # fmt: skip
            token = _complete_and_rotate(session, token_hash, "totp", now)
    if step is None:
        raise FactorError(
            "That code does not match. Check the time on your phone and enter the code "
            "your authenticator shows now."
        )
    return codes, token


def new_recovery_codes(engine: Engine, user: User) -> list[str]:
    with write_session(engine) as session:
        if confirmed(session, user.id) is None:
            raise FactorError("Set up a second factor first.")
        return _new_recovery_codes(session, user.id)


def _new_recovery_codes(session: Session, user_id: str) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(code_hash=_hash(raw), user_id=user_id))
    return codes


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    here = _step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify(engine: Engine, user: User, code: str, now: datetime | None = None) -> str:
    """Checks a code from the authenticator or a recovery code and uses it up; returns how the
    user proved it ("totp" or "recovery-code"). FactorError when refused: a wrong or replayed
    code counts, and after `LOCK_AFTER` in a row the account takes no code for a minute, then
    2, 4 ... up to an hour (a success clears the count)."""
    now = now or utcnow()
    with write_session(engine) as session:
        factor = confirmed(session, user.id)
        if factor is None:
            raise FactorError("This account has no second factor.")
        if factor.locked_until is not None and as_utc(factor.locked_until) > now:
            raise FactorError(_locked(factor.locked_until, now))
        how, refusal = _check(session, factor, user, code, now)
        if how is not None:
            factor.failures, factor.locked_until = 0, None
            session.add(factor)
            if how == "recovery-code":
                _audit(session, "second_factor.recovery_code_used", user.email, user.email,
                       "signed in with a recovery code")  # fmt: skip
            return how
        factor.failures += 1
        if factor.failures >= LOCK_AFTER:
            minutes = min(60, 2 ** (factor.failures - LOCK_AFTER))
            factor.locked_until = now + timedelta(minutes=minutes)
            detail = f"{factor.failures} wrong codes in a row; no code taken for {minutes} min"
            _audit(session, "second_factor.locked", user.email, user.email, detail)
            refusal = _locked(factor.locked_until, now)
        session.add(factor)
    raise FactorError(refusal)  # after the count is committed


def _locked(until: datetime, now: datetime) -> str:
    minutes = max(1, -(-int((as_utc(until) - now).total_seconds()) // 60))
    return (
        f"Too many wrong codes for this account: try again in {minutes} min "
        f"(after {as_utc(until):%H:%M} UTC), or ask an administrator."
    )


def _check(
    session: Session, factor: SecondFactor, user: User, code: str, now: datetime
) -> tuple[str | None, str]:
    """(how, "") for a code that is good and now used up, else (None, why not)."""
    step = _matching_step(factor.secret, code, now)
    if step is not None:
        taken = session.execute(
            update(SecondFactor)
            .where(
                col(SecondFactor.user_id) == user.id,
                or_(col(SecondFactor.last_step).is_(None), col(SecondFactor.last_step) < step),
            )
            .values(last_step=step)
        ).rowcount  # type: ignore[attr-defined]
        if taken:
            return "totp", ""
        return None, "That code has been used already. Wait for your authenticator's next code."
    normal = _normal_recovery(code)
    if len(normal) == 10:
        used = session.execute(
            update(RecoveryCode)
            .where(
                col(RecoveryCode.code_hash) == _hash(normal),
                col(RecoveryCode.user_id) == user.id,
                col(RecoveryCode.used_at).is_(None),
            )
            .values(used_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if used:
            return "recovery-code", ""
        spent = session.exec(
            select(RecoveryCode.code_hash).where(
                RecoveryCode.code_hash == _hash(normal), RecoveryCode.user_id == user.id
            )
        ).first()
        if spent is not None:
            return None, "That recovery code has been used already: each works once."
    return None, "That code does not match. Enter the code your authenticator shows now."


def complete_sign_in(
    engine: Engine, token_hash: str, how: str, now: datetime | None = None
) -> NewSession | None:
    """The session behind `token_hash` has its second factor: it may reach every page, under
    a new token (and CSRF token), the old one ended in the same transaction, so that a token
    a page held while the session waited for its code never becomes a signed-in one. Returns
    the new tokens (None: the session is gone)."""
    with write_session(engine) as session:
        return _complete_and_rotate(session, token_hash, how, now or utcnow())


def _complete_and_rotate(
    session: Session, token_hash: str, how: str, now: datetime
) -> NewSession | None:
    old = session.get(StaffSession, token_hash)
    if old is None:
        return None
    token = secrets.token_urlsafe(32)
    new = NewSession(token, hash_token(token), secrets.token_urlsafe(32))
    session.add(
        StaffSession(
            token_hash=new.token_hash,
            user_id=old.user_id,
            csrf_token=new.csrf_token,
            created_at=old.created_at,  # the absolute lifetime counts from the password
            last_seen_at=now,
            authenticated_with=f"password+{how}",
            awaiting_code=False,
            second_factor_at=now,
        )
    )
    session.delete(old)
    return new


def refresh(engine: Engine, token_hash: str, now: datetime | None = None) -> None:
    """The signed-in session behind `token_hash` gave its second factor again just now (a
    sensitive action's code)."""
    with write_session(engine) as session:
        session.execute(
            update(StaffSession)
            .where(col(StaffSession.token_hash) == token_hash)
            .values(second_factor_at=now or utcnow())
        )


def is_fresh(second_factor_at: datetime | None, now: datetime | None = None) -> bool:
    return second_factor_at is not None and (now or utcnow()) - as_utc(second_factor_at) < FRESH_FOR


def turn_off(engine: Engine, user: User) -> None:
    """Removes the user's own factor; no session of theirs counts as having given one."""
    with write_session(engine) as session:
        _remove(session, user.id)
        session.execute(
            update(StaffSession)
            .where(col(StaffSession.user_id) == user.id)
            .values(second_factor_at=None, authenticated_with="password")
        )
        _audit(
            session, "second_factor.turned_off", user.email, user.email, "turned off by its owner"
        )


def _remove(session: Session, user_id: str) -> None:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    session.execute(delete(SecondFactor).where(col(SecondFactor.user_id) == user_id))


def reset(engine: Engine, *, email: str, actor: str) -> User:
    """Removes the user's factor and recovery codes (an admin's reset, or the shell's for an
    admin who lost theirs), signs them out everywhere, and records it in the audit log."""
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise FactorError(f"No user with the email {email}.")
        _remove(session, user.id)
        session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user.id))
        _audit(session, "second_factor.reset", actor, user.email,
               "second factor and recovery codes removed; signed out everywhere")  # fmt: skip
    return user


def set_required(engine: Engine, *, roles: set[str], actor: str) -> None:
    """Which roles must sign in with a second factor; a change goes to the audit log."""
    with write_session(engine) as session:
        rows = {row.role: row for row in session.exec(select(FactorRequirement)).all()}
        before = {role for role, row in rows.items() if row.required}
        for role in Role:
            row = rows.get(role.value) or FactorRequirement(role=role.value, updated_by=actor)
            if row.required != (role.value in roles):
                row.required, row.updated_by, row.updated_at = role.value in roles, actor, utcnow()
                session.add(row)
        if before != roles:
            required = ", ".join(sorted(roles)) or "no role"
            _audit(session, "second_factor.requirement", actor, None,
                   f"a second factor is required of: {required}")  # fmt: skip


def _audit(session: Session, action: str, actor: str, subject: str | None, detail: str) -> None:
    """An audit entry in the transaction of the change it records."""
    session.add(AuditEntry(actor=actor, action=action, subject=subject, detail=detail))


def audit_log(engine: Engine, limit: int = 50) -> list[AuditEntry]:
    with read_session(engine) as session:
        return list(
            session.exec(select(AuditEntry).order_by(col(AuditEntry.at).desc()).limit(limit)).all()
        )


def staff_overview(engine: Engine) -> list[tuple[User, datetime | None]]:
    """Every staff member with when their second factor was confirmed (None: not enrolled)."""
    with read_session(engine) as session:
        rows = session.exec(
            select(User, SecondFactor.confirmed_at)
            .join(SecondFactor, col(SecondFactor.user_id) == col(User.id), isouter=True)
            .order_by(col(User.name), col(User.email))
        ).all()
    return [(user, confirmed_at) for user, confirmed_at in rows]
