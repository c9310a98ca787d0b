"""Sign in and sign out."""

import hmac
import math
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cxshared.deps import EngineDep
from cxshared.problems import Problem
from cxshared.ratelimit import client_address, hit
from cxshared.timeutil import utcnow
from gateway.auth import (
    SESSION_COOKIE,
    PasswordOnly,
    check_csrf,
    masked,
    safe_next,
    same_origin,
    set_session_cookie,
    unmasked,
)
from gateway.config import Settings
from gateway.dependencies import SettingsDep
from gateway.users import factor, throttle
from gateway.users.service import authenticate, end_session, start_session
from gateway.web import render, see_other

router = APIRouter()

# Before there is a session, the sign-in form is protected by a token in a cookie of its own
# that the form must repeat (double submit), so no other site can sign a browser in.
LOGIN_CSRF_COOKIE = "cx_login_csrf"
# A browser that signed in before (users/throttle.py): not held back by others' guesses.
DEVICE_COOKIE = "cx_device"


def _login_form(
    request: Request,
    settings: Settings,
    *,
    next_url: str,
    email: str = "",
    error: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "auth/login.html",
        {
            "title": "Sign in",
            "next_url": next_url,
            "email": email,
            "error": error,
            "login_token": masked(token),
        },
        status_code=status_code,
        headers=headers,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    return _login_form(request, settings, next_url=safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    login_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_url = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = unmasked(login_token)
    if (
        not expected
        or not hmac.compare_digest(expected.encode(), given.encode())
        or not same_origin(request)
    ):
        return _login_form(
            request,
            settings,
            next_url=next_url,
            email=email,
            error="The sign-in form had expired. Please try again.",
            status_code=403,
        )
    account = email.strip().lower()
    device = await run_in_threadpool(
        throttle.trusted_device, engine, token=request.cookies.get(DEVICE_COOKIE, ""), email=account
    )
    # A known browser has its own budget; any other counts against its address.
    budget = f"login-device:{device}" if device else f"login:{client_address(request, [])}"
    try:
        await run_in_threadpool(hit, engine, {budget: settings.sign_in_attempts_per_minute})
    except Problem as exc:
        return _login_form(
            request,
            settings,
            next_url=next_url,
            email=email,
            error=f"Too many attempts. {exc.detail}",
            status_code=429,
            headers=exc.headers,
        )
    until = (
        None if device else await run_in_threadpool(throttle.locked_until, engine, email=account)
    )
    if until is not None:
        minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
        return _login_form(
            request,
            settings,
            next_url=next_url,
            email=email,
            error=(
                f"Too many failed sign-ins for this account: try again in {minutes} min "
                f"(after {until:%H:%M} UTC), from a browser you signed in with before, or ask "
                "an administrator to lift the lock."
            ),
            status_code=429,
            headers={"Retry-After": str(minutes * 60)},
        )
    user = await run_in_threadpool(authenticate, engine, email=email, password=password)
    if user is None:
        if not device:
            await run_in_threadpool(throttle.record_failure, engine, email=account)
        return _login_form(
            request,
            settings,
            next_url=next_url,
            email=email,
            error="That email and password do not match an active account.",
            status_code=422,
        )
    await run_in_threadpool(throttle.clear, engine, email=account)
    device_token = await run_in_threadpool(
        throttle.remember_device, engine, user=user, token=request.cookies.get(DEVICE_COOKIE)
    )
    # With a second factor, the session opens waiting for its code (pages/security.py).
    awaiting = await run_in_threadpool(factor.has_factor, engine, user.id)
    token, _ = await run_in_threadpool(start_session, engine, user=user, awaiting_code=awaiting)
    response = see_other("/login/code?next=" + quote(next_url, safe="/") if awaiting else next_url)
    set_session_cookie(response, token, secure=settings.secure_cookies)
    response.set_cookie(
        DEVICE_COOKIE,
        device_token,
        max_age=int(throttle.DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/login",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, user: PasswordOnly, engine: EngineDep) -> Response:
    # Every role may sign out, but only from cxloop's own pages.
    await check_csrf(request, user)
    await run_in_threadpool(end_session, engine, token=request.cookies[SESSION_COOKIE])
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    # Pages kept for Back (the back/forward cache keeps even no-store pages) go too.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
