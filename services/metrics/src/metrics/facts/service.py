"""Facts and rollups move together: adding or removing a fact applies its delta to its daily
rollup row in the same transaction, with an atomic `INSERT ... ON CONFLICT DO UPDATE` so that
concurrent writers add up instead of overwriting each other."""

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cxshared.sentiment import NEGATIVE_BELOW
from metrics.facts.models import DailyRollup, MonthlyRollup, ResponseFact, RollupSums
from metrics.facts.values import Fact, FactValues, rescale

KEY_COLUMNS = ("day", "touchpoint_id", "survey_id", "channel", "segment")
SUM_COLUMNS = tuple(
    c.name
    for c in DailyRollup.__table__.columns  # type: ignore[attr-defined]
    if c.name not in {"id", *KEY_COLUMNS}
)
RollupKey = tuple[date, str, str, str, str]


def rollup_key(fact: Fact) -> RollupKey:
    return (fact.day, fact.touchpoint_id, fact.survey_id, fact.channel, fact.segment)


def rollup_delta(fact: Fact) -> dict[str, float]:
    """What one fact adds to its rollup row (nothing when flagged)."""
    if fact.flagged:
        return {}
    delta: dict[str, float] = {"responses": 1}
    if fact.nps is not None:
        delta["nps_n"] = 1
        band = "promoters" if fact.nps >= 9 else "passives" if fact.nps >= 7 else "detractors"
        delta[band] = 1
    if fact.csat is not None:
        delta.update(
            csat_n=1, csat_top2=int(fact.csat >= 4), csat_sum=fact.csat, csat_sum_sq=fact.csat**2
        )
    if fact.ces is not None:
        delta.update(
            ces_n=1, ces_agree=int(fact.ces >= 5), ces_sum=fact.ces, ces_sum_sq=fact.ces**2
        )
    ratings = [
        rescale(a["value"], 1, a.get("scale") or 5)
        for a in fact.answers
        if a.get("type") == "rating"
        and isinstance(a.get("value"), int)
        and (a.get("scale") or 5) > 1
    ]
    if ratings:
        delta.update(rating_n=len(ratings), rating_sum=sum(ratings))
    if fact.experience is not None:
        delta.update(experience_n=1, experience_sum=fact.experience)
    if fact.sentiment is not None:
        delta.update(sentiment_delta(fact.sentiment))
    return delta


def sentiment_delta(sentiment: float) -> dict[str, float]:
    """What a comment's score adds to its rollup row."""
    return {
        "comments": 1,
        "negative_comments": int(sentiment < NEGATIVE_BELOW),
        "sentiment_sum": sentiment,
    }


class RollupDeltas:
    """Deltas gathered over a batch, written with one upsert per touched rollup row."""

    def __init__(self) -> None:
        self._rows: dict[RollupKey, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, fact: Fact, sign: int = 1) -> None:
        self.add_to(rollup_key(fact), rollup_delta(fact), sign)

    def add_to(self, key: RollupKey, delta: dict[str, float], sign: int = 1) -> None:
        if not delta:
            return
        row = self._rows[key]
        for name, value in delta.items():
            row[name] += sign * value

    def __bool__(self) -> bool:
        return bool(self._rows)

    @property
    def touchpoints(self) -> set[str]:
        return {key[1] for key in self._rows}

    @property
    def rows(self) -> dict[RollupKey, dict[str, float]]:
        return self._rows

    def write(self, session: Session) -> None:
        """Adds the deltas to their daily rows and to their months' rows."""
        if not self._rows:
            return
        _add_to(session, DailyRollup, "day", self._rows)
        _add_to(session, MonthlyRollup, "month", by_month(self._rows))
        self._rows.clear()


def by_month(daily: dict[RollupKey, dict[str, float]]) -> dict[RollupKey, dict[str, float]]:
    """Daily deltas or sums added up per calendar month (keyed by its first day)."""
    monthly: dict[RollupKey, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (day, touchpoint, survey, channel, segment), delta in daily.items():
        row = monthly[(day.replace(day=1), touchpoint, survey, channel, segment)]
        for name, value in delta.items():
            row[name] += value
    return monthly


def _add_to(
    session: Session,
    model: type[RollupSums],
    period: str,
    deltas: dict[RollupKey, dict[str, float]],
) -> None:
    """One atomic `INSERT ... ON CONFLICT DO UPDATE` adding each delta to its row."""
    keys = (period, *KEY_COLUMNS[1:])
    rows = [
        {
            **dict(zip(keys, key, strict=True)),
            **{name: delta.get(name, 0) for name in SUM_COLUMNS},
        }
        for key, delta in sorted(deltas.items())  # one order: no deadlocks between batches
    ]
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    statement = upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in SUM_COLUMNS},
    )
    session.execute(statement, rows)


def insert_facts(session: Session, facts: list[FactValues]) -> None:
    """Inserts the facts in one statement (their rollup deltas are the caller's)."""
    if facts:
        table = ResponseFact.__table__  # type: ignore[attr-defined]
        session.execute(insert(table), [f.row() for f in facts])


def remove_facts(session: Session, facts: list[ResponseFact], deltas: RollupDeltas) -> None:
    for fact in facts:
        deltas.add(fact, sign=-1)
    if facts:
        session.execute(
            delete(ResponseFact).where(
                col(ResponseFact.response_id).in_([f.response_id for f in facts])
            )
        )


def rebuild_rollups(session: Session, *, replace: bool) -> dict[str, int]:
    """Recomputes every daily and monthly rollup from the facts and compares them with the
    stored ones; with `replace`, the stored rollups become the recomputed ones. Returns counts
    of rows (of both tables) that agree, differ, are missing or are extra."""
    recomputed = RollupDeltas()
    for fact in session.exec(select(ResponseFact)).scalars():  # type: ignore[call-overload]
        recomputed.add(fact)
    daily = recomputed.rows
    monthly = by_month(daily)
    report = {"agree": 0, "differ": 0, "missing": 0, "extra": 0}
    for model, period, expected in ((DailyRollup, "day", daily), (MonthlyRollup, "month", monthly)):
        stored = {
            (getattr(r, period), r.touchpoint_id, r.survey_id, r.channel, r.segment): r
            for r in session.exec(select(model)).scalars()  # type: ignore[call-overload]
        }
        for key, sums in expected.items():
            row = stored.get(key)
            if row is None:
                report["missing"] += 1
            elif all(abs(getattr(row, n) - sums.get(n, 0)) < 1e-6 for n in SUM_COLUMNS):
                report["agree"] += 1
            else:
                report["differ"] += 1
        report["extra"] += sum(
            1 for key, row in stored.items() if key not in expected and row.responses != 0
        )
    if replace:
        session.execute(delete(DailyRollup))
        session.execute(delete(MonthlyRollup))
        recomputed.write(session)
    return report


def count_facts(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(ResponseFact)).scalar_one())
