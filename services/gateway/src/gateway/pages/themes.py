"""A journey's comment themes: the taxonomy with its figures (volume, trend, detractors,
sentiment, touchpoints, NPS impact), editing it, and the themes found in comments that no
theme covers yet, to accept. Figures are defined in docs/metrics.md, "Comment themes"."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cxshared.client import UpstreamConflict, UpstreamInvalid, UpstreamNotFound
from cxshared.timeutil import utcnow
from gateway.auth import Editor, Staff
from gateway.dependencies import JourneyDep, MetricsDep
from gateway.pages.common import fetch
from gateway.web import redirect_for, render

router = APIRouter()

PERIODS = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}
DEFAULT_DAYS = 90


class ThemeForm(BaseModel):
    """A theme as its forms send it: phrases one a line; `days` is the period shown."""

    name: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)
    phrases: str = Field("", max_length=20000)
    days: int = DEFAULT_DAYS
    version: int = Field(0, description="The version edited (an edit only).")


def _days(days: int) -> int:
    return days if days in PERIODS else DEFAULT_DAYS


def _checked(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The theme's fields from the form (phrases one a line), and what is wrong with them."""
    fields = {
        "name": values["name"].strip(),
        "description": values["description"].strip(),
        "phrases": [p.strip() for p in values["phrases"].splitlines() if p.strip()],
    }
    return fields, {} if fields["name"] else {"name": "Give the theme a name."}


async def _page(
    request: Request,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    days: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    end = utcnow().date()
    start = end - timedelta(days=days - 1)
    try:
        parts = await fetch(
            journey=journey.get_journey(journey_id),
            themes=metrics.themes(journey_id),
            figures=metrics.theme_figures(journey_id, start=start, end=end),
            suggestions=metrics.theme_suggestions(journey_id, start=start, end=end),
        )
    except UpstreamNotFound:
        return render(
            request,
            "errors/page.html",
            {"title": "Not found", "message": "No such journey."},
            status_code=404,
        )
    context = {
        "title": "Comment themes",
        "journey": parts["journey"],
        "journey_id": journey_id,
        "themes": parts["themes"] or [],
        "figures": parts["figures"] or {},
        "suggestions": parts["suggestions"] or [],
        "metrics_missing": parts["themes"] is None,
        "days": days,
        "periods": PERIODS,
        "notices": parts.notices(),
        "errors": {},
        "values": {},
        "editing": "",
        **extra,
    }
    return render(request, "themes/index.html", context, status_code=status_code)


@router.get("/journeys/{journey_id}/themes")
async def themes_page(
    request: Request,
    user: Staff,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    days: Annotated[int, Query()] = DEFAULT_DAYS,
) -> Response:
    return await _page(request, journey, metrics, journey_id, _days(days))


async def _saved(
    request: Request,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    days: int,
    errors: dict[str, str],
    values: dict[str, str],
    *,
    editing: str = "",
    status_code: int = 422,
) -> Response:
    """After a write: back to the page, or the page again with the form and what was wrong."""
    if not errors:
        return redirect_for(request, f"/journeys/{journey_id}/themes?days={_days(days)}")
    return await _page(
        request, journey, metrics, journey_id, _days(days),
        status_code=status_code, errors=errors, values=values, editing=editing,
    )  # fmt: skip


def _errors(exc: UpstreamInvalid) -> dict[str, str]:
    found = {k.split("[")[0].split(".")[0]: v for k, v in exc.field_errors.items()}
    return found or {"name": exc.detail}


@router.post("/journeys/{journey_id}/themes")
async def add_theme(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    form: Annotated[ThemeForm, Form()],
) -> Response:
    """A new theme, typed in or a suggestion accepted (its fields come as hidden inputs)."""
    values = form.model_dump(exclude={"days", "version"})
    fields, errors = _checked(values)
    if not errors:
        try:
            await metrics.create_theme(journey_id, fields=fields, acting_user=user.user.email)
        except UpstreamInvalid as exc:
            errors = _errors(exc)
    return await _saved(request, journey, metrics, journey_id, form.days, errors, values)


@router.post("/journeys/{journey_id}/themes/{theme_id}")
async def edit_theme(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    theme_id: str,
    form: Annotated[ThemeForm, Form()],
) -> Response:
    """Saves a theme; its comments are themed again. Another edit saved first is said so."""
    values = form.model_dump(exclude={"days", "version"})
    fields, errors = _checked(values)
    status_code = 422
    if not errors:
        try:
            await metrics.update_theme(
                journey_id,
                theme_id,
                fields=fields,
                version=form.version,
                acting_user=user.user.email,
            )
        except UpstreamInvalid as exc:
            errors = _errors(exc)
        except UpstreamConflict as exc:
            errors, status_code = {"name": f"{exc.detail} Your edit was not saved."}, 409
    return await _saved(
        request, journey, metrics, journey_id, form.days, errors, values,
        editing=theme_id, status_code=status_code,
    )  # fmt: skip


@router.post("/journeys/{journey_id}/themes/{theme_id}/delete")
async def remove_theme(
    request: Request,
    user: Editor,
    journey: JourneyDep,
    metrics: MetricsDep,
    journey_id: str,
    theme_id: str,
    version: Annotated[int, Form()],
    days: Annotated[int, Form()] = DEFAULT_DAYS,
) -> Response:
    try:
        await metrics.delete_theme(
            journey_id, theme_id, version=version, acting_user=user.user.email
        )
    except UpstreamConflict as exc:
        return await _page(
            request, journey, metrics, journey_id, _days(days),
            status_code=409, errors={"name": f"{exc.detail} It was not removed."},
            editing=theme_id,
        )  # fmt: skip
    except UpstreamNotFound:
        pass  # removed already
    return redirect_for(request, f"/journeys/{journey_id}/themes?days={_days(days)}")
