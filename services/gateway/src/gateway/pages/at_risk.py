"""Customers at risk: every active customer by the revenue their churn would cost, with why, and
the churn model behind the probabilities: its inputs, how it did on held-out customers, and
whether it is used or the NPS-category rates are."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxshared.client import UpstreamInvalid
from gateway.auth import Staff
from gateway.clients.models import AtRiskPage
from gateway.dependencies import MetricsDep
from gateway.pages.common import fetch
from gateway.web import redirect_for, render

router = APIRouter()

PAGE_SIZE = 50


@router.get("/dashboard/at-risk")
async def at_risk_page(
    request: Request,
    user: Staff,
    metrics: MetricsDep,
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
    context = {
        "title": "Customers at risk",
        "page": page,
        "model": parts["model"],
        "next_url": "/dashboard/at-risk?" + urlencode({"cursor": page.next_cursor})
        if page and page.next_cursor
        else None,
        "first_url": "/dashboard/at-risk" if cursor else None,
        "notices": parts.notices(),
    }
    return render(request, "at_risk/index.html", context)
