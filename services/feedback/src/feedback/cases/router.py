from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import StringConstraints
from sqlmodel import Session, col, or_, select

from cxshared.auth import Reader, Writer
from cxshared.concurrency import IfMatch, ensure_fresh, set_etag
from cxshared.crud import get_or_404
from cxshared.deps import OutboxDep, SessionDep
from cxshared.pagination import paginate
from cxshared.problems import field_error
from cxshared.timeutil import utcnow
from cxshared.types import Email, Identifier, IsoDateTime
from feedback.cases import followup, service
from feedback.cases.models import (
    Case,
    CaseContact,
    CaseHistory,
    CaseNote,
    CaseRule,
    CaseSource,
    CaseState,
    Priority,
    RootCause,
)
from feedback.cases.routing import Assignment
from feedback.cases.schemas import (
    CaseCounts,
    CaseCreate,
    CasePage,
    CaseRead,
    CaseUpdate,
    ContactCreate,
    ContactRead,
    FollowUpAnswer,
    FollowUpAnswered,
    FollowUpCreated,
    FollowUpMetric,
    HistoryRead,
    NoteCreate,
    NoteRead,
    PublicFollowUp,
    RootCauseCreate,
    RootCauseRead,
    RuleCreate,
    RulePage,
    RuleRead,
    RuleUpdate,
    check_condition,
)
from feedback.cases.sla import CasePolicy
from feedback.dependencies import PageDep, PolicyDep
from feedback.ratelimits import public_rate_limit
from feedback.responses.models import Response as SurveyResponse
from feedback.surveys.models import Survey

# A respondent's external id, as long as a case's (the at-risk list asks for a page of them).
Customer = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]

router = APIRouter(prefix="/cases", tags=["cases"])
rules_router = APIRouter(prefix="/case-rules", tags=["case rules"])
causes_router = APIRouter(prefix="/root-causes", tags=["cases"])


async def case_filters(
    journey_id: Annotated[Identifier | None, Query()] = None,
    touchpoint_id: Annotated[Identifier | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
    state: Annotated[CaseState | None, Query()] = None,
    active: Annotated[
        bool | None,
        Query(description="Only cases still being worked (open, in progress, waiting)."),
    ] = None,
    assignee: Annotated[Email | None, Query(description="The assignee's e-mail.")] = None,
    unassigned: Annotated[
        bool | None, Query(description="Only cases with nobody assigned.")
    ] = None,
    breached: Annotated[bool | None, Query(description="Past an SLA (either clock).")] = None,
    at_risk: Annotated[bool | None, Query(description="80 % of an SLA used, not breached.")] = None,
    respondent: Annotated[
        list[Customer] | None,
        Query(max_length=100, description="Respondent external ids (any of them)."),
    ] = None,
    source: Annotated[CaseSource | None, Query(description="How the cases opened.")] = None,
    team_of: Annotated[
        Email | None,
        Query(description="Cases of the teams this person leads or owns touchpoints for."),
    ] = None,
    opened_before: Annotated[IsoDateTime | None, Query(description="Age: opened before.")] = None,
    opened_after: Annotated[
        IsoDateTime | None, Query(description="Age: opened at or after.")
    ] = None,
) -> dict[str, Any]:
    return {
        "journey_id": journey_id,
        "touchpoint_id": touchpoint_id,
        "priority": priority,
        "state": state,
        "active": active,
        "assignee": assignee,
        "unassigned": unassigned,
        "breached": breached,
        "at_risk": at_risk,
        "respondent_external_id": respondent,
        "source": source,
        "team_of": team_of,
        "opened_before": opened_before,
        "opened_after": opened_after,
    }


Filters = Annotated[dict[str, Any], Depends(case_filters)]


@router.get("", response_model=CasePage, summary="Cases, newest first, with filters")
def list_cases(
    session: SessionDep, _: Reader, params: PageDep, filters: Filters, policy: PolicyDep
) -> Any:
    now = policy.now()
    rows, cursor = paginate(
        session,
        service.filtered(filters, now, session=session),
        order_by=[col(Case.id)],  # ids are time-ordered: newest first
        params=params,
        descending=True,
    )
    return {"items": [service.read(session, c, now) for c in rows], "next_cursor": cursor}


@router.get("/counts", response_model=CaseCounts, summary="Inbox counts for one person")
def count_cases(
    session: SessionDep,
    _: Reader,
    policy: PolicyDep,
    assignee: Annotated[Email, Query(description="Their e-mail.")],
) -> Any:
    return service.counts(session, email=assignee, now=policy.now())


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    summary="Open a case by hand, from a response or for a customer (a support ticket)",
    responses={
        200: {
            "model": CaseRead,
            "description": "Outreach: the customer's outreach case that is active already.",
        }
    },
)
def create_case(
    body: CaseCreate,
    session: SessionDep,
    who: Writer,
    outbox: OutboxDep,
    policy: PolicyDep,
    response: Response,
) -> Any:
    now = policy.now()
    respondent, touchpoint, survey = body.respondent_external_id, body.touchpoint_id, None
    if body.response_id is not None:
        answered = session.get(SurveyResponse, body.response_id)
        if answered is None:
            raise field_error("response_id", f"no response {body.response_id}", "unknown_reference")
        respondent = respondent or answered.respondent_external_id
        touchpoint = touchpoint or answered.touchpoint_id
        survey = answered.survey_id
    if body.source == CaseSource.OUTREACH and respondent is None:
        raise field_error(
            "respondent_external_id", "an outreach case needs the customer", "required"
        )
    assignment = (
        Assignment(body.assignee_email, body.assignee_name) if body.assignee_email else None
    )
    case = service.new_case(
        session,
        outbox,
        policy,
        actor=who.actor,
        now=now,
        assignment=assignment,
        source=body.source,
        response_id=body.response_id,
        survey_id=survey,
        touchpoint_id=touchpoint,
        respondent_external_id=respondent,
        title=body.title,
        description=body.description,
        reason="opened by hand",
        priority=body.priority,
        opened_at=min(body.opened_at or now, now),
    )
    if case is None:  # no rule: only an active outreach case of the customer collides
        assert respondent is not None
        case = service.active_outreach(session, respondent)
        assert case is not None
        response.status_code = status.HTTP_200_OK
    session.commit()
    set_etag(response, case.version)
    return service.read(session, service.get_case(session, case.id), now)


