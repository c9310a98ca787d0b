"""Scores stored comments again with the current scorer, and corrects the rollups built from
their old scores (comments, negative comments, sentiment sum, daily and monthly).

Runs beside the service: each batch is scored outside any transaction, then written in one short
write transaction that re-reads its facts, so an ingest that replaced or erased one meanwhile
wins. A fact is marked with the scorer's version as it is corrected, so an interrupted run goes
on where it stopped and a second run finds nothing to do."""

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from cxshared.db import read_session, write_session
from cxshared.sentiment import sentiment
from metrics.comments.version import sentiment_version
from metrics.facts.models import ResponseFact
from metrics.facts.service import RollupDeltas, sentiment_delta

F = ResponseFact
BATCH = 200
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
    rows by the difference: the old score's share out, the new one's in. Reads and writes only
    the columns concerned, so that the write lock is short."""
    rows = session.execute(
        select(
            col(F.response_id), col(F.comment), col(F.sentiment), col(F.flagged),
            col(F.day), col(F.touchpoint_id), col(F.survey_id), col(F.channel), col(F.segment),
        )
        .where(col(F.response_id).in_(ids), _stale(version))
        .with_for_update()
    ).all()  # fmt: skip
    deltas = RollupDeltas()
    updates = []
    for response_id, comment, old, flagged, *key in rows:
        text = comment or ""  # never empty: _stale
        # A comment replaced since it was read is scored here.
        new = scores[text] if text in scores else sentiment(text)
        if new != old:
            if not flagged:  # a flagged fact counts in no rollup
                if old is not None:
                    deltas.add_to(tuple(key), sentiment_delta(old), sign=-1)
                deltas.add_to(tuple(key), sentiment_delta(new))
            done.changed += 1
        updates.append({"response_id": response_id, "sentiment": new, "sentiment_version": version})
    if updates:
        session.execute(update(F), updates)
    done.scored += len(updates)
    deltas.write(session)
