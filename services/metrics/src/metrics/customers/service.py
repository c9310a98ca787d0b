from sqlalchemy import delete, select
from sqlmodel import Session, col

from metrics.customers.models import LatestNps
from metrics.facts.models import ResponseFact


def refresh_latest_nps(session: Session, respondent_id: str) -> None:
    """Recomputes a respondent's latest unflagged NPS answer from their facts."""
    latest = session.execute(
        select(ResponseFact)
        .where(
            col(ResponseFact.respondent_id) == respondent_id,
            col(ResponseFact.nps).is_not(None),
            col(ResponseFact.flagged).is_(False),
        )
        .order_by(col(ResponseFact.submitted_at).desc(), col(ResponseFact.response_id).desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None:
        session.execute(delete(LatestNps).where(col(LatestNps.respondent_id) == respondent_id))
        return
    row = session.get(LatestNps, respondent_id) or LatestNps(
        respondent_id=respondent_id, score=0, answered_at=latest.submitted_at, response_id=""
    )
    row.score = latest.nps or 0
    row.answered_at = latest.submitted_at
    row.response_id = latest.response_id
    row.touchpoint_id = latest.touchpoint_id
    session.add(row)
