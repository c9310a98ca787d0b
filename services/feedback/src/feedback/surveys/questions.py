"""Question definitions, and the server's judgement of answers against them.

Display logic (`show_if`) refers only to earlier questions; all of a question's conditions must
hold for it to be shown. An answer to a question that is not shown is refused, a required
question that is shown must be answered before a response can be complete, and every answer is
checked for its type, range, choices and length.
"""

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cxshared.types import NOT_BOOLEAN, LongText, Name, WholeNumber

Key = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="A stable name for the question: lower case, digits and _.",
        examples=["nps", "what_went_wrong"],
    ),
]
ChoiceValue = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", examples=["late"])]
Scalar = WholeNumber | str


class QuestionType(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    RATING = "rating"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    TEXT = "text"


SCALES = {QuestionType.NPS: (0, 10), QuestionType.CSAT: (1, 5), QuestionType.CES: (1, 7)}


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"


class Condition(BaseModel):
    """Show the question only when an earlier answer meets this, e.g. nps lte 6."""

    model_config = ConfigDict(extra="forbid")

    question: Key
    op: Operator
    value: Scalar | list[Scalar] | None = None


class _Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    prompt: Name = Field(examples=["How likely are you to recommend us to a friend?"])
    help: LongText = ""
    required: bool = False
    show_if: Annotated[list[Condition], Field(max_length=5)] = Field(default_factory=list)


class NpsQuestion(_Question):
    """0-10. Only questions of this type count towards NPS."""

    type: Literal[QuestionType.NPS]


class CsatQuestion(_Question):
    """1 (very dissatisfied) to 5 (very satisfied)."""

    type: Literal[QuestionType.CSAT]


class CesQuestion(_Question):
    """1 (strongly disagree) to 7 (strongly agree) that it was easy."""

    type: Literal[QuestionType.CES]


class RatingQuestion(_Question):
    type: Literal[QuestionType.RATING]
    scale: WholeNumber = Field(5, ge=2, le=10, description="Answers run from 1 to this.")


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: ChoiceValue
    label: Name


Choices = Annotated[list[Choice], Field(min_length=1, max_length=50)]


def _unique_choices(choices: list[Choice]) -> None:
    if len({c.value for c in choices}) != len(choices):
        raise PydanticCustomError("duplicate", "choice values must be unique")


class SingleChoiceQuestion(_Question):
    type: Literal[QuestionType.SINGLE_CHOICE]
    choices: Choices

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _unique_choices(self.choices)
        return self


class MultiChoiceQuestion(_Question):
    type: Literal[QuestionType.MULTI_CHOICE]
    choices: Choices
    max_selected: Annotated[int, Field(ge=1, le=50), NOT_BOOLEAN] | None = None

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _unique_choices(self.choices)
        return self


class TextQuestion(_Question):
    type: Literal[QuestionType.TEXT]
    max_length: WholeNumber = Field(1000, ge=1, le=10_000)


Question = Annotated[
    NpsQuestion
    | CsatQuestion
    | CesQuestion
    | RatingQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | TextQuestion,
    Field(discriminator="type"),
]
Questions = Annotated[list[Question], Field(max_length=50)]


def check_question_list(questions: list[Any]) -> None:
    """Keys are unique and display logic refers to earlier questions only."""
    seen: set[str] = set()
    for question in questions:
        if question.key in seen:
            raise PydanticCustomError(
                "duplicate", "question keys must be unique ({key})", {"key": question.key}
            )
        for condition in question.show_if:
            if condition.question not in seen:
                raise PydanticCustomError(
                    "unknown_reference",
                    "{key}: show_if may only refer to an earlier question, not {ref}",
                    {"key": question.key, "ref": condition.question},
                )
        seen.add(question.key)


# Judging answers. Definitions here are plain dicts: a frozen version as stored.


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _holds(condition: dict[str, Any], answers: dict[str, Any]) -> bool:
    op = condition["op"]
    given = condition.get("value")
    answered = condition["question"] in answers
    if op == Operator.ANSWERED:
        return answered
    if op == Operator.NOT_ANSWERED:
        return not answered
    if not answered:
        return False
    actual = answers[condition["question"]]
    values = actual if isinstance(actual, list) else [actual]
    if op == Operator.EQ:
        return given in values
    if op == Operator.NEQ:
        return given not in values
    if op in (Operator.IN, Operator.NOT_IN):
        options = given if isinstance(given, list) else [given]
        inside = any(v in options for v in values)
        return inside if op == Operator.IN else not inside
    if not isinstance(actual, int) or not isinstance(given, int):
        return False
    return {
        Operator.LT: actual < given,
        Operator.LTE: actual <= given,
        Operator.GT: actual > given,
        Operator.GTE: actual >= given,
    }[Operator(op)]


def shown(question: dict[str, Any], answers: dict[str, Any]) -> bool:
    return all(_holds(c, answers) for c in question.get("show_if", []))


def _check_value(question: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The clean value, or an error message."""
    kind = question["type"]
    if kind in SCALES or kind == QuestionType.RATING:
        low, high = SCALES.get(kind, (1, question.get("scale", 5)))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return None, f"must be a whole number from {low} to {high}"
        return value, None
    allowed = {c["value"] for c in question.get("choices", [])}
    if kind == QuestionType.SINGLE_CHOICE:
        if not isinstance(value, str) or value not in allowed:
            return None, f"must be one of {sorted(allowed)}"
        return value, None
    if kind == QuestionType.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of choices"
        if not set(value) <= allowed or len(set(value)) != len(value):
            return None, f"must be distinct choices among {sorted(allowed)}"
        limit = question.get("max_selected")
        if limit is not None and len(value) > limit:
            return None, f"choose at most {limit}"
        return value, None
    if not isinstance(value, str):
        return None, "must be text"
    if len(value) > question.get("max_length", 1000):
        return None, f"must be at most {question.get('max_length', 1000)} characters"
    if "\x00" in value:
        return None, "must not contain NUL characters"
    return value, None


def judge(
    questions: list[dict[str, Any]], answers: dict[str, Any], *, complete: bool
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The answers kept, and an error per failing question (field `answers.<key>`)."""
    errors: list[dict[str, str]] = []
    kept: dict[str, Any] = {}

    def fail(key: str, message: str, code: str) -> None:
        errors.append(
            {"field": f"answers.{key}", "location": "body", "message": message, "code": code}
        )

    known = {q["key"] for q in questions}
    for key in sorted(set(answers) - known):
        fail(key, "no such question in this survey version", "unknown_question")
    for question in questions:
        key = question["key"]
        value = answers.get(key)
        if not shown(question, kept):
            if not _empty(value):
                fail(key, "this question is not shown for the earlier answers", "not_shown")
            continue
        if _empty(value):
            if complete and question.get("required"):
                fail(key, f"an answer is required: {question['prompt']}", "required")
            continue
        clean, problem = _check_value(question, value)
        if problem:
            fail(key, problem, "invalid_answer")
        else:
            kept[key] = clean
    return kept, errors
