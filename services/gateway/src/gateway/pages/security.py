"""The second factor (docs/gateway.md, "Second factor"): the code after the password, a
user's own set-up (authenticator, recovery codes, turning it off), and the admin's page (who
must have one, who has, resets, the audit log)."""

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cxshared.deps import EngineDep
from cxshared.problems import Problem
from cxshared.ratelimit import hit
from cxshared.timeutil import utcnow
from gateway.auth import (
    Enrolling,
    Forbidden,
    PasswordOnly,
    Staff,
    check_csrf,
    safe_next,
    set_session_cookie,
)
from gateway.dependencies import SettingsDep
from gateway.users import factor
from gateway.users.models import Role
from gateway.users.service import SignedIn
from gateway.web import render, see_other

router = APIRouter()

Code = Annotated[str, Form(max_length=40)]


async def _checked_code(engine: Any, settings: Any, signed: SignedIn, code: str) -> str:
    """Verifies a code (rate-limited per user like passwords, and locked after wrong ones in
    a row: factor.verify); FactorError or Problem(429). Returns how it was proved."""
    await run_in_threadpool(
        hit, engine, {f"second-factor:{signed.user.id}": settings.sign_in_attempts_per_minute}
    )
    how: str = await run_in_threadpool(factor.verify, engine, signed.user, code)
    return how


async def _refusal(engine: Any, settings: Any, signed: SignedIn, code: str) -> str | None:
    """Why a sensitive action is refused now, or None: it needs a second factor given in the
    last 15 minutes, or a code with the form (which then counts as given now)."""
    if not signed.has_factor:
        return "This action needs a second factor: set one up on your Security page first."
    if factor.is_fresh(signed.second_factor_at):
        return None
    if not code.strip():
        return "Enter a code from your authenticator: this action asks for one again."
    try:
        await _checked_code(engine, settings, signed, code)
    except factor.FactorError as exc:
        return str(exc)
    except Problem as exc:
        return f"Too many attempts. {exc.detail}"
    await run_in_threadpool(factor.refresh, engine, signed.token_hash)
    return None


def _with_session(response: Response, new: factor.NewSession | None, settings: Any) -> Response:
    """The response carrying the session's new cookie token (factor.complete_sign_in)."""
    if new is not None:
        set_session_cookie(response, new.token, secure=settings.secure_cookies)
    return response


# The code after the password.


@router.get("/login/code")
def code_page(request: Request, signed: PasswordOnly, next: str | None = None) -> Response:
    if not signed.awaiting_code:
        return see_other(safe_next(next))
    return _code_form(request, next_url=safe_next(next))


def _code_form(
    request: Request, *, next_url: str, error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "auth/code.html",
        {"title": "Second factor", "next_url": next_url, "error": error},
        status_code=status_code,
    )


