"""Rendering pages and fragments, the security headers every answer carries, and the errors a
page shows instead of a 500."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import present
from gateway.assets import ASSETS
from gateway.auth import masked
from gateway.users.service import SignedIn

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Every template is escaped, whatever its file name: respondent text is never marked safe.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

STAFF_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment: not a boosted navigation, which wants a page."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    signed_in: SignedIn | None = getattr(request.state, "signed_in", None)
    html = environment.get_template(template).render(
        request=request,
        signed_in=signed_in,
        # The navigation only for a session past its second factor (none waiting, none owed).
        user=signed_in.user
        if signed_in and not signed_in.awaiting_code and not signed_in.must_enrol
        else None,
        # Masked afresh for each page, so that compressing pages is safe (auth.masked).
        csrf_token=masked(signed_in.csrf_token) if signed_in else "",
        path=request.url.path,
        **(context or {}),
    )
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def redirect_for(request: Request, url: str) -> Response:
    """Where a plain form post answers 303, an htmx request is told to go there itself."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Location": url})
    return see_other(url)


# How figures read (present.py), for every template.
environment.filters.update(
    figure=present.figure,
    interval=present.interval,
    change=present.change,
    target_text=present.target_text,
    indicator_text=present.indicator_text,
    share_text=present.share_text,
    status_of=present.status_of,
    when=present.when,
    emotion_word=present.emotion_word,
    money=present.money,
    label=present.label,
    actor_name=present.actor_name,
    mid_sentence=present.mid_sentence,
)
environment.globals.update(
    asset_url=ASSETS.url,
    METRIC_NAMES=present.METRIC_NAMES,
    STATUS_WORDS=present.STATUS_WORDS,
    CHANNELS=present.CHANNELS,
    EMOTIONS=present.EMOTIONS,
    INDICATOR_KINDS=present.INDICATOR_KINDS,
    COMPARISONS=present.COMPARISONS,
    headline_metric=present.headline_metric,
    answers_url=present.answers_url,
    question_summary=present.question_summary,
    churn_method=present.churn_method,
)
