"""What every page needs: the backends, fetched concurrently, and what is missing said plainly;
and what customers' pages (surveys, case follow-ups) share: their headers and feedback asked
for the customer."""

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from cxshared.client import UpstreamUnavailable
from cxshared.ratelimit import client_address
from gateway.clients.feedback import FeedbackClient
from gateway.clients.models import AtRiskPage, Case, PublicSurvey
from gateway.dependencies import FeedbackDep, SettingsDep
from gateway.web import render

# The event a change to a case sends, for the regions that show cases (the inbox counts).
CASE_CHANGED = "case-changed"


class Parts:
    """The answers of several backend calls; a call whose backend was down is None, and the
    page names it among `missing`."""

    def __init__(self, results: dict[str, Any], missing: dict[str, str]) -> None:
        self._results = results
        self.missing = missing  # backend -> what it said

    def __getitem__(self, name: str) -> Any:
        return self._results[name]

    def names(self) -> list[str]:
        return list(self._results)

    def notices(self) -> list[str]:
        return [
            f"The {backend} service {detail}, so what it holds is missing from this page."
            for backend, detail in sorted(self.missing.items())
        ]


async def fetch(**calls: Awaitable[Any]) -> Parts:
    """Runs the calls at once. A backend that is down, slow or failing leaves its part None;
    any other error (not found, invalid) is raised."""
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    got: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name, result in zip(calls, results, strict=True):
        if isinstance(result, UpstreamUnavailable):
            missing[result.backend] = result.detail
            got[name] = None
        elif isinstance(result, BaseException):
            raise result
        else:
            got[name] = result
    return Parts(got, missing)


ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
UNAVAILABLE = "We cannot take answers just this moment. Please try again in a minute."


def survey_csp(survey: PublicSurvey | None) -> str:
    """The survey's page may be framed by the origins it lists, and by no one else: not by the
    gateway's own pages either (none frames a survey), and by no one when it lists none."""
    origins = [o for o in (survey.allowed_origins if survey else []) if ORIGIN.match(o)]
    ancestors = " ".join(origins) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
    )


def customer_page(
    request: Request,
    survey: PublicSurvey | None,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    csp = survey_csp(survey)
    response = render(
        request,
        template,
        {
            "survey": survey,
            "title": survey.title if survey else "Survey",
            "parent_origin": getattr(request.state, "parent_origin", ""),
            **context,
        },
        status_code=status_code,
        headers={"Content-Security-Policy": csp},
    )
    response.headers["Cache-Control"] = "no-store"
    if csp.endswith("frame-ancestors 'none'"):
        response.headers["X-Frame-Options"] = "DENY"  # browsers before CSP 2
    return response


@dataclass(frozen=True)
class Feedback:
    """Feedback, asked for the customer answering: their address goes with each call, and
    feedback's limits count it."""

    client: FeedbackClient
    address: str


def _feedback(request: Request, client: FeedbackDep, settings: SettingsDep) -> Feedback:
    return Feedback(client, client_address(request, settings.trusted_proxies))


FeedbackFor = Annotated[Feedback, Depends(_feedback)]


async def outreach_of(
    feedback: FeedbackClient, page: AtRiskPage | None
) -> tuple[dict[str, Case] | None, Parts]:
    """The active outreach cases of the page's customers; None when feedback did not answer."""
    ids = [customer.external_id for customer in page.items] if page else []
    parts = await fetch(outreach=feedback.active_outreach(ids))
    return parts["outreach"], parts
