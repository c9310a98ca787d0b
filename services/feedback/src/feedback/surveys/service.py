from typing import Any

from sqlmodel import Session, col, func, select

from cxshared.concurrency import ensure_fresh
from cxshared.crud import get_or_404, listed
from cxshared.pagination import PageParams
from cxshared.patch import to_patch
from cxshared.problems import Problem, field_error
from cxshared.timeutil import utcnow
from feedback.responses.models import Response
from feedback.surveys.models import Survey, SurveyStatus, SurveyVersion
from feedback.surveys.schemas import SurveyCopy, SurveyCreate, SurveyUpdate

# What a version freezes: what respondents see and how their answers are judged.
VERSIONED = ("title", "intro", "thank_you", "hidden_fields", "questions")
CLEARABLE = {
    "intro": "",
    "thank_you": "",
    "touchpoint_id": None,
    "opens_at": None,
    "closes_at": None,
    "response_cap": None,
    "fatigue_days": None,
}


def _ensure_free_slug(session: Session, slug: str, *, except_id: str | None = None) -> None:
    query = select(Survey.id).where(Survey.slug == slug)
    if except_id:
        query = query.where(Survey.id != except_id)
    if session.exec(query).first():
        raise field_error("slug", f"a survey at /s/{slug} exists already", "duplicate")


def list_surveys(
    *, session: Session, params: PageParams, filters: dict[str, Any]
) -> tuple[list[Survey], str | None]:
    return listed(session, Survey, filters=filters, params=params)


def create_survey(*, session: Session, body: SurveyCreate, actor: str) -> Survey:
    _ensure_free_slug(session, body.slug)
    survey = Survey(
        **body.model_dump(mode="json", exclude={"opens_at", "closes_at"}),
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        updated_by=actor,
    )
    session.add(survey)
    return survey


def update_survey(
    *, session: Session, survey_id: str, body: SurveyUpdate, if_match: str | None, actor: str
) -> Survey:
    survey = get_or_404(session, Survey, survey_id, lock=True)
    ensure_fresh(
        if_match, version=survey.version, updated_by=survey.updated_by, updated_at=survey.updated_at
    )
    patch = to_patch(body, clearable=CLEARABLE)
    if "slug" in patch:
        _ensure_free_slug(session, patch["slug"], except_id=survey.id)
    if "status" in patch:
        _check_status_change(survey, patch["status"])
    opens_at = patch.get("opens_at", survey.opens_at)
    closes_at = patch.get("closes_at", survey.closes_at)
    if opens_at and closes_at and closes_at <= opens_at:
        raise field_error("closes_at", "must be after opens_at", "invalid_window")
    changed = {k: v for k, v in patch.items() if getattr(survey, k) != v}
    if not changed:
        return survey
    for name, value in changed.items():
        setattr(survey, name, value)
    if survey.published_version is not None and set(changed) & set(VERSIONED):
        survey.has_unpublished_changes = True
    survey.version += 1
    survey.updated_at = utcnow()
    survey.updated_by = actor
    session.add(survey)
    return survey


def _check_status_change(survey: Survey, status: str) -> None:
    if status == survey.status:
        return
    if status == SurveyStatus.DRAFT:
        raise field_error("status", "a survey cannot go back to draft", "invalid_transition")
    if survey.published_version is None:
        raise field_error(
            "status", "publish the survey first: that makes it active", "invalid_transition"
        )


def publish_survey(*, session: Session, survey_id: str, if_match: str | None, actor: str) -> Survey:
    """Freezes the draft as the next version, which respondents see from now on."""
    survey = get_or_404(session, Survey, survey_id, lock=True)
    ensure_fresh(
        if_match, version=survey.version, updated_by=survey.updated_by, updated_at=survey.updated_at
    )
    if not survey.questions:
        raise Problem(409, "no-questions", "Conflict", "A survey needs a question to be published.")
    if survey.published_version is not None and not survey.has_unpublished_changes:
        raise Problem(
            409,
            "nothing-to-publish",
            "Conflict",
            f"Version {survey.published_version} already has every change.",
        )
    number = (survey.published_version or 0) + 1
    session.add(
        SurveyVersion(
            survey_id=survey.id,
            number=number,
            definition={name: getattr(survey, name) for name in VERSIONED},
            published_by=actor,
        )
    )
    survey.published_version = number
    survey.has_unpublished_changes = False
    if survey.status == SurveyStatus.DRAFT:
        survey.status = SurveyStatus.ACTIVE
    survey.version += 1
    survey.updated_at = utcnow()
    survey.updated_by = actor
    session.add(survey)
    return survey


def copy_survey(*, session: Session, survey_id: str, body: SurveyCopy, actor: str) -> Survey:
    """Copies every setting and question; the copy is a draft at its own slug."""
    origin = get_or_404(session, Survey, survey_id)
    _ensure_free_slug(session, body.slug)
    fields = origin.model_dump(
        exclude={
            "id",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
            "slug",
            "status",
            "published_version",
            "has_unpublished_changes",
        }
    )
    fields["title"] = body.title or f"{origin.title} (copy)"[:200]
    copy = Survey(**fields, slug=body.slug, updated_by=actor)
    session.add(copy)
    return copy


def delete_survey(*, session: Session, survey_id: str, if_match: str | None) -> None:
    survey = get_or_404(session, Survey, survey_id, lock=True)
    ensure_fresh(
        if_match, version=survey.version, updated_by=survey.updated_by, updated_at=survey.updated_at
    )
    answered = session.exec(
        select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
    ).one()
    if answered:
        raise Problem(
            409,
            "has-responses",
            "Conflict",
            f"This survey has {answered} response(s); close it instead of deleting.",
        )
    session.delete(survey)


def versions(*, session: Session, survey_id: str) -> list[SurveyVersion]:
    get_or_404(session, Survey, survey_id)
    return list(
        session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(col(SurveyVersion.number))
        ).all()
    )


def version(*, session: Session, survey_id: str, number: int) -> SurveyVersion:
    found = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey_id, SurveyVersion.number == number
        )
    ).first()
    if found is None:
        raise Problem(404, "not-found", "Not found", f"Survey {survey_id} has no version {number}.")
    return found
