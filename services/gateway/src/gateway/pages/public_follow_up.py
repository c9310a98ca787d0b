"""A case's recovery follow-up as the customer sees it: `/f/{token}`, one form with "Did we put
this right?" and, when the case came from a score, that question again. Feedback keeps the
first answer: a double click, a back-button resubmit or a second tab changes nothing, and the
page says thank you each time."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cxshared.client import (
    UpstreamError,
    UpstreamInvalid,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from gateway.pages.common import UNAVAILABLE, FeedbackFor, customer_page
from gateway.web import redirect_for

router = APIRouter()

NOT_VALID = "This link is not valid. If you were sent it, please reply to the message instead."
EXPIRED = "This link has expired. Thank you all the same."
THANKS = "Thank you for telling us."
ANSWERED = "You have answered already. Thank you for telling us."
REQUIRED = "Please answer both questions."


def plain_message(
    request: Request, message: str, *, title: str = "Your feedback", status_code: int = 200
) -> Response:
    return customer_page(
        request,
        None,
        "public/follow_up.html",
        {"title": title, "message": message},
        status_code=status_code,
    )


def _expired(exc: UpstreamError) -> bool:
    return str(exc.problem.get("type", "")).endswith("follow-up-expired")


async def _load(request: Request, feedback: FeedbackFor, token: str) -> dict[str, Any] | Response:
    try:
        return await feedback.client.follow_up(token, client=feedback.address)
    except UpstreamNotFound:
        return plain_message(request, NOT_VALID, status_code=404)
    except (UpstreamUnavailable, UpstreamRateLimited):
        return plain_message(request, UNAVAILABLE, status_code=503)


def _form(
    request: Request,
    token: str,
    follow_up: dict[str, Any],
    *,
    error: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return customer_page(
        request,
        None,
        "public/follow_up.html",
        {
            "title": follow_up["title"],
            "token": token,
            "follow_up": follow_up,
            "error": error,
            "values": values or {"put_right": "", "score": ""},
        },
        status_code=status_code,
    )


@router.get("/f/{token}")
async def follow_up_page(request: Request, feedback: FeedbackFor, token: str) -> Response:
    follow_up = await _load(request, feedback, token)
    if isinstance(follow_up, Response):
        return follow_up
    if follow_up["status"] == "answered":
        return plain_message(request, ANSWERED, title=follow_up["title"])
    if follow_up["status"] == "expired":
        return plain_message(request, EXPIRED, title=follow_up["title"], status_code=410)
    return _form(request, token, follow_up)


@router.post("/f/{token}")
async def answer_follow_up(request: Request, feedback: FeedbackFor, token: str) -> Response:
    follow_up = await _load(request, feedback, token)
    if isinstance(follow_up, Response):
        return follow_up
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("put_right", "score")}
    score = values["score"]
    asked = follow_up["metric"] is not None
    if values["put_right"] not in ("yes", "no") or (asked and not score.isdigit()):
        return _form(request, token, follow_up, error=REQUIRED, values=values, status_code=422)
    try:
        await feedback.client.answer_follow_up(
            token,
            put_right=values["put_right"] == "yes",
            score=int(score) if asked else None,
            client=feedback.address,
        )
    except UpstreamInvalid as exc:
        return _form(request, token, follow_up, error=exc.detail, values=values, status_code=422)
    except UpstreamNotFound:
        return plain_message(request, NOT_VALID, status_code=404)
    except (UpstreamUnavailable, UpstreamRateLimited) as exc:
        if _expired(exc):  # the link ran out while the page was open
            return plain_message(request, EXPIRED, title=follow_up["title"], status_code=410)
        return _form(request, token, follow_up, error=UNAVAILABLE, values=values, status_code=503)
    return redirect_for(request, f"/f/{token}/thanks")


@router.get("/f/{token}/thanks")
async def follow_up_thanks(request: Request, feedback: FeedbackFor, token: str) -> Response:
    follow_up = await _load(request, feedback, token)
    if isinstance(follow_up, Response):
        return follow_up
    return plain_message(request, THANKS, title=follow_up["title"])
