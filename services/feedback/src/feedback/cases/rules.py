"""Whether a completed response meets a case rule, and why (pure: no I/O)."""

from collections.abc import Iterator
from typing import Any

from feedback.cases.models import CaseRule, RuleKind

_SCORE_LABELS = {
    RuleKind.NPS: "NPS",
    RuleKind.CSAT: "CSAT",
    RuleKind.CES: "CES",
    RuleKind.RATING: "Rating",
}
_CHOICE_TYPES = ("single_choice", "multi_choice")


def _questions(
    rule: CaseRule, questions: list[dict[str, Any]], types: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    for question in questions:
        if rule.question is not None and question["key"] != rule.question:
            continue
        if question["type"] in types:
            yield question


def _bounds(rule: CaseRule) -> str:
    if rule.min_value is not None and rule.max_value is not None:
        return f"{rule.min_value}-{rule.max_value}"
    if rule.max_value is not None:
        return f"≤ {rule.max_value}"
    return f"≥ {rule.min_value}"


def _score(rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]) -> str | None:
    for question in _questions(rule, questions, (rule.kind,)):
        value = answers.get(question["key"])
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if rule.min_value is not None and value < rule.min_value:
            continue
        if rule.max_value is not None and value > rule.max_value:
            continue
        return f"{_SCORE_LABELS[RuleKind(rule.kind)]} {value} ({_bounds(rule)})"
    return None


def _option(rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]) -> str | None:
    for question in _questions(rule, questions, _CHOICE_TYPES):
        value = answers.get(question["key"])
        chosen = value if isinstance(value, list) else [value]
        if rule.option in chosen:
            return f"chose “{rule.option}” in {question['key']}"
    return None


def _comment(rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]) -> str:
    """The text answers the rule looks at, joined as the response's comment is (and as metrics
    scores it)."""
    return "\n".join(
        str(answers[q["key"]])
        for q in _questions(rule, questions, ("text",))
        if q["key"] in answers
    )


def _keyword(
    rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]
) -> str | None:
    text = _comment(rule, questions, answers).casefold()
    for keyword in rule.keywords:
        if keyword.casefold() in text:
            return f"mentions “{keyword}”"
    return None


def _sentiment(
    rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]
) -> str | None:
    # Imported on the first sentiment rule, not at start-up: VADER's module and lexicon take
    # tens of milliseconds to load, once per process.
    from cxshared.sentiment import NEGATIVE_BELOW, sentiment

    comment = _comment(rule, questions, answers)
    if not comment.strip():
        return None
    score = sentiment(comment)
    threshold = NEGATIVE_BELOW if rule.threshold is None else rule.threshold
    if score >= threshold:
        return None
    return f"comment reads negative ({score:.2f})"


def reason(rule: CaseRule, questions: list[dict[str, Any]], answers: dict[str, Any]) -> str | None:
    """Why the answers meet `rule` ("NPS 2 (≤ 3)"), or None when they do not."""
    if rule.kind == RuleKind.OPTION:
        return _option(rule, questions, answers)
    if rule.kind == RuleKind.KEYWORD:
        return _keyword(rule, questions, answers)
    if rule.kind == RuleKind.SENTIMENT:
        return _sentiment(rule, questions, answers)
    return _score(rule, questions, answers)
