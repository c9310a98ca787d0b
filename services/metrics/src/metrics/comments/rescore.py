"""Scores stored comments again with the current scorer, and corrects the rollups built from
their old scores (comments, negative comments, sentiment sum, daily and monthly).

Runs beside the service: each batch is scored outside any transaction, then written in one short
write transaction that re-reads its facts, so an ingest that replaced or erased one meanwhile
wins. A fact is marked with the scorer's version as it is corrected, so an interrupted run goes
on where it stopped and a second run finds nothing to do."""

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from cxshared.db import read_session, write_session
from metrics.comments.sentiment import sentiment
from metrics.comments.version import sentiment_version
from metrics.facts.models import ResponseFact
from metrics.facts.service import RollupDeltas

F = ResponseFact
BATCH = 500
log = structlog.get_logger("metrics.comments")


@dataclass
class Rescored:
    scored: int = 0  # stored comments scored with the current scorer
    changed: int = 0  # of which the score changed


def _stale(version: str) -> ColumnElement[bool]:
    """Comments scored by another scorer, or before scorers were recorded."""
    return col(F.comment).is_not(None) & or_(
        col(F.sentiment_version).is_(None), col(F.sentiment_version) != version
    )


def count_stale(session: Session) -> int:
    query = select(func.count()).select_from(F).where(_stale(sentiment_version()))
    return int(session.execute(query).scalar_one())


def warn_if_stale(engine: Engine) -> None:
    """Says so in the log when stored comments were scored by another scorer than this one."""
    with read_session(engine) as session:
        stale = count_stale(session)
    if stale:
        log.warning(
            "sentiment.stale",
            comments=stale,
            version=sentiment_version(),
            fix="cx-metrics rescore-sentiment",
        )


def rescore_sentiment(
    engine: Engine,
    *,
    batch: int = BATCH,
    report: Callable[[Rescored], None] = lambda rescored: None,
) -> Rescored:
    version = sentiment_version()
    done = Rescored()
    after = ""
    while True:
        with read_session(engine) as session:
            rows = session.execute(
                select(col(F.response_id), col(F.comment))
                .where(_stale(version), col(F.response_id) > after)
                .order_by(col(F.response_id))
                .limit(batch)
            ).all()
        if not rows:
            return done
        after = rows[-1][0]
        scores = {comment: sentiment(comment) for _, comment in rows}
        with write_session(engine) as session:
            _write(session, [response_id for response_id, _ in rows], scores, version, done)
        report(done)


def _write(
    session: Session, ids: list[str], scores: dict[str, float], version: str, done: Rescored
) -> None:
    """Stores the new scores of the batch's facts that are still stale, and moves their rollup
    rows by the difference: the old score's share out, the new one's in."""
    facts = session.execute(
        select(F).where(col(F.response_id).in_(ids), _stale(version)).with_for_update()
    ).scalars()
    deltas = RollupDeltas()
    for fact in facts:
        text = fact.comment or ""  # never empty: _stale
        # A comment replaced since it was read is scored here.
        new = scores[text] if text in scores else sentiment(text)
        if new != fact.sentiment:
            deltas.add(fact, sign=-1)
            fact.sentiment = new
            deltas.add(fact)
            done.changed += 1
        fact.sentiment_version = version
        session.add(fact)
        done.scored += 1
    session.flush()
    deltas.write(session)
