"""Surveys for staff: the list, the builder (settings, questions of every type, their order and
display logic), preview, publish, the link and embed snippet, invitations from a CSV upload,
and the responses with filters and a CSV export."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from cxshared.client import UpstreamConflict, UpstreamInvalid
from cxshared.csvtext import CsvError, CsvRows
from gateway.auth import Editor, Staff
from gateway.clients.feedback import FeedbackClient
from gateway.clients.journey import JourneyClient
from gateway.clients.models import PublicSurvey, Question, Survey, touchpoint_names
from gateway.config import Settings
from gateway.dependencies import FeedbackDep, JourneyDep, SettingsDep
from gateway.pages.common import fetch
from gateway.present import OPERATOR_WORDS, differences
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

QUESTION_TYPES = {
    "nps": "NPS (0-10)",
    "csat": "CSAT (1-5)",
    "ces": "CES (1-7)",
    "rating": "Rating (1-N)",
    "single_choice": "One choice",
    "multi_choice": "Several choices",
    "text": "Free text",
}
# The conditions the builder offers (feedback knows a few more, which it shows as they are).
OPERATORS = {
    op: OPERATOR_WORDS[op] for op in ("lte", "gte", "eq", "neq", "answered", "not_answered")
}
Version = Annotated[int, Form(description="The version of the survey the form was made from")]
SURVEYS_CHANGED = "survey-changed"  # the builder's head listens, and shows the survey's state
SETTINGS_FRAGMENT = "surveys/_settings.html"
QUESTIONS_FRAGMENT = "surveys/_questions.html"
INVITATIONS_PER_UPLOAD = 5000
INVITATION_BATCH = 500


@dataclass(frozen=True)
class Sources:
    """What the builder shows: the survey (feedback), the touchpoints it may belong to
    (journey) and the address it is answered at (settings)."""

    feedback: FeedbackClient
    journey: JourneyClient
    settings: Settings


def _sources(feedback: FeedbackDep, journey: JourneyDep, settings: SettingsDep) -> Sources:
    return Sources(feedback, journey, settings)


SourcesDep = Annotated[Sources, Depends(_sources)]


# -- the list and a new survey ------------------------------------------------------------


@router.get("/surveys")
async def list_surveys(
    request: Request, user: Staff, feedback: FeedbackDep, journey: JourneyDep
) -> Response:
    parts = await fetch(
        surveys=feedback.list_surveys(),
        touchpoints=journey.touchpoints_by_journey(),
    )
    return render(
        request,
        "surveys/index.html",
        {
            "title": "Surveys",
            "surveys": parts["surveys"],
            "touchpoint_groups": parts["touchpoints"] or [],
            "touchpoint_names": touchpoint_names(parts["touchpoints"] or []),
            "notices": parts.notices(),
            "errors": {},
            "values": {},
        },
    )


@router.post("/surveys")
async def create_survey(
    request: Request,
    user: Editor,
    feedback: FeedbackDep,
    journey: JourneyDep,
    title: Annotated[str, Form(max_length=200)] = "",
    slug: Annotated[str, Form(max_length=80)] = "",
    touchpoint_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    fields = {
        "title": title.strip(),
        "slug": slug.strip().lower() or _slug(title),
        "touchpoint_id": touchpoint_id or None,
    }
    try:
        survey = await feedback.create_survey(fields, acting_user=user.user.email)
    except (UpstreamInvalid, UpstreamConflict) as exc:
        errors = exc.field_errors if isinstance(exc, UpstreamInvalid) else {"slug": exc.detail}
        parts = await fetch(
            surveys=feedback.list_surveys(),
            touchpoints=journey.touchpoints_by_journey(),
        )
        return render(
            request,
            "surveys/index.html",
            {
                "title": "Surveys",
                "surveys": parts["surveys"],
                "touchpoint_groups": parts["touchpoints"] or [],
                "touchpoint_names": touchpoint_names(parts["touchpoints"] or []),
                "notices": parts.notices(),
                "errors": errors or {"title": exc.detail},
                "values": fields,
            },
            status_code=422,
        )
    return redirect_for(request, f"/surveys/{survey.id}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "survey"


# -- the builder ----------------------------------------------------------------------------


async def _builder(
    request: Request,
    sources: Sources,
    survey_id: str,
    *,
    template: str = "surveys/builder.html",
    status_code: int = 200,
    conflict_in: str = "",
    **extra: Any,
) -> Response:
    """The builder, or one of its fragments for htmx. `conflict_in` ("settings" or
    "questions") says which form lost to another edit; its input (`settings_form` or
    `question_form`) is compared with the stored survey to say what the other edit holds."""
    parts = await fetch(
        survey=sources.feedback.get_survey(survey_id),
        touchpoints=sources.journey.touchpoints_by_journey(),
    )
    survey: Survey = parts["survey"]
    if survey is None:
        return render(
            request,
            "errors/page.html",
            {"title": "Surveys are unavailable", "message": parts.notices()[0]},
            status_code=503,
        )
    public_url = sources.settings.public_url
    link = f"{public_url}/s/{survey.slug}"
    touchpoint_groups = parts["touchpoints"] or []
    context: dict[str, Any] = {
        "title": survey.title,
        "survey": survey,
        "touchpoint_groups": touchpoint_groups,
        "notices": parts.notices(),
        "types": QUESTION_TYPES,
        "operators": OPERATORS,
        "link": link,
        "embed": f'<script src="{public_url}/embed.js" data-survey="{survey.slug}" async></script>',
        "errors": {},
        "message": "",
        "editing": None,
        "settings_form": {},
        "question_form": {},
        "stored_settings": settings_values(survey),
        "conflict_in": conflict_in,
        "differences": [],
        "bumped": None,
        **extra,
    }
    if conflict_in == "settings":
        names = touchpoint_names(touchpoint_groups)
        theirs = {**context["stored_settings"]}
        theirs["touchpoint_id"] = names.get(theirs["touchpoint_id"], theirs["touchpoint_id"])
        mine = {**context["settings_form"]}
        mine["touchpoint_id"] = names.get(mine.get("touchpoint_id", ""), "")
        context["differences"] = differences(theirs, mine, SETTINGS_LABELS, SETTINGS_CHECKBOXES)
    elif conflict_in == "questions" and context["editing"]:
        stored = next((q for q in survey.questions if q.key == context["editing"]), None)
        if stored is not None:
            context["differences"] = differences(
                question_values(stored), context["question_form"], QUESTION_LABELS, {"required"}
            )
    if is_htmx(request) and template != "surveys/builder.html":
        return render(request, template, context, status_code=status_code)
    return render(request, "surveys/builder.html", context, status_code=status_code)


# Short names of the settings and question fields, for saying where two versions differ.
SETTINGS_LABELS = {
    "title": "Title",
    "slug": "Address",
    "touchpoint_id": "Touchpoint",
    "intro": "Introduction",
    "thank_you": "Thank-you message",
    "allowed_origins": "Sites allowed to embed it",
    "hidden_fields": "Hidden fields",
    "opens_at": "Opens",
    "closes_at": "Closes",
    "response_cap": "Response cap",
    "fatigue_days": "Ask a person at most once per … days",
    "min_seconds_to_complete": "Flag answers faster than … s",
    "allow_anonymous": "Anonymous answers allowed",
    "one_response_per_invitation": "One answer per invitation",
    "store_ip": "Keep respondents' IP addresses",
}
SETTINGS_CHECKBOXES = {"allow_anonymous", "one_response_per_invitation", "store_ip"}
QUESTION_LABELS = {
    "prompt": "Question",
    "help": "Help text",
    "key": "Key",
    "choices": "Choices",
    "max_selected": "At most … chosen",
    "scale": "Scale",
    "max_length": "Longest answer",
    "required": "Required",
}


def settings_values(survey: Survey) -> dict[str, str]:
    """The settings form's fields as the stored survey fills them."""

    def moment(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%M") if value else ""

    return {
        "title": survey.title,
        "slug": survey.slug,
        "intro": survey.intro,
        "thank_you": survey.thank_you,
        "touchpoint_id": survey.touchpoint_id or "",
        "allowed_origins": "\n".join(survey.allowed_origins),
        "hidden_fields": ", ".join(survey.hidden_fields),
        "response_cap": str(survey.response_cap or ""),
        "fatigue_days": str(survey.fatigue_days or ""),
        "min_seconds_to_complete": str(survey.min_seconds_to_complete or ""),
        "opens_at": moment(survey.opens_at),
        "closes_at": moment(survey.closes_at),
        "allow_anonymous": "on" if survey.allow_anonymous else "",
        "one_response_per_invitation": "on" if survey.one_response_per_invitation else "",
        "store_ip": "on" if survey.store_ip else "",
    }


def question_values(question: Question) -> dict[str, str]:
    """A question's editor fields as the stored question fills them."""
    return {
        "key": question.key,
        "prompt": question.prompt,
        "help": question.help,
        "required": "on" if question.required else "",
        "scale": str(question.scale or ""),
        "max_length": str(question.max_length or ""),
        "max_selected": str(question.max_selected or ""),
        "choices": "\n".join(f"{c['value']} | {c['label']}" for c in question.choices),
    }


@router.get("/surveys/{survey_id}")
async def survey_builder(
    request: Request, user: Staff, sources: SourcesDep, survey_id: str
) -> Response:
    return await _builder(request, sources, survey_id)


def _settings_changes(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "slug": form.get("slug", "").strip().lower(),
        "intro": form.get("intro", ""),
        "thank_you": form.get("thank_you", ""),
        "touchpoint_id": form.get("touchpoint_id") or None,
        "allowed_origins": [o.strip() for o in form.get("allowed_origins", "").split() if o],
        "hidden_fields": [
            f.strip() for f in re.split(r"[,\s]+", form.get("hidden_fields", "")) if f
        ],
        "allow_anonymous": form.get("allow_anonymous") == "on",
        "one_response_per_invitation": form.get("one_response_per_invitation") == "on",
        "store_ip": form.get("store_ip") == "on",
    }
    for name in ("response_cap", "fatigue_days", "min_seconds_to_complete"):
        raw = form.get(name, "").strip()
        if not raw:
            changes[name] = 0 if name == "min_seconds_to_complete" else None
        elif raw.isdigit():
            changes[name] = int(raw)
        else:
            errors[name] = "must be a whole number"
    for name in ("opens_at", "closes_at"):
        raw = form.get(name, "").strip()
        try:
            changes[name] = (
                datetime.fromisoformat(raw).isoformat() + ("" if "+" in raw else "Z")
                if raw
                else None
            )
        except ValueError:
            errors[name] = "must be a date and time"
    return changes, errors


async def _save(
    request: Request,
    sources: Sources,
    user: Editor,
    survey_id: str,
    version: int,
    changes: dict[str, Any],
    *,
    fragment: str,
    form: dict[str, str] | None = None,
    editing: str | None = None,
) -> Response:
    """One PATCH of the survey; the builder (or its fragment) again, with what went wrong and
    the user's input kept. After a save, the page's other forms that held the version it
    replaced get the new one, so their next save is not refused as stale; a form based on an
    older version keeps it, and its save is refused as it should be."""
    area = "settings" if fragment == SETTINGS_FRAGMENT else "questions"
    settings_form = (form or {}) if area == "settings" else {}
    question_form = (form or {}) if area == "questions" else {}
    try:
        saved = await sources.feedback.update_survey(
            survey_id, version=version, changes=changes, acting_user=user.user.email
        )
    except UpstreamConflict:
        return await _builder(
            request,
            sources,
            survey_id,
            template=fragment,
            status_code=412,
            conflict_in=area,
            editing=editing,
            settings_form=settings_form,
            question_form=question_form,
        )
    except UpstreamInvalid as exc:
        found = exc.field_errors
        errors = {_form_field(k): v for k, v in found.items()}
        errors[""] = "Not saved. " + (
            "; ".join(f"{k}: {v}" for k, v in found.items()) if found else exc.detail
        )
        return await _builder(
            request,
            sources,
            survey_id,
            template=fragment,
            status_code=422,
            errors=errors,
            editing=editing,
            settings_form=settings_form,
            question_form=question_form,
        )
    if not is_htmx(request):
        return redirect_for(request, f"/surveys/{survey_id}")
    response = await _builder(
        request,
        sources,
        survey_id,
        template=fragment,
        message="Saved.",
        bumped=(version, saved.version),
    )
    response.headers["HX-Trigger"] = SURVEYS_CHANGED
    return response


def _form_field(backend_field: str) -> str:
    """questions[2].choices[0].value -> choices; allowed_origins[1] -> allowed_origins."""
    last = re.sub(r"\[\d+\]", "", backend_field).split(".")
    return last[1] if last[0] == "questions" and len(last) > 1 else last[0]


@router.post("/surveys/{survey_id}/settings")
async def save_settings(
    request: Request,
    user: Editor,
    sources: SourcesDep,
    survey_id: str,
    version: Version,
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    changes, errors = _settings_changes(form)
    if errors:
        return await _builder(
            request,
            sources,
            survey_id,
            template=SETTINGS_FRAGMENT,
            status_code=422,
            errors=errors,
            settings_form=form,
        )
    return await _save(
        request, sources, user, survey_id, version, changes, fragment=SETTINGS_FRAGMENT, form=form
    )


def _questions(survey: Survey) -> list[dict[str, Any]]:
    # Only what each question sets: feedback refuses fields a type does not have.
    return [q.model_dump(exclude_defaults=True) for q in survey.questions]


KEY_LENGTH = 40  # feedback's limit on a question key


def _new_key(prompt: str, kind: str, taken: set[str]) -> str:
    """A key made of the prompt's first whole words (an export's column header), never a
    word cut short; room is left for a number that tells two alike apart."""
    words = re.findall(r"[a-z0-9]+", prompt.lower())
    if words and not words[0][0].isalpha():
        words.insert(0, "q")
    base = ""
    for word in words:
        longer = f"{base}_{word}" if base else word
        if len(longer) > KEY_LENGTH - 3:
            break
        base = longer
    base = base or kind
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


@router.post("/surveys/{survey_id}/questions")
async def add_question(
    request: Request,
    user: Editor,
    sources: SourcesDep,
    survey_id: str,
    version: Version,
    type: Annotated[str, Form()] = "nps",
    prompt: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    survey = await sources.feedback.get_survey(survey_id)
    questions = _questions(survey)
    kind = type if type in QUESTION_TYPES else "text"
    question: dict[str, Any] = {
        "key": _new_key(prompt, kind, {q["key"] for q in questions}),
        "type": kind,
        "prompt": prompt.strip(),
    }
    if kind in ("single_choice", "multi_choice"):
        question["choices"] = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
    return await _save(
        request,
        sources,
        user,
        survey_id,
        version,
        {"questions": [*questions, question]},
        fragment=QUESTIONS_FRAGMENT,
        form={"new_prompt": prompt, "new_type": kind},
    )


def _choices(text: str) -> list[dict[str, str]]:
    """One choice a line: 'value | label', or just the label (its value made from it)."""
    choices = []
    for line in text.splitlines():
        if not line.strip():
            continue
        value, _, label = line.partition("|")
        if not label:
            label, value = value, re.sub(r"[^A-Za-z0-9_-]+", "_", value.strip().lower())
        choices.append({"value": value.strip()[:40], "label": label.strip()})
    return choices


def _edited(form: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    question: dict[str, Any] = {
        "key": form.get("key", current["key"]).strip(),
        "type": current["type"],
        "prompt": form.get("prompt", "").strip(),
        "help": form.get("help", ""),
        "required": form.get("required") == "on",
    }
    kind = current["type"]
    if kind in ("single_choice", "multi_choice"):
        question["choices"] = _choices(form.get("choices", ""))
    if kind == "multi_choice" and form.get("max_selected", "").strip().isdigit():
        question["max_selected"] = int(form["max_selected"])
    if kind == "rating" and form.get("scale", "").strip().isdigit():
        question["scale"] = int(form["scale"])
    if kind == "text" and form.get("max_length", "").strip().isdigit():
        question["max_length"] = int(form["max_length"])
    condition_on = form.get("if_question", "")
    op = form.get("if_op", "")
    if condition_on and op in OPERATORS:
        condition: dict[str, Any] = {"question": condition_on, "op": op}
        raw = form.get("if_value", "").strip()
        if op not in ("answered", "not_answered"):
            condition["value"] = int(raw) if raw.lstrip("-").isdigit() else raw
        question["show_if"] = [condition]
    else:
        question["show_if"] = []
    return question


@router.get("/surveys/{survey_id}/questions/{key}/edit")
async def edit_question(
    request: Request,
    user: Staff,
    sources: SourcesDep,
    survey_id: str,
    key: str,
    cancel: Annotated[bool, Query(description="Close the editor instead")] = False,
) -> Response:
    return await _builder(
        request, sources, survey_id, template=QUESTIONS_FRAGMENT, editing=None if cancel else key
    )


@router.post("/surveys/{survey_id}/questions/{key}")
async def update_question(
    request: Request, user: Editor, sources: SourcesDep, survey_id: str, key: str, version: Version
) -> Response:
    survey = await sources.feedback.get_survey(survey_id)
    questions = _questions(survey)
    index = next((i for i, q in enumerate(questions) if q["key"] == key), None)
    if index is None:
        return redirect_for(request, f"/surveys/{survey_id}")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    questions[index] = _edited(form, questions[index])
    return await _save(
        request,
        sources,
        user,
        survey_id,
        version,
        {"questions": questions},
        fragment=QUESTIONS_FRAGMENT,
        form=form,
        editing=key,
    )


@router.post("/surveys/{survey_id}/questions/{key}/move")
async def move_question(
    request: Request,
    user: Editor,
    sources: SourcesDep,
    survey_id: str,
    key: str,
    version: Version,
    direction: Annotated[str, Form(pattern="^(up|down)$")],
) -> Response:
    survey = await sources.feedback.get_survey(survey_id)
    questions = _questions(survey)
    index = next((i for i, q in enumerate(questions) if q["key"] == key), -1)
    other = index - 1 if direction == "up" else index + 1
    if index >= 0 and 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    return await _save(
        request,
        sources,
        user,
        survey_id,
        version,
        {"questions": questions},
        fragment=QUESTIONS_FRAGMENT,
    )


@router.post("/surveys/{survey_id}/questions/{key}/delete")
async def delete_question(
    request: Request, user: Editor, sources: SourcesDep, survey_id: str, key: str, version: Version
) -> Response:
    survey = await sources.feedback.get_survey(survey_id)
    questions = [q for q in _questions(survey) if q["key"] != key]
    return await _save(
        request,
        sources,
        user,
        survey_id,
        version,
        {"questions": questions},
        fragment=QUESTIONS_FRAGMENT,
    )


@router.post("/surveys/{survey_id}/publish")
async def publish_survey(
    request: Request, user: Editor, sources: SourcesDep, survey_id: str
) -> Response:
    try:
        await sources.feedback.publish_survey(survey_id, acting_user=user.user.email)
    except (UpstreamConflict, UpstreamInvalid) as exc:
        return await _builder(request, sources, survey_id, status_code=409, message=exc.detail)
    return redirect_for(request, f"/surveys/{survey_id}")


@router.get("/surveys/{survey_id}/preview")
async def preview_survey(
    request: Request, user: Staff, feedback: FeedbackDep, survey_id: str
) -> Response:
    survey = await feedback.get_survey(survey_id)
    as_public = PublicSurvey(
        slug=survey.slug,
        version=survey.published_version or 0,
        title=survey.title,
        intro=survey.intro,
        thank_you=survey.thank_you,
        questions=survey.questions,
        accepting_responses=False,
    )
    return render(
        request,
        "surveys/preview.html",
        {"title": f"Preview: {survey.title}", "survey": survey, "public": as_public},
    )


# -- invitations ----------------------------------------------------------------------------


@router.get("/surveys/{survey_id}/invitations")
async def invitations(
    request: Request, user: Staff, sources: SourcesDep, survey_id: str
) -> Response:
    return await _invitations_page(request, sources, survey_id)


async def _invitations_page(
    request: Request, sources: Sources, survey_id: str, *, status_code: int = 200, **extra: Any
) -> Response:
    feedback = sources.feedback
    parts = await fetch(
        survey=feedback.get_survey(survey_id), invitations=feedback.list_invitations(survey_id)
    )
    counts: dict[str, int] = {}
    for invitation in parts["invitations"] or []:
        counts[invitation.status] = counts.get(invitation.status, 0) + 1
    context = {
        "title": "Invitations",
        "survey": parts["survey"],
        "invitations": parts["invitations"] or [],
        "counts": counts,
        "notices": parts.notices(),
        "result": None,
        "error": "",
        "public_url": sources.settings.public_url,
        **extra,
    }
    return render(request, "surveys/invitations.html", context, status_code=status_code)


def read_invitees(data: bytes) -> tuple[list[dict[str, Any]], str]:
    """Rows of external_id, email and any other columns (kept as attributes); or an error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "The file is not UTF-8 text. Save it as CSV (UTF-8) and upload it again."
    try:
        return _invitees(CsvRows(text))
    except CsvError as exc:
        return [], f"The file is not CSV that can be read: {exc}."


def _invitees(reader: CsvRows) -> tuple[list[dict[str, Any]], str]:
    if "external_id" not in reader.fieldnames:
        return [], "The first line must name the columns, among them external_id (and email)."
    people = []
    for number, row in reader:
        external_id = (row.get("external_id") or "").strip()
        if not external_id:
            return [], f"Line {number} has no external_id."
        attributes = {k: v for k, v in row.items() if k not in ("external_id", "email") and k and v}
        person: dict[str, Any] = {"external_id": external_id, "attributes": attributes}
        if email := (row.get("email") or "").strip():
            person["email"] = email
        people.append(person)
        if len(people) > INVITATIONS_PER_UPLOAD:
            return [], f"At most {INVITATIONS_PER_UPLOAD} people an upload; split the file."
    if not people:
        return [], "The file has no rows below its header."
    return people, ""


@router.post("/surveys/{survey_id}/invitations")
async def upload_invitations(
    request: Request,
    user: Editor,
    sources: SourcesDep,
    survey_id: str,
    file: Annotated[UploadFile, File()],
) -> Response:
    people, error = read_invitees(await file.read())
    if error:
        return await _invitations_page(request, sources, survey_id, status_code=422, error=error)
    created: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for start in range(0, len(people), INVITATION_BATCH):
        try:
            result = await sources.feedback.create_invitations(
                survey_id, people[start : start + INVITATION_BATCH], acting_user=user.user.email
            )
        except UpstreamInvalid as exc:
            line = _line_of(exc, start)
            return await _invitations_page(
                request,
                sources,
                survey_id,
                status_code=422,
                error=f"{line}{exc.detail}",
                result={"created": created, "skipped": skipped},
            )
        created += result.created
        skipped += result.skipped
    return await _invitations_page(
        request, sources, survey_id, result={"created": created, "skipped": skipped}
    )


def _line_of(exc: UpstreamInvalid, offset: int) -> str:
    for field in exc.field_errors:
        found = re.match(r"respondents\[(\d+)\]", field)
        if found:
            return f"Line {int(found.group(1)) + offset + 2}: "
    return ""


# -- responses ------------------------------------------------------------------------------

BANDS = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class ResponseFilters:
    """The responses page's filters, as the page's query string and as feedback's."""

    since: Annotated[date | None, Query()] = None
    until: Annotated[date | None, Query()] = None
    band: Annotated[str, Query(max_length=20)] = ""
    text: Annotated[str, Query(max_length=200)] = ""
    status: Annotated[str, Query(max_length=20)] = ""

    def query(self) -> dict[str, str]:
        """The filters set, for links that keep them (the export, the next page)."""
        values = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "band": self.band,
            "text": self.text,
            "status": self.status,
        }
        return {k: v for k, v in values.items() if v}

    def for_feedback(self, survey_id: str) -> dict[str, Any]:
        """Whole days, the last one included; unknown bands and statuses ignored."""
        until = self.until + timedelta(days=1) if self.until else None
        return {
            "survey_id": survey_id,
            "since": datetime.combine(self.since, time()).isoformat() + "Z" if self.since else None,
            "until": datetime.combine(until, time()).isoformat() + "Z" if until else None,
            "band": self.band if self.band in BANDS else None,
            "text": self.text.strip() or None,
            "status": self.status if self.status in ("partial", "complete") else None,
        }


ResponseQuery = Annotated[ResponseFilters, Depends()]


@router.get("/surveys/{survey_id}/responses")
async def responses(
    request: Request,
    user: Staff,
    feedback: FeedbackDep,
    survey_id: str,
    filters: ResponseQuery,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    parts = await fetch(
        survey=feedback.get_survey(survey_id),
        page=feedback.list_responses(
            {**filters.for_feedback(survey_id), "cursor": cursor, "limit": 50}
        ),
    )
    found, next_cursor = parts["page"] or ([], None)
    return render(
        request,
        "surveys/responses.html",
        {
            "title": "Responses",
            "survey": parts["survey"],
            "responses": found,
            "next_cursor": next_cursor,
            "query": filters.query(),
            "bands": BANDS,
            "notices": parts.notices(),
        },
    )


@router.get("/surveys/{survey_id}/responses-dictionary.csv")
async def export_dictionary(
    user: Staff, feedback: FeedbackDep, survey_id: str, filters: ResponseQuery
) -> Response:
    """What each column of the CSV export holds: a question's prompt, type and values."""
    return await _export(feedback, filters, survey_id, "dictionary", f"{survey_id}-dictionary")


@router.get("/surveys/{survey_id}/responses.csv")
async def export_responses(
    user: Staff, feedback: FeedbackDep, survey_id: str, filters: ResponseQuery
) -> Response:
    return await _export(feedback, filters, survey_id, "csv", survey_id)


async def _export(
    feedback: FeedbackClient, filters: ResponseFilters, survey_id: str, kind: str, name: str
) -> Response:
    """Feedback's CSV, passed on as it arrives."""
    upstream = await feedback.open_export({**filters.for_feedback(survey_id), "format": kind})
    return StreamingResponse(
        upstream.aiter_bytes(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="responses-{name}.csv"'},
        background=BackgroundTask(upstream.aclose),
    )
