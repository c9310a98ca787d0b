"""What customers said behind an incident (docs/metrics.md, "Incidents and detection"): the
comments of its window at its touchpoint that show a problem, counted by the journey's themes,
with a few short quotes, each wording once. A comment that reads positive is never evidence of
a problem: a detractor who wrote "My complaint was taken seriously!" says what went right."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlmodel import Session, col

from cxshared.sentiment import NEGATIVE_BELOW, label
from metrics.alerts.models import Incident
from metrics.alerts.schemas import EvidenceOther, EvidenceQuote, EvidenceTheme, IncidentEvidence
from metrics.facts.models import ResponseFact
from metrics.themes.models import CommentTheme, Theme

F = ResponseFact
C = CommentTheme

# The answers each metric calls bad (docs/metrics.md, "The answers behind a score").
BAD: dict[str, Any] = {
    "nps": col(F.nps) <= 6,
    "csat": col(F.csat) <= 3,
    "ces": col(F.ces) <= 4,
}
# Whatever its score, an answer whose comment reads positive is no evidence of a problem.
NOT_POSITIVE = or_(col(F.sentiment).is_(None), col(F.sentiment) <= 0)

EXAMPLES = 2
QUOTE_CHARS = 160
# Quotes are picked among the window's newest evidence comments, this many at most; the counts
# are summed in SQL over every one.
QUOTES_READ = 200
# Two comments are near-identical when they share this much of their words (Jaccard).
NEAR = 0.75


def bad_answers(metrics: Iterable[str]) -> Any:
    """Answers that one of `metrics` calls bad (a standard's signal has no answers)."""
    return or_(false(), *(getattr(F, m).is_not(None) & BAD[m] for m in metrics if m in BAD))


def shown_signals(incident: Incident) -> list[dict[str, Any]]:
    """The signals that hold, or, once none does, every one it had."""
    return [s for s in incident.signals if s.get("active")] or incident.signals


def window(signals: Sequence[dict[str, Any]]) -> tuple[date, date] | None:
    """From the first day of the signals' windows to the last."""
    spans = [s.get("evidence", {}).get("window") or {} for s in signals]
    spans = [w for w in spans if w.get("from") and w.get("to")]
    if not spans:
        return None
    return (
        min(date.fromisoformat(w["from"]) for w in spans),
        max(date.fromisoformat(w["to"]) for w in spans),
    )


def submitted_within(first: date, last: date | None = None) -> Any:
    """Facts of the days `first` to `last` (open-ended without it). A fact's day is the UTC
    date it was submitted: by time, the (touchpoint_id, submitted_at) index finds the days
    instead of reading the touchpoint's every answer."""
    since = col(F.submitted_at) >= datetime.combine(first, time(), UTC)
    if last is None:
        return since
    return and_(
        since, col(F.submitted_at) < datetime.combine(last + timedelta(days=1), time(), UTC)
    )


def comments_behind(incident: Incident) -> tuple[Any, date, date] | None:
    """The condition on facts of the incident's evidence comments, and its window."""
    signals = shown_signals(incident)
    span = window(signals)
    if span is None:
        return None
    condition = and_(
        col(F.touchpoint_id) == incident.touchpoint_id,
        submitted_within(*span),
        col(F.flagged).is_(False),
        col(F.comment).is_not(None),
        NOT_POSITIVE,
        or_(col(F.sentiment) < NEGATIVE_BELOW, bad_answers({s["metric"] for s in signals})),
    )
    return condition, *span


@dataclass(frozen=True)
class Said:
    response_id: str
    text: str
    sentiment: float | None
    words: tuple[str, ...]


def of(session: Session, incident: Incident) -> IncidentEvidence | None:
    """The incident's evidence comments by theme: how many mention each of the journey's
    themes, how many none, and up to two quotes for each."""
    behind = comments_behind(incident)
    if behind is None:
        return None
    said, start, end = behind
    names: dict[str, str] = dict(
        session.execute(
            select(col(Theme.id), col(Theme.name)).where(
                col(Theme.journey_id) == incident.journey_id
            )
        ).all()
    )
    of_journey = col(C.theme_id).in_(list(names))
    mentions = (
        select(col(C.response_id))
        .where(col(C.response_id) == col(F.response_id), of_journey)
        .exists()
    )
    total, other = session.execute(
        select(func.count(), func.sum(case((mentions, 0), else_=1))).where(said)
    ).one()
    total, other = int(total or 0), int(other or 0)
    # From the window's facts to their themes, never from each theme to all its comments.
    counts = session.execute(
        select(col(C.theme_id), func.count())
        .select_from(F)
        .join(C, col(C.response_id) == col(F.response_id))
        .where(said, of_journey)
        .group_by(col(C.theme_id))
    ).all()
    by_theme, unthemed = _newest_by_theme(session, said, of_journey)
    quoted: list[frozenset[str]] = []
    themes = [
        EvidenceTheme(
            theme_id=theme_id,
            name=names[theme_id],
            answers=answers,
            share=_share(answers, total),
            examples=_examples(by_theme.get(theme_id, []), quoted),
        )
        for theme_id, answers in sorted(counts, key=lambda c: (-c[1], names[c[0]]))
    ]
    return IncidentEvidence(
        start=start,
        end=end,
        comments=total,
        themes=themes,
        other=EvidenceOther(
            answers=other, share=_share(other, total), examples=_examples(unthemed, quoted)
        ),
    )


def _newest_by_theme(
    session: Session, said: Any, of_journey: Any
) -> tuple[dict[str, list[Said]], list[Said]]:
    """The newest QUOTES_READ evidence comments, newest first: by theme, and those with none."""
    newest = (
        select(col(F.response_id), col(F.comment), col(F.sentiment), col(F.submitted_at))
        .where(said)
        .order_by(col(F.submitted_at).desc(), col(F.response_id))
        .limit(QUOTES_READ)
        .subquery()
    )
    rows = session.execute(
        select(newest, col(C.theme_id))
        .outerjoin(C, and_(col(C.response_id) == newest.c.response_id, of_journey))
        .order_by(newest.c.submitted_at.desc(), newest.c.response_id)
    ).all()
    by_theme: dict[str, list[Said]] = {}
    unthemed = []
    last: Said | None = None
    for response_id, text, sentiment, _, theme_id in rows:
        if last is None or last.response_id != response_id:
            last = Said(response_id, text, sentiment, _words(text))
            if theme_id is None:
                unthemed.append(last)
        if theme_id is not None:
            by_theme.setdefault(theme_id, []).append(last)
    return by_theme, unthemed


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.casefold()))


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    return a == b or len(a & b) >= NEAR * len(a | b)


def _examples(comments: list[Said], quoted: list[frozenset[str]]) -> list[EvidenceQuote]:
    """Up to EXAMPLES of `comments` (newest first): the wordings said most often first, a tie
    to the newer, none near-identical to one quoted already (`quoted`, which grows)."""
    by_wording: dict[tuple[str, ...], list[Said]] = {}
    for comment in comments:
        by_wording.setdefault(comment.words, []).append(comment)
    picked: list[EvidenceQuote] = []
    for words, group in sorted(by_wording.items(), key=lambda item: -len(item[1])):
        if len(picked) == EXAMPLES:
            break
        key = frozenset(words)
        if any(_near(key, seen) for seen in quoted):
            continue
        quoted.append(key)
        newest = group[0]
        picked.append(
            EvidenceQuote(
                response_id=newest.response_id,
                text=short(newest.text),
                sentiment=newest.sentiment,
                sentiment_label=label(newest.sentiment) or "neutral",
            )
        )
    return picked


def short(text: str) -> str:
    """The text on one line, cut at a word after QUOTE_CHARS characters."""
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text[:QUOTE_CHARS]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"
