from collections.abc import Iterable

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cxshared.pagination import PageParams, paginate
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from metrics.customers.models import Customer, LatestNps
from metrics.customers.schemas import CustomerWrite, Upserted
from metrics.facts.models import DailyRollup, ResponseFact
from metrics.facts.values import Fact


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


def keep_latest_nps(session: Session, facts: Iterable[Fact]) -> None:
    """Each respondent's latest NPS answer, moved on by newer answers among `facts`, which are
    being added (an added answer can only replace the stored one, never uncover an older one;
    removals need `refresh_latest_nps`)."""
    latest: dict[str, Fact] = {}
    for fact in facts:
        if fact.respondent_id and fact.nps is not None and not fact.flagged:
            known = latest.get(fact.respondent_id)
            if known is None or (fact.submitted_at, fact.response_id) > (
                known.submitted_at,
                known.response_id,
            ):
                latest[fact.respondent_id] = fact
    if not latest:
        return
    insert_ = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    statement = insert_(LatestNps.__table__)  # type: ignore[attr-defined]
    newer = tuple_(statement.excluded.answered_at, statement.excluded.response_id) > tuple_(
        col(LatestNps.answered_at), col(LatestNps.response_id)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["respondent_id"],
        set_={
            name: statement.excluded[name]
            for name in ("score", "answered_at", "response_id", "touchpoint_id")
        },
        where=newer,
    )
    rows = [
        {
            "respondent_id": respondent,
            "score": f.nps,
            "answered_at": f.submitted_at,
            "response_id": f.response_id,
            "touchpoint_id": f.touchpoint_id,
        }
        for respondent, f in latest.items()
    ]
    session.execute(statement, rows)


def segments(session: Session) -> list[tuple[str, int]]:
    """Every segment metrics knows, with its customers: those of the customer records and
    those answers carried (a segment with answers but no customer record counts 0)."""
    counted = dict(
        session.execute(
            select(col(Customer.segment), func.count())
            .where(col(Customer.segment) != "")
            .group_by(col(Customer.segment))
        ).all()
    )
    answered = session.execute(
        select(col(DailyRollup.segment)).where(col(DailyRollup.segment) != "").distinct()
    ).scalars()
    for segment in answered:
        counted.setdefault(segment, 0)
    return sorted(counted.items(), key=lambda item: item[0].casefold())


def upsert(
    *, session: Session, rows: list[CustomerWrite]
) -> tuple[Upserted, dict[str, tuple[str, str]]]:
    """Creates or updates each customer by external id (the last row of an id wins), in the
    caller's transaction. Also returns the customers whose segment changed: (old, new)."""
    created = updated = 0
    moved: dict[str, tuple[str, str]] = {}
    for row in {r.external_id: r for r in rows}.values():
        customer = session.get(Customer, row.external_id)
        if customer is None:
            customer = Customer(external_id=row.external_id)
            created += 1
        else:
            updated += 1
        before = customer.segment or ""
        for name, value in row.model_dump(exclude={"external_id"}).items():
            setattr(customer, name, value)
        if (customer.segment or "") != before:
            moved[row.external_id] = (before, customer.segment or "")
        customer.updated_at = utcnow()
        session.add(customer)
    session.flush()
    return Upserted(created=created, updated=updated), moved


def customers(
    *, session: Session, segment: str | None, params: PageParams
) -> tuple[list[Customer], str | None]:
    """A page of customers by external id; a segment matches any case."""
    query = select(Customer)
    if segment is not None:
        query = query.where(func.lower(Customer.segment) == func.lower(segment))
    return paginate(session, query, order_by=[col(Customer.external_id)], params=params)


def get(*, session: Session, external_id: str) -> Customer:
    customer = session.get(Customer, external_id)
    if customer is None:
        raise Problem(404, "not-found", "Not found", f"No customer {external_id!r}.")
    return customer
