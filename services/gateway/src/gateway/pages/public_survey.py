"""The survey as customers see it: `/s/{slug}`, one question at a time.

Each step is a plain form posted to the server, so the page works with JavaScript off; with
htmx on, the same forms swap in place. Every step saves progress in feedback (a partial
response), the last one completes it, and only feedback decides that it is complete. The
submission id is made when the page is first rendered and travels with every step, so a
double click, a back-button resubmit or a network retry stores one response.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from cxshared.client import (
    UpstreamConflict,
    UpstreamInvalid,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from cxshared.timeutil import utcnow
from gateway.clients.models import PublicSurvey, Question, Submission
from gateway.pages.common import (
    ORIGIN,
    UNAVAILABLE,
    Feedback,
    FeedbackFor,
    customer_page,
)
from gateway.surveys.display import next_question, position, previous_question, shown
from gateway.web import is_htmx, redirect_for, render

router = APIRouter()

CHANNELS = {"web", "embed", "email", "sms", "in_app", "qr", "other"}
# A hidden field naming the customer also names the respondent, so metrics can tie the answer
# to the customer's churn and revenue.
CUSTOMER_FIELD = "customer_id"
CLOSED = {
    "paused": "This survey is paused for now. Please come back later.",
    "closed": "This survey has closed. Thank you for your interest.",
    "not_open_yet": "This survey is not open yet.",
    "full": "This survey has all the answers it needs. Thank you for your interest.",
}
REQUIRED = "Please answer this question."
NOT_SAVED = "Your answer could not be saved just now. Please send it again."


def _message(
    request: Request, survey: PublicSurvey | None, message: str, *, status_code: int = 200
) -> Response:
    return customer_page(
        request, survey, "public/message.html", {"message": message}, status_code=status_code
    )


async def _survey(request: Request, feedback: Feedback, slug: str) -> PublicSurvey | Response:
    try:
        return await feedback.client.public_survey(slug)
    except UpstreamNotFound:
        return _message(request, None, "There is no survey at this address.", status_code=404)
    except UpstreamUnavailable:
        return _message(request, None, UNAVAILABLE, status_code=503)
    except UpstreamRateLimited:
        return _message(request, None, UNAVAILABLE, status_code=429)


def _step(
    request: Request,
    survey: PublicSurvey,
    question: Question,
    state: dict[str, str],
    *,
    value: Any = None,
    error: str = "",
    status_code: int = 200,
    send_at_once: bool = False,
) -> Response:
    context = {
        "question": question,
        "state": state,
        "value": value,
        "error": error,
        # A score clicked in the mail: the page sends it as soon as it loads (with htmx).
        "send_at_once": send_at_once,
        "number": position(survey.questions, question.key),
        "total": len(survey.questions),
        "conditional": any(q.show_if for q in survey.questions),
        "last": question.key == survey.questions[-1].key,
    }
    if is_htmx(request):
        return render(
            request, "public/_step.html", {"survey": survey, **context}, status_code=status_code
        )
    return customer_page(request, survey, "public/survey.html", context, status_code=status_code)


@router.get("/s/{slug}")
async def survey_page(
    request: Request, feedback: FeedbackFor, slug: str, t: str | None = None
) -> Response:
    survey = await _survey(request, feedback, slug)
    if isinstance(survey, Response):
        return survey
    if not survey.accepting_responses:
        return _message(request, survey, CLOSED.get(survey.closed_reason or "", CLOSED["closed"]))
    params = request.query_params
    state = {
        "submission_id": str(uuid.uuid4()),
        "rendered_at": utcnow().isoformat(),
        "channel": params.get("channel", "email" if t else "web"),
        "invitation": t or "",
        **{f"h_{name}": params[name][:200] for name in survey.hidden_fields if params.get(name)},
    }
    if state["channel"] not in CHANNELS:
        state["channel"] = "web"
    if t:
        try:
            opened = await feedback.client.open_invitation(t, client=feedback.address)
        except UpstreamNotFound:
            return _message(request, survey, "This invitation link is not valid.", status_code=404)
        if opened.get("status") == "completed":
            return _message(request, survey, "You have answered this survey already. Thank you!")
        if opened.get("status") == "expired":
            return _message(request, survey, "This invitation has expired.", status_code=410)
    resume = params.get("resume", "")
    if "." in resume:
        return await _resume(request, feedback, survey, state, *resume.split(".", 1))
    origin = params.get("origin", "")
    if origin in survey.allowed_origins and ORIGIN.match(origin):
        request.state.parent_origin = origin
    first = next_question(survey.questions, {}, after=None)
    if first is None:
        return _message(request, survey, "This survey has no questions.")
    score = _clicked_score(t, params.get("score", ""), first)
    if score is not None:
        state["from_mail"] = "1"
        return _step(request, survey, first, state, value=score, send_at_once=True)
    return _step(request, survey, first, state)


def _clicked_score(invitation: str | None, raw: str, first: Question) -> int | None:
    """The score of a mail's NPS link (`?t=…&score=n`), or None for any other visit. It is not
    recorded here: mail scanners open every link in a message, and a visit must not answer.
    The page sends it as the person's browser loads it, or with the person's click on Next."""
    if not invitation or first.type != "nps" or not raw.isdigit() or int(raw) > 10:
        return None
    return int(raw)


async def _resume(
    request: Request,
    feedback: Feedback,
    survey: PublicSurvey,
    state: dict[str, str],
    response_id: str,
    token: str,
) -> Response:
    """Back to the first unanswered question of a saved response (its link names it)."""
    try:
        saved = await feedback.client.continue_response(
            survey.slug,
            response_id,
            resume_token=token,
            answers={},
            complete=False,
            client=feedback.address,
        )
    except UpstreamNotFound:
        return _message(
            request, survey, "This link to a saved answer is not valid.", status_code=404
        )
    except UpstreamConflict:
        return _message(request, survey, survey.thank_you or "Thank you!")
    state.update(response_id=saved.id, resume_token=saved.resume_token)
    for question in survey.questions:
        if shown(question, saved.answers) and question.key not in saved.answers:
            return _step(request, survey, question, state)
    last = survey.questions[-1]
    return _step(request, survey, last, state, value=saved.answers.get(last.key))


def _answer(question: Question, form: FormData) -> Any:
    """The form's answer to one question, typed as feedback expects; None when empty."""
    name = f"a_{question.key}"
    if question.type == "multi_choice":
        chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
        return chosen or None
    raw = form.get(name)
    if not isinstance(raw, str) or not raw.strip():
        return None
    if question.type in ("nps", "csat", "ces", "rating"):
        return int(raw) if raw.strip().lstrip("-").isdigit() else raw
    return raw if question.type == "text" else raw.strip()