@router.post("/login/code")
async def give_code(
    request: Request,
    signed: PasswordOnly,
    engine: EngineDep,
    settings: SettingsDep,
    code: Code = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    await check_csrf(request, signed)
    next_url = safe_next(next)
    if not signed.awaiting_code:
        return see_other(next_url)
    try:
        how = await _checked_code(engine, settings, signed, code)
    except factor.FactorError as exc:
        return _code_form(request, next_url=next_url, error=str(exc), status_code=422)
    except Problem as exc:
        return _code_form(
            request, next_url=next_url, error=f"Too many attempts. {exc.detail}", status_code=429
        )
    token = await run_in_threadpool(factor.complete_sign_in, engine, signed.token_hash, how)
    return _with_session(see_other(next_url), token, settings)


# A user's own second factor.


def _security_page(
    request: Request,
    engine: Any,
    signed: SignedIn,
    *,
    enrolment: factor.Enrolment | None = None,
    codes: list[str] | None = None,
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    status = factor.status(engine, signed.user)
    if enrolment is None and status.pending:
        enrolment = factor.pending_enrolment(engine, signed.user, signed.token_hash)
    return _page(
        request,
        "security/account.html",
        "Security",
        signed,
        error=error,
        notice=notice,
        status_code=status_code,
        status=status,
        enrolment=enrolment,
        codes=codes,
    )


def _page(
    request: Request,
    template: str,
    title: str,
    signed: SignedIn,
    *,
    error: str,
    notice: str,
    status_code: int,
    **context: Any,
) -> Response:
    return render(
        request,
        template,
        {
            "title": title,
            "error": error,
            "notices": [notice] if notice else [],
            "fresh": factor.is_fresh(signed.second_factor_at),
            "signed": signed,
            **context,
        },
        status_code=status_code,
    )


@router.get("/account/security")
def account_security(request: Request, signed: Enrolling, engine: EngineDep) -> Response:
    return _security_page(request, engine, signed)


@router.get("/account/security/enrol")
@router.get("/account/security/confirm")
def back_to_security(_signed: Enrolling) -> Response:
    """The address a set-up's form left in the browser: reloading it shows the page again."""
    return see_other("/account/security")


@router.post("/account/security/enrol")
async def enrol(request: Request, signed: Enrolling, engine: EngineDep) -> Response:
    await check_csrf(request, signed)
    try:
        await run_in_threadpool(factor.begin_enrolment, engine, signed.user, signed.token_hash)
    except factor.FactorError as exc:
        return _security_page(request, engine, signed, error=str(exc), status_code=409)
    # The page shows the set-up to this session only; a reload there shows it again.
    return see_other("/account/security")


@router.post("/account/security/confirm")
async def confirm(
    request: Request, signed: Enrolling, engine: EngineDep, settings: SettingsDep, code: Code = ""
) -> Response:
    await check_csrf(request, signed)
    try:
        await run_in_threadpool(
            hit, engine, {f"second-factor:{signed.user.id}": settings.sign_in_attempts_per_minute}
        )
        codes, new = await run_in_threadpool(
            factor.confirm_enrolment, engine, signed.user, code, signed.token_hash
        )
    except factor.FactorError as exc:
        return _security_page(request, engine, signed, error=str(exc), status_code=422)
    except Problem as exc:
        return _security_page(
            request, engine, signed, error=f"Too many attempts. {exc.detail}", status_code=429
        )
    # The code just given is this session's second factor, under its new tokens.
    if new is not None:
        signed = replace(
            signed,
            token_hash=new.token_hash,
            csrf_token=new.csrf_token,
            has_factor=True,
            second_factor_at=utcnow(),
            awaiting_code=False,
        )
    request.state.signed_in = signed
    page = _security_page(
        request,
        engine,
        signed,
        codes=codes,
        notice="Your second factor is on. Keep the recovery codes below somewhere safe.",
    )
    return _with_session(page, new, settings)


@router.post("/account/security/recovery-codes")
async def renew_recovery_codes(
    request: Request, signed: Staff, engine: EngineDep, settings: SettingsDep, code: Code = ""
) -> Response:
    await check_csrf(request, signed)
    refused = await _refusal(engine, settings, signed, code)
    if refused:
        return _security_page(request, engine, signed, error=refused, status_code=403)
    codes = await run_in_threadpool(factor.new_recovery_codes, engine, signed.user)
    return _security_page(
        request,
        engine,
        signed,
        codes=codes,
        notice="New recovery codes: the old ones no longer work.",
    )


@router.post("/account/security/off")
async def turn_off(
    request: Request, signed: Staff, engine: EngineDep, settings: SettingsDep, code: Code = ""
) -> Response:
    await check_csrf(request, signed)
    if signed.factor_required:
        return _security_page(
            request,
            engine,
            signed,
            error="Your role must sign in with a second factor: it cannot be turned off. "
            "Ask an administrator to reset it if you lost your phone.",
            status_code=409,
        )
    refused = await _refusal(engine, settings, signed, code)
    if refused:
        return _security_page(request, engine, signed, error=refused, status_code=403)
    await run_in_threadpool(factor.turn_off, engine, signed.user)
    return see_other("/account/security")


# The admin's page.


def _admin(signed: SignedIn) -> None:
    if signed.user.role != Role.ADMIN:
        raise Forbidden("Only an administrator manages staff security.")


def _admin_page(
    request: Request,
    engine: Any,
    signed: SignedIn,
    *,
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        "security/admin.html",
        "Staff security",
        signed,
        error=error,
        notice=notice,
        status_code=status_code,
        staff=factor.staff_overview(engine),
        required=factor.required_roles(engine),
        roles=list(Role),
        log=factor.audit_log(engine),
    )


@router.get("/admin/security")
def admin_security(request: Request, signed: Staff, engine: EngineDep) -> Response:
    _admin(signed)
    return _admin_page(request, engine, signed)


@router.post("/admin/security/requirement")
async def set_requirement(
    request: Request, signed: Staff, engine: EngineDep, settings: SettingsDep
) -> Response:
    _admin(signed)
    await check_csrf(request, signed)
    form = await request.form()
    code = str(form.get("code") or "")
    roles = {str(value) for value in form.getlist("required")} & {role.value for role in Role}
    refused = await _refusal(engine, settings, signed, code)
    if refused:
        return _admin_page(request, engine, signed, error=refused, status_code=403)
    await run_in_threadpool(
        lambda: factor.set_required(engine, roles=roles, actor=signed.user.email)
    )
    who = ", ".join(sorted(roles)) or "no role"
    return _admin_page(
        request, engine, signed, notice=f"A second factor is now required of: {who}."
    )


@router.post("/admin/security/reset")
async def reset(
    request: Request,
    signed: Staff,
    engine: EngineDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    code: Code = "",
) -> Response:
    _admin(signed)
    await check_csrf(request, signed)
    refused = await _refusal(engine, settings, signed, code)
    if refused:
        return _admin_page(request, engine, signed, error=refused, status_code=403)
    try:
        user = await run_in_threadpool(
            lambda: factor.reset(engine, email=email, actor=signed.user.email)
        )
    except factor.FactorError as exc:
        return _admin_page(request, engine, signed, error=str(exc), status_code=404)
    return _admin_page(
        request,
        engine,
        signed,
        notice=f"{user.name}'s second factor was reset: they were signed out and set one up "
        "again at their next sign-in if their role requires it.",
    )
