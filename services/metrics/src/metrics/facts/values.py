"""A fact's values, computed from a response's answers, without the ORM's cost per attribute."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cxshared.sentiment import sentiment
from metrics.comments.version import sentiment_version
from metrics.facts.models import ResponseFact

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def rescale(value: float, low: float, high: float) -> float:
    """To the -2 ... +2 scale of designed emotion."""
    return -2 + 4 * (value - low) / (high - low)


@dataclass(slots=True)
class FactValues:
    """A fact's column values, without the ORM's cost per attribute (bulk import builds
    millions)."""

    response_id: str
    survey_id: str
    survey_version: int
    touchpoint_id: str
    respondent_id: str | None
    channel: str
    segment: str
    hidden: dict[str, Any]
    submitted_at: datetime
    day: date
    flagged: bool
    nps: int | None
    csat: int | None
    ces: int | None
    experience: float | None
    comment: str | None
    sentiment: float | None
    sentiment_version: str | None
    answers: list[dict[str, Any]]
    source_at: datetime

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


Fact = ResponseFact | FactValues


def fact_values(
    *,
    response_id: str,
    survey_id: str,
    survey_version: int,
    touchpoint_id: str | None,
    respondent_id: str | None,
    channel: str,
    hidden: dict[str, Any],
    submitted_at: datetime,
    flagged: bool,
    answers: list[dict[str, Any]],
    source_at: datetime,
) -> FactValues:
    """The fact for a response: the first answer of each scored type, every text answer joined
    as its comment, and the mean of all scored answers on the -2 ... +2 scale."""
    first: dict[str, int] = {}
    experience: list[float] = []
    texts: list[str] = []
    for answer in answers:
        kind, value = answer.get("type"), answer.get("value")
        if kind in SCALES and isinstance(value, int) and not isinstance(value, bool):
            first.setdefault(kind, value)
            experience.append(rescale(value, *SCALES[kind]))
        elif kind == "rating" and isinstance(value, int) and not isinstance(value, bool):
            scale = answer.get("scale") or 5
            if scale > 1:
                experience.append(rescale(value, 1, scale))
        elif kind == "text" and isinstance(value, str) and value.strip():
            texts.append(value.strip())
    comment = "\n".join(texts) or None
    return FactValues(
        response_id=response_id,
        survey_id=survey_id,
        survey_version=survey_version,
        touchpoint_id=touchpoint_id or "",
        respondent_id=respondent_id,
        channel=channel,
        segment=str(hidden.get("segment", ""))[:100],
        hidden=hidden,
        submitted_at=submitted_at,
        day=submitted_at.date(),
        flagged=flagged,
        nps=first.get("nps"),
        csat=first.get("csat"),
        ces=first.get("ces"),
        experience=sum(experience) / len(experience) if experience else None,
        comment=comment,
        sentiment=sentiment(comment) if comment else None,
        sentiment_version=sentiment_version() if comment else None,
        answers=answers,
        source_at=source_at,
    )
