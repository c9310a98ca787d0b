"""Each staff member's notifications: how cxloop tells them of the cases assigned to them, the
cases that breach their SLA in their team, and the incidents on their touchpoints (each by
message, a daily digest, or not at all), and whether e-mail is set up at all."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxshared.client import UpstreamError
from gateway.auth import Staff, check_csrf
from gateway.dependencies import FeedbackDep, MetricsDep
from gateway.pages.common import fetch
from gateway.web import redirect_for, render

router = APIRouter()

CHOICES = {
    "each": "A message for each",
    "digest": "One message a day with all of them",
    "off": "No messages",
}


@router.get("/notifications")
async def notifications_page(
    request: Request, user: Staff, feedback: FeedbackDep, metrics: MetricsDep
) -> Response:
    email = user.user.email
    parts = await fetch(
        cases=feedback.notification_delivery(email),
        incidents=metrics.notification_delivery(email),
        feedback_mail=feedback.mail_configured(),
        metrics_mail=metrics.mail_configured(),
    )
    context: dict[str, Any] = {
        "title": "Notifications",
        "email": email,
        "choices": CHOICES,
        "cases": parts["cases"],
        "incidents": parts["incidents"],
        "mail": {"cases": parts["feedback_mail"], "incidents": parts["metrics_mail"]},
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "notifications/index.html", context)


@router.post("/notifications")
async def save_notifications(
    request: Request,
    user: Staff,
    feedback: FeedbackDep,
    metrics: MetricsDep,
    cases: Annotated[str, Form(max_length=10)] = "",
    incidents: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    # Every member sets their own, viewers too: it changes nothing anyone else sees.
    await check_csrf(request, user)
    if cases not in CHOICES or incidents not in CHOICES:
        return render(
            request,
            "errors/page.html",
            {"title": "Not saved", "message": "Choose one of the options offered."},
            status_code=422,
        )
    email = user.user.email
    try:
        await feedback.set_notification_delivery(email, cases, acting_user=email)
        await metrics.set_notification_delivery(email, incidents, acting_user=email)
    except UpstreamError as exc:
        return render(
            request,
            "errors/page.html",
            {"title": "Not saved", "message": f"Not saved: {exc}. Try again in a moment."},
            status_code=503,
        )
    return redirect_for(request, "/notifications?saved=1")