def _state(form: FormData) -> dict[str, str]:
    keep = (
        "submission_id",
        "rendered_at",
        "channel",
        "invitation",
        "response_id",
        "resume_token",
        "from_mail",
    )
    state = {k: str(form.get(k) or "") for k in keep}
    state.update({k: str(v) for k, v in form.items() if k.startswith("h_") and isinstance(v, str)})
    return state


@router.post("/s/{slug}")
async def answer_step(
    request: Request,
    feedback: FeedbackFor,
    slug: str,
    question_key: Annotated[str, Form(alias="question")],
) -> Response:
    survey = await _survey(request, feedback, slug)
    if isinstance(survey, Response):
        return survey
    if not survey.accepting_responses:
        return _message(request, survey, CLOSED.get(survey.closed_reason or "", CLOSED["closed"]))
    form = await request.form()
    state = _state(form)
    question = next((q for q in survey.questions if q.key == question_key), None)
    if question is None or not state["submission_id"]:
        return redirect_for(request, f"/s/{slug}")
    value = _answer(question, form)
    if form.get("back") and state["response_id"]:
        return await _back(request, feedback, survey, state, question, value)
    if value is None and question.required:
        return _step(request, survey, question, state, error=REQUIRED, status_code=422)
    try:
        saved = await _save(feedback, survey, state, question, value, form)
    except UpstreamInvalid as exc:
        return _refused(request, survey, state, question, value, exc)
    except UpstreamConflict:
        return redirect_for(request, f"/s/{slug}/thanks")  # completed already (a resubmit)
    except UpstreamNotFound:
        return _message(request, survey, "This answer can no longer be continued.", status_code=404)
    except UpstreamUnavailable:
        return _step(
            request, survey, question, state, value=value, error=NOT_SAVED, status_code=503
        )
    except UpstreamRateLimited as exc:
        return _message(
            request,
            survey,
            "Too many answers from your network just now. "
            f"Please try again in {exc.retry_after} seconds.",
            status_code=429,
        )
    if saved.status == "complete":
        return redirect_for(request, f"/s/{slug}/thanks")
    state.update(response_id=saved.id, resume_token=saved.resume_token)
    following = next_question(survey.questions, saved.answers, after=question.key)
    if following is None:  # feedback kept it partial, e.g. an answer was dropped: ask again
        following = question
    return _step(request, survey, following, state, value=saved.answers.get(following.key))