@router.get("/{case_id}", response_model=CaseRead)
def get_case(
    case_id: str, session: SessionDep, _: Reader, policy: PolicyDep, response: Response
) -> Any:
    case = service.get_case(session, case_id)
    set_etag(response, case.version)
    return service.read(session, case, policy.now())


@router.patch(
    "/{case_id}",
    response_model=CaseRead,
    summary="Work a case: state, priority, assignee, root cause, resolution (If-Match)",
    description="States: open → in_progress → waiting_on_customer → resolved → closed; a "
    "resolved or closed case reopens to open. Another move is 409; resolving needs a "
    "resolution (422). Setting an assignee by hand takes the case out of routing.",
)
def update_case(
    case_id: str,
    body: CaseUpdate,
    session: SessionDep,
    who: Writer,
    outbox: OutboxDep,
    policy: PolicyDep,
    if_match: IfMatch,
    response: Response,
) -> Any:
    case = service.update_case(
        session,
        outbox,
        policy,
        case_id=case_id,
        patch=body.model_dump(exclude_unset=True),
        if_match=if_match,
        actor=who.actor,
    )
    session.commit()
    set_etag(response, case.version)
    return service.read(session, case, policy.now())


@router.get("/{case_id}/notes", response_model=list[NoteRead])
def list_notes(case_id: str, session: SessionDep, _: Reader) -> Any:
    service.get_case(session, case_id)
    return session.exec(
        select(CaseNote).where(CaseNote.case_id == case_id).order_by(col(CaseNote.created_at))
    ).all()


@router.post(
    "/{case_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteRead,
    summary="Add an internal note",
)
def create_note(
    case_id: str,
    body: NoteCreate,
    session: SessionDep,
    who: Writer,
    outbox: OutboxDep,
    policy: PolicyDep,
) -> Any:
    note = service.add_note(
        session, outbox, policy, case_id=case_id, body=body.body, actor=who.actor
    )
    session.commit()
    return note


@router.get("/{case_id}/contacts", response_model=list[ContactRead])
def list_contacts(case_id: str, session: SessionDep, _: Reader) -> Any:
    service.get_case(session, case_id)
    return session.exec(
        select(CaseContact)
        .where(CaseContact.case_id == case_id)
        .order_by(col(CaseContact.contacted_at))
    ).all()


