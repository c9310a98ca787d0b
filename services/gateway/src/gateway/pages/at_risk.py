"""Customers at risk: every active customer by the revenue their churn would cost, with why, and
the churn model behind the probabilities: its inputs, how it did on held-out customers, and
whether it is used or the NPS-category rates are. Editors open an outreach case for a customer
in one click; a customer with one being worked shows it instead (docs/gateway.md)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.clients.models import AtRiskCustomer, AtRiskPage
from gateway.dependencies import FeedbackDep, MetricsDep, SettingsDep
from gateway.pages.common import CASE_CHANGED, fetch, outreach_of
from gateway.present import money
from gateway.web import redirect_for, render

router = APIRouter()

PAGE_SIZE = 50


@router.get("/dashboard/at-risk")
async def at_risk_page(
    request: Request,
    user: Staff,
    metrics: MetricsDep,
    feedback: FeedbackDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    try:
        parts = await fetch(
            page=metrics.at_risk(limit=PAGE_SIZE, cursor=cursor or None),
            model=metrics.churn_model(),
        )
    except UpstreamInvalid:  # a cursor edited by hand
        return redirect_for(request, "/dashboard/at-risk")
    page: AtRiskPage | None = parts["page"]
    outreach, cases = await outreach_of(feedback, page)
    here = "/dashboard/at-risk" + ("?" + urlencode({"cursor": cursor}) if cursor else "")
    context = {
        "title": "Customers at risk",
        "page": page,
        "model": parts["model"],
        "outreach": outreach,
        "back": here,
        "next_url": "/dashboard/at-risk?" + urlencode({"cursor": page.next_cursor})
        if page and page.next_cursor
        else None,
        "first_url": "/dashboard/at-risk" if cursor else None,
        "notices": parts.notices() + cases.notices(),
    }
    return render(request, "at_risk/index.html", context)


def outreach_case(customer: AtRiskCustomer, currency: str, high_from: float) -> dict[str, str]:
    """The case's title, description and priority, from the customer's figures at the click:
    high priority from an expected loss of `high_from` a year (the setting
    GATEWAY_OUTREACH_HIGH_PRIORITY_LOSS)."""
    since = customer.answered_at
    loss = money(customer.expected_loss, currency)
    why = "; ".join(reason.words for reason in customer.reasons)
    return {
        "title": f"At risk: {loss} a year, {customer.category} since {since.day} {since:%b}",
        "description": (
            f"{customer.name or customer.external_id}: a {customer.p:.0%} chance of churning "
            f"within the year, on annual revenue of {money(customer.annual_revenue, currency)}: "
            f"{loss} a year expected lost. Latest NPS {customer.latest_nps} "
            f"({customer.category}) on {since:%d %b %Y}." + (f" Why: {why}." if why else "")
        ),
        "priority": "high" if customer.expected_loss >= high_from else "normal",
    }


def _back(to: str) -> str:
    """Back to the page the click came from: the dashboard or a page of the customers at risk."""
    local = to.startswith("/dashboard") and "//" not in to and "\\" not in to
    return to if local else "/dashboard/at-risk"


@router.post("/dashboard/at-risk/outreach")
async def open_outreach(
    request: Request,
    user: Editor,
    metrics: MetricsDep,
    feedback: FeedbackDep,
    settings: SettingsDep,
    customer: Annotated[str, Form(min_length=1, max_length=200)],
    back: Annotated[str, Form(max_length=1000)] = "/dashboard/at-risk",
) -> Response:
    """Opens an outreach case for a customer at risk, unassigned (the team's queue picks it up),
    or finds the one being worked: feedback keeps one active per customer, so a second click,
    or two at once, opens nothing more. A customer no longer at risk opens nothing."""
    found = await metrics.at_risk(limit=1, customer=customer)
    if found.items:
        fields = outreach_case(found.items[0], found.currency, settings.outreach_high_priority_loss)
        await feedback.open_outreach(
            {**fields, "respondent_external_id": customer}, acting_user=user.user.email
        )
    response = redirect_for(request, _back(back))
    response.headers["HX-Trigger"] = CASE_CHANGED
    return response
