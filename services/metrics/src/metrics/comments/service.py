"""Comments: the answers behind a score that carry one (read like the answers, so the two
always agree), and their counts and sentiment per group (read from the rollups, like scores)."""

from typing import Literal

from sqlmodel import Session, col

from cxshared.pagination import PageParams
from cxshared.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE, label
from metrics.answers import service as answers
from metrics.comments.schemas import CommentPage, CommentRead, CommentSummary
from metrics.facts.models import ResponseFact
from metrics.scores import service as scores
from metrics.scores.schemas import GroupBy

F = ResponseFact
Sentiment = Literal["negative", "neutral", "positive"]
Band = Literal["promoter", "passive", "detractor"]


def comments(
    *,
    session: Session,
    filters: scores.Filters,
    sentiment: Sentiment | None,
    band: Band | None,
    params: PageParams,
) -> CommentPage:
    """A page of the comments over `filters`, newest first; `band` is an NPS category."""
    query = answers.selection(filters, "nps" if band else None, band).where(
        col(F.comment).is_not(None)
    )
    if sentiment == "negative":
        query = query.where(col(F.sentiment) < NEGATIVE_BELOW)
    elif sentiment == "positive":
        query = query.where(col(F.sentiment) > POSITIVE_ABOVE)
    elif sentiment == "neutral":
        query = query.where(col(F.sentiment).between(NEGATIVE_BELOW, POSITIVE_ABOVE))
    rows, cursor = answers.page(session=session, query=query, params=params)
    return CommentPage(items=[_read(r) for r in rows], next_cursor=cursor)


def _read(fact: ResponseFact) -> CommentRead:
    return CommentRead(
        **fact.model_dump(include=set(CommentRead.model_fields)),
        sentiment_label=label(fact.sentiment) or "neutral",
    )


def summaries(
    *, session: Session, filters: scores.Filters, group_by: GroupBy
) -> list[CommentSummary]:
    """Per group with comments: their count, the negative ones and the mean sentiment, the
    groups with most negative comments first."""
    sums = scores.grouped_sums(session, filters, [scores.GROUP_COLUMNS[group_by]])
    names = scores.labels(session, group_by, [k[0] for k in sums])
    found = [
        CommentSummary(
            key=key,
            label=str(names.get(key, key)),
            comments=int(s["comments"]),
            negative_comments=int(s["negative_comments"]),
            mean_sentiment=s["sentiment_sum"] / s["comments"] if s["comments"] else None,
        )
        for (key,), s in sums.items()
        if s["comments"]
    ]
    return sorted(found, key=lambda s: -s.negative_comments)
