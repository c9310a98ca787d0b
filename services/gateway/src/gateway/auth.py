"""Who is asking: the staff session behind a request, the role it needs, and its CSRF token.

Pages take `Staff` (signed in, any role); anything that changes state takes `Editor`, which
also checks the request's CSRF token (a form field or, for htmx, the X-CSRF-Token header) and
that it comes from this site's own pages.
"""

import base64
import binascii
import hmac
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cxshared.deps import EngineDep
from gateway.dependencies import SettingsDep
from gateway.users.service import SignedIn, resume_session

SESSION_COOKIE = "cx_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    """Signed in, but this needs another role, or the request did not come from our pages."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


class CodeRequired(Exception):
    """Signed in with the password; the second factor is still to be given (/login/code)."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class EnrolmentRequired(Exception):
    """The user's role must sign in with a second factor, and they have none yet."""


def _here(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path if request.method == "GET" else "/"


async def session_of(request: Request, settings: SettingsDep, engine: EngineDep) -> SignedIn:
    """The request's session, whatever it still waits for (the second factor's own pages)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        found = await run_in_threadpool(
            resume_session,
            engine,
            token=token,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    if found is None:
        raise SignInRequired(_here(request))
    request.state.signed_in = found
    return found


async def enrolling(request: Request, found: Annotated[SignedIn, Depends(session_of)]) -> SignedIn:
    """Past the second factor if the user has one: the pages to set one up."""
    if found.awaiting_code:
        raise CodeRequired(_here(request))
    return found


async def signed_in(request: Request, found: Annotated[SignedIn, Depends(enrolling)]) -> SignedIn:
    """Signed in completely: every staff page."""
    if found.must_enrol:
        raise EnrolmentRequired()
    return found


def same_origin(request: Request) -> bool:
    """A browser names the page a form was sent from; it must be one of ours."""
    origin = request.headers.get("Origin")
    if origin == "null":
        return False
    source = origin or request.headers.get("Referer")
    if not source:
        return True  # not a browser, or one that sends neither: the CSRF token still counts
    return urlsplit(source).netloc == request.headers.get("Host", request.url.netloc)


async def csrf_token_of(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    return token or ""


def masked(token: str) -> str:
    """The token as a page carries it: XORed with a fresh random pad that goes with it, so
    the bytes differ on every page. A compressed page then tells nothing of the token through
    its length, however much of the page an attacker chooses (BREACH; docs/gateway.md)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    mixed = bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    return base64.urlsafe_b64encode(pad + mixed).decode().rstrip("=")


def unmasked(value: str) -> str:
    """The token a page's `masked` value carries; "" for anything else."""
    try:
        both = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return ""
    half = len(both) // 2
    if not both or len(both) % 2:
        return ""
    return bytes(a ^ b for a, b in zip(both[:half], both[half:], strict=True)).decode("latin-1")


async def check_csrf(request: Request, user: SignedIn) -> None:
    token = unmasked(await csrf_token_of(request))
    if not hmac.compare_digest(token.encode(), user.csrf_token.encode()) or not same_origin(
        request
    ):
        raise Forbidden(
            "This form is out of date or was not sent from cxloop's own pages. "
            "Reload the page and try again."
        )


async def editor(request: Request, user: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
    await check_csrf(request, user)
    if not user.user.can_edit:
        raise Forbidden("Your role is viewer: you can see everything here but change nothing.")
    return user


def set_session_cookie(response: Response, token: str, *, secure: bool) -> Response:
    """The session's cookie: HttpOnly, SameSite=Lax, for the whole site (docs/gateway.md)."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/"
    )
    return response


def safe_next(next_url: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith(("//", "/\\")):
        return "/"
    return next_url


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")


Staff = Annotated[SignedIn, Depends(signed_in)]
Editor = Annotated[SignedIn, Depends(editor)]
# The second factor's own pages: a session waiting for its code, or one that must enrol.
PasswordOnly = Annotated[SignedIn, Depends(session_of)]
Enrolling = Annotated[SignedIn, Depends(enrolling)]