@router.post(
    "/{case_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactRead,
    summary="Log an attempt to reach the customer (the first stops the first-contact clock)",
)
def create_contact(
    case_id: str,
    body: ContactCreate,
    session: SessionDep,
    who: Writer,
    outbox: OutboxDep,
    policy: PolicyDep,
) -> Any:
    values = body.model_dump()
    values["contacted_at"] = values["contacted_at"] or policy.now()
    contact = service.add_contact(
        session, outbox, policy, case_id=case_id, values=values, actor=who.actor
    )
    session.commit()
    return contact


@router.get(
    "/{case_id}/history", response_model=list[HistoryRead], summary="Every change: who, when, what"
)
def list_history(case_id: str, session: SessionDep, _: Reader) -> Any:
    service.get_case(session, case_id)
    return session.exec(
        select(CaseHistory)
        .where(CaseHistory.case_id == case_id)
        .order_by(col(CaseHistory.at), col(CaseHistory.id))
    ).all()


@rules_router.get("", response_model=RulePage, summary="Case rules, global and per survey")
def list_rules(
    session: SessionDep,
    _: Reader,
    params: PageDep,
    survey_id: Annotated[Identifier | None, Query()] = None,
) -> Any:
    query = select(CaseRule)
    if survey_id is not None:
        query = query.where(CaseRule.survey_id == survey_id)
    rows, cursor = paginate(session, query, order_by=[col(CaseRule.id)], params=params)
    return {"items": rows, "next_cursor": cursor}


@rules_router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=RuleRead, summary="Add a case rule"
)
def create_rule(body: RuleCreate, session: SessionDep, who: Writer, response: Response) -> Any:
    if body.survey_id is not None and session.get(Survey, body.survey_id) is None:
        raise field_error("survey_id", f"no survey {body.survey_id}", "unknown_reference")
    check_condition(
        body.kind, body.min_value, body.max_value, body.option, body.keywords, body.threshold
    )
    rule = CaseRule(**body.model_dump(mode="json"), updated_by=who.actor)
    session.add(rule)
    session.commit()
    set_etag(response, rule.version)
    return rule


@rules_router.get("/{rule_id}", response_model=RuleRead)
def get_rule(rule_id: str, session: SessionDep, _: Reader, response: Response) -> Any:
    rule = get_or_404(session, CaseRule, rule_id)
    set_etag(response, rule.version)
    return rule


@rules_router.patch("/{rule_id}", response_model=RuleRead, summary="Change a case rule (If-Match)")
def update_rule(
    rule_id: str,
    body: RuleUpdate,
    session: SessionDep,
    who: Writer,
    if_match: IfMatch,
    response: Response,
) -> Any:
    rule = get_or_404(session, CaseRule, rule_id, lock=True)
    ensure_fresh(
        if_match, version=rule.version, updated_by=rule.updated_by, updated_at=rule.updated_at
    )
    patch = body.model_dump(exclude_unset=True, mode="json")
    merged = {**rule.model_dump(), **patch}
    try:
        check_condition(
            merged["kind"],
            merged["min_value"],
            merged["max_value"],
            merged["option"],
            merged["keywords"],
            merged["threshold"],
        )
    except ValueError as exc:
        raise field_error("kind", str(exc), "invalid_condition") from None
    for name, value in patch.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_by = who.actor
    rule.updated_at = utcnow()
    session.add(rule)
    session.commit()
    set_etag(response, rule.version)
    return rule


@rules_router.delete(
    "/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a case rule (If-Match)"
)
def delete_rule(rule_id: str, session: SessionDep, _: Writer, if_match: IfMatch) -> None:
    rule = get_or_404(session, CaseRule, rule_id, lock=True)
    ensure_fresh(
        if_match, version=rule.version, updated_by=rule.updated_by, updated_at=rule.updated_at
    )
    session.delete(rule)
    session.commit()


@causes_router.get("", response_model=list[RootCauseRead], summary="The root causes to pick from")
def list_root_causes(
    session: SessionDep, _: Reader, journey_id: Annotated[Identifier | None, Query()] = None
) -> Any:
    query = select(RootCause).where(RootCause.active == True)  # noqa: E712
    if journey_id is not None:
        query = query.where(
            or_(col(RootCause.journey_id) == journey_id, col(RootCause.journey_id).is_(None))
        )
    return session.exec(query.order_by(col(RootCause.name))).all()


