"""A survey's invitation mail (docs/email.md): delivery on or off, the subject and body
templates with a preview for a sample invitee, reminders, and "send me a test" to the signed-in
member of staff. Feedback checks and renders the templates; this page shows what it says."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from cxshared.client import UpstreamConflict, UpstreamError, UpstreamInvalid
from gateway.auth import Editor, Staff
from gateway.dependencies import FeedbackDep
from gateway.pages.common import fetch
from gateway.web import render

router = APIRouter()

TEXTS = ("subject_template", "text_template", "html_template")
SWITCHES = ("enabled", "embed_nps", "tracking")
NUMBERS = {"reminders": (0, 5), "reminder_after_days": (1, 60)}


def from_form(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings a submitted form asks for, as feedback takes them, and what is wrong with
    the numbers (feedback judges the rest)."""
    fields: dict[str, Any] = {name: name in form for name in SWITCHES}
    for name in TEXTS:
        value = str(form.get(name) or "")
        fields[name] = value.replace("\r\n", "\n")
    fields["html_template"] = fields["html_template"] or None
    errors: dict[str, str] = {}
    for name, (low, high) in NUMBERS.items():
        raw = str(form.get(name) or "").strip()
        if raw.isdigit() and low <= int(raw) <= high:
            fields[name] = int(raw)
        else:
            errors[name] = f"A whole number from {low} to {high}."
    return fields, errors


def _page(
    request: Request,
    survey: Any,
    settings: dict[str, Any],
    *,
    preview: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    notices: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "title": "Invitation e-mail",
        "survey": survey,
        "settings": {**settings, "html_template": settings.get("html_template") or ""},
        "preview": preview,
        "errors": errors or {},
        "message": message,
        "notices": notices or [],
    }
    fragment = request.headers.get("HX-Target") == "preview"
    template = "surveys/_email_preview.html" if fragment else "surveys/email.html"
    return render(request, template, context, status_code=status_code)


@router.get("/surveys/{survey_id}/email")
async def email_page(
    request: Request, user: Staff, feedback: FeedbackDep, survey_id: str
) -> Response:
    parts = await fetch(
        survey=feedback.get_survey(survey_id), settings=feedback.email_settings(survey_id)
    )
    preview, errors = None, {}
    if parts["survey"] is not None:
        try:
            preview = await feedback.preview_email(survey_id, None, acting_user=user.user.email)
        except UpstreamInvalid as exc:  # saved before a rule it breaks: say which
            errors = _refusal(exc)
        except UpstreamError:
            pass
    return _page(
        request,
        parts["survey"],
        parts["settings"] or {},
        preview=preview,
        errors=errors,
        notices=parts.notices(),
    )


# What a submitted form does: the settings to show after (None: as submitted), the preview,
# and a message.
Action = Callable[[dict[str, Any]], Awaitable[tuple[dict[str, Any] | None, Any, str]]]


async def _submit(request: Request, feedback: Any, survey_id: str, action: Action) -> Response:
    """Reads the form, checks its numbers, and does `action` with it; feedback's refusal is
    shown at the field it concerns, and the form keeps what was typed."""
    fields, errors = from_form(await request.form())
    parts = await fetch(
        survey=feedback.get_survey(survey_id), saved=feedback.email_settings(survey_id)
    )
    survey, shown = parts["survey"], {**(parts["saved"] or {}), **fields}
    if errors:
        return _page(request, survey, shown, errors=errors, status_code=422)
    try:
        settings, preview, message = await action(fields)
    except UpstreamInvalid as exc:
        return _page(request, survey, shown, errors=_refusal(exc), status_code=422)
    except UpstreamConflict as exc:
        return _page(request, survey, shown, errors={"": exc.detail}, status_code=409)
    except UpstreamError as exc:
        return _page(request, survey, shown, errors={"": exc.detail}, status_code=503)
    return _page(request, survey, settings or shown, preview=preview, message=message)


def _refusal(exc: UpstreamInvalid) -> dict[str, str]:
    """Feedback's refusal by form field (`settings.text_template` is the text field's)."""
    errors = {
        field.removeprefix("settings."): message for field, message in exc.field_errors.items()
    }
    return errors or {"": exc.detail}


@router.post("/surveys/{survey_id}/email")
async def save_email(
    request: Request, user: Editor, feedback: FeedbackDep, survey_id: str
) -> Response:
    by = user.user.email

    async def save(fields: dict[str, Any]) -> tuple[dict[str, Any], Any, str]:
        saved = await feedback.save_email_settings(survey_id, fields, acting_user=by)
        return saved, await feedback.preview_email(survey_id, None, acting_user=by), "Saved."

    return await _submit(request, feedback, survey_id, save)


@router.post("/surveys/{survey_id}/email/preview")
async def preview_email(
    request: Request, user: Editor, feedback: FeedbackDep, survey_id: str
) -> Response:
    async def preview(fields: dict[str, Any]) -> tuple[None, Any, str]:
        return (
            None,
            await feedback.preview_email(survey_id, fields, acting_user=user.user.email),
            "",
        )

    return await _submit(request, feedback, survey_id, preview)


@router.post("/surveys/{survey_id}/email/test")
async def send_test(
    request: Request, user: Editor, feedback: FeedbackDep, survey_id: str
) -> Response:
    to = user.user.email

    async def send(fields: dict[str, Any]) -> tuple[None, Any, str]:
        await feedback.send_test_email(survey_id, to, fields, acting_user=to)
        preview = await feedback.preview_email(survey_id, fields, acting_user=to)
        return None, preview, f"A test is on its way to {to}, marked [Test]; its links are samples."

    return await _submit(request, feedback, survey_id, send)