async def _continue(
    feedback: Feedback,
    survey: PublicSurvey,
    state: dict[str, str],
    answers: dict[str, Any],
    *,
    complete: bool,
) -> Submission:
    """Add `answers` to the response this page is filling in (and complete it if asked)."""
    return await feedback.client.continue_response(
        survey.slug,
        state["response_id"],
        resume_token=state["resume_token"],
        answers=answers,
        complete=complete,
        client=feedback.address,
    )


async def _back(
    request: Request,
    feedback: Feedback,
    survey: PublicSurvey,
    state: dict[str, str],
    question: Question,
    value: Any,
) -> Response:
    """Back: keep what was given on this step if feedback takes it (unanswered or refused, it
    is simply not kept), and show the question before it, as answered."""
    try:
        try:
            answers = {} if value is None else {question.key: value}
            saved = await _continue(feedback, survey, state, answers, complete=False)
        except UpstreamInvalid:
            saved = await _continue(feedback, survey, state, {}, complete=False)
    except UpstreamConflict:
        return redirect_for(request, f"/s/{survey.slug}/thanks")
    except UpstreamNotFound:
        return _message(request, survey, "This answer can no longer be continued.", status_code=404)
    except UpstreamUnavailable:
        return _step(
            request, survey, question, state, value=value, error=NOT_SAVED, status_code=503
        )
    before = previous_question(survey.questions, saved.answers, before=question.key)
    shown_now = before or question
    return _step(request, survey, shown_now, state, value=saved.answers.get(shown_now.key))


async def _save(
    feedback: Feedback,
    survey: PublicSurvey,
    state: dict[str, str],
    question: Question,
    value: Any,
    form: FormData,
) -> Submission:
    answers = {} if value is None else {question.key: value}
    if (
        state["from_mail"]
        and state["invitation"]
        and not state["response_id"]
        and question.key == survey.questions[0].key
        and isinstance(value, int)
    ):
        # The mail's score: recorded once per invitation, whichever link, tab or click came
        # first; a later one goes on with that response as it is.
        saved = await feedback.client.first_answer(
            state["invitation"], value, client=feedback.address
        )
        if saved.status == "complete":
            return saved
        state.update(response_id=saved.id, resume_token=saved.resume_token)
        if next_question(survey.questions, saved.answers, after=question.key) is not None:
            return saved
        return await _continue(feedback, survey, state, {}, complete=True)
    if state["response_id"]:
        # What was answered before is in feedback; the next question depends on all of it,
        # so ask with this answer merged in (a save that completes only if nothing follows).
        saved = await _continue(feedback, survey, state, answers, complete=False)
        if next_question(survey.questions, saved.answers, after=question.key) is not None:
            return saved
        return await _continue(feedback, survey, state, {}, complete=True)
    complete = next_question(survey.questions, answers, after=question.key) is None
    hidden = {k[2:]: v for k, v in state.items() if k.startswith("h_") and v}
    body: dict[str, Any] = {
        "submission_id": state["submission_id"],
        "answers": answers,
        "complete": complete,
        "channel": state["channel"] or "web",
        "hidden": hidden,
        "honeypot": str(form.get("website") or ""),
    }
    if state["rendered_at"]:
        body["rendered_at"] = state["rendered_at"]
    if state["invitation"]:
        body["invitation"] = state["invitation"]
    if hidden.get(CUSTOMER_FIELD):
        body["respondent"] = {"external_id": hidden[CUSTOMER_FIELD]}
    return await feedback.client.start_response(survey.slug, body, client=feedback.address)


def _refused(
    request: Request,
    survey: PublicSurvey,
    state: dict[str, str],
    question: Question,
    value: Any,
    exc: UpstreamInvalid,
) -> Response:
    """Feedback refused an answer: ask the question it names again, with its reason."""
    for field, message in exc.field_errors.items():
        key = field.removeprefix("answers.")
        refused = next((q for q in survey.questions if q.key == key), None)
        if refused is not None:
            shown_value = value if refused.key == question.key else None
            return _step(
                request,
                survey,
                refused,
                state,
                value=shown_value,
                error=_plain(message),
                status_code=422,
            )
    return _step(request, survey, question, state, value=value, error=exc.detail, status_code=422)


def _plain(message: str) -> str:
    """Feedback's message for a person: 'an answer is required: …' reads as a request."""
    if message.startswith("an answer is required"):
        return REQUIRED
    return message[:1].upper() + message[1:]


@router.get("/s/{slug}/thanks")
async def thanks(request: Request, feedback: FeedbackFor, slug: str) -> Response:
    survey = await _survey(request, feedback, slug)
    if isinstance(survey, Response):
        return survey
    return _message(request, survey, survey.thank_you or "Thank you for your answers!")