@causes_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RootCauseRead,
    summary="Add a root cause",
)
def create_root_cause(body: RootCauseCreate, session: SessionDep, who: Writer) -> Any:
    exists = session.exec(
        select(RootCause).where(
            RootCause.name == body.name, RootCause.journey_id == body.journey_id
        )
    ).first()
    if exists is not None:
        raise field_error("name", "this journey has that root cause already", "duplicate")
    cause = RootCause(name=body.name, journey_id=body.journey_id, updated_by=who.actor)
    session.add(cause)
    session.commit()
    return cause


@causes_router.delete(
    "/{cause_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Retire a root cause"
)
def retire_root_cause(cause_id: str, session: SessionDep, who: Writer) -> None:
    cause = get_or_404(session, RootCause, cause_id, lock=True)
    cause.active = False
    cause.version += 1
    cause.updated_by = who.actor
    session.add(cause)
    session.commit()


def _metric(asked: followup.Metric | None) -> FollowUpMetric | None:
    if asked is None:
        return None
    return FollowUpMetric(
        key=asked.key, type=asked.type, prompt=asked.prompt, min=asked.low, max=asked.high
    )


@router.post(
    "/{case_id}/follow-up",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpCreated,
    summary="Make the recovery follow-up link for a resolved case (staff send it)",
    description="One question for the customer, “Did we put this right?”, and the metric that "
    "opened the case asked again. The link is tied to the case and answered once; making a "
    "new one retires the earlier link. 409 `case-not-resolved` before the case is resolved, "
    "409 `follow-up-answered` once the customer has answered.",
)
def create_follow_up(
    case_id: str,
    session: SessionDep,
    who: Writer,
    outbox: OutboxDep,
    policy: PolicyDep,
    response: Response,
) -> Any:
    case = followup.create(
        session,
        outbox,
        policy,
        case=service.get_case(session, case_id, lock=True),
        actor=who.actor,
    )
    session.commit()
    set_etag(response, case.version)
    assert case.followup_token is not None
    expires = followup.expires_at(case, policy)
    assert expires is not None
    return FollowUpCreated(
        case_id=case.id,
        token=case.followup_token,
        link=followup.link(case.followup_token),
        expires_at=expires,
        question=followup.PUT_RIGHT,
        metric=_metric(followup.metric(session, case)),
    )


public_router = APIRouter(
    prefix="/public/case-follow-ups",
    tags=["public"],
    dependencies=[Depends(public_rate_limit)],
)


def _public(session: Session, case: Case, policy: CasePolicy) -> PublicFollowUp:
    survey = session.get(Survey, case.survey_id) if case.survey_id else None
    state = followup.status(case, policy)
    answered = followup.first_answer(session, case) if state == "answered" else None
    return PublicFollowUp(
        status=state,
        title=survey.title if survey else "Your feedback",
        question=followup.PUT_RIGHT,
        metric=_metric(followup.metric(session, case)),
        expires_at=followup.expires_at(case, policy),
        answer=FollowUpAnswered(**answered) if answered else None,
    )


@public_router.get(
    "/{token}", response_model=PublicFollowUp, summary="A recovery follow-up, for the customer"
)
def get_follow_up(token: str, session: SessionDep, policy: PolicyDep) -> Any:
    return _public(session, followup.by_token(session, token), policy)


@public_router.post(
    "/{token}",
    response_model=PublicFollowUp,
    summary="Answer a recovery follow-up (once: a retry returns the first answer)",
    description="Records whether it was put right and the metric again, and from them whether "
    "the customer was recovered (docs/cases.md); publishes `case.updated` with `recovered`. "
    "The first answer stands: a retry, or a different answer later, returns it unchanged. "
    "410 `follow-up-expired` after the link's time; 404 for a link that is not (or no "
    "longer) valid.",
)
def answer_follow_up(
    token: str,
    body: FollowUpAnswer,
    session: SessionDep,
    outbox: OutboxDep,
    policy: PolicyDep,
) -> Any:
    case, _ = followup.answer(
        session, outbox, policy, token=token, put_right=body.put_right, score=body.score
    )
    session.commit()
    return _public(session, case, policy)
