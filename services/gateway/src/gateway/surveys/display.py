"""Which question a respondent sees next, from the survey's display logic (`show_if`).

Feedback judges every answer again on its own; this only decides what the page shows. A
question is shown when all its conditions hold on the answers before it.
"""

from typing import Any

from gateway.clients.models import Question


def _holds(condition: dict[str, Any], answers: dict[str, Any]) -> bool:
    op = condition.get("op")
    answer = answers.get(str(condition.get("question")))
    expected = condition.get("value")
    answered = answer not in (None, "", [])
    if op == "answered":
        return answered
    if op == "not_answered":
        return not answered
    if not answered:
        return False
    values = answer if isinstance(answer, list) else [answer]
    if op == "eq":
        return expected in values
    if op == "neq":
        return expected not in values
    if op in ("in", "not_in"):
        options = expected if isinstance(expected, list) else [expected]
        found = any(v in options for v in values)
        return found if op == "in" else not found
    if not isinstance(answer, int) or not isinstance(expected, int):
        return False
    return {
        "lt": answer < expected,
        "lte": answer <= expected,
        "gt": answer > expected,
        "gte": answer >= expected,
    }.get(str(op), False)


def shown(question: Question, answers: dict[str, Any]) -> bool:
    return all(_holds(condition, answers) for condition in question.show_if)


def next_question(
    questions: list[Question], answers: dict[str, Any], *, after: str | None
) -> Question | None:
    """The first question after `after` (None: from the start) shown for these answers."""
    started = after is None
    for question in questions:
        if started and shown(question, answers):
            return question
        if question.key == after:
            started = True
    return None


def previous_question(
    questions: list[Question], answers: dict[str, Any], *, before: str
) -> Question | None:
    """The last question before `before` shown for these answers: where Back goes."""
    found = None
    for question in questions:
        if question.key == before:
            return found
        if shown(question, answers):
            found = question
    return None


def position(questions: list[Question], key: str) -> int:
    return next((i for i, q in enumerate(questions) if q.key == key), 0) + 1
