"""What the churn model knows of each customer (docs/metrics.md, "Definitions: Churn model").

One row per customer with a customer record and an NPS answer (the customers the churn rates by
category count), described as of their latest NPS answer, where the outcome's year begins:
churned within the 365 days after it or not. Nothing from after that answer enters. A customer
who left stops answering, so "days since their last answer" or "tenure" counted up to today
would hand the model the outcome itself, and it would look better on held-out customers than it
is.
"""

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session, col

from cxshared.timeutil import as_utc
from metrics.cases.models import CaseFact
from metrics.customers import outcomes
from metrics.customers.outcomes import Scored
from metrics.drivers import service as drivers
from metrics.drivers.schemas import Outcome
from metrics.facts.models import ResponseFact
from metrics.stats.drivers import Matrix, Vector

F = ResponseFact
# A case opened within this long after the latest NPS answer is that answer's case: the case
# rules open it as the answer is stored; staff who open one by hand do so within the day.
ANSWERS_CASE = timedelta(days=1)
CATEGORY_WORDS = {"promoter": "a promoter", "passive": "a passive", "detractor": "a detractor"}


@dataclass(frozen=True)
class Column:
    key: str
    name: str  # in plain words, as the API and the page show it
    group: str  # the input it belongs to: a customer's reasons add up a group's columns


@dataclass
class Table:
    rows: list[Scored]
    columns: list[Column]
    x: Matrix  # rows x columns; NaN where a value is missing (the fit fills it in)
    y: Vector  # 1: churned within the 365 days after the latest NPS answer
    touchpoints: dict[str, str]  # id -> name, of the touchpoints with a column
    left_out: list[dict[str, Any]]  # touchpoints answered by too few of the customers

    def values(self, row: int) -> dict[str, float]:
        return {c.key: float(v) for c, v in zip(self.columns, self.x[row], strict=True)}

    @functools.cached_property
    def averages(self) -> dict[str, float]:
        """Each column's mean over the customers with a value."""
        return {c.key: float(np.nanmean(self.x[:, j])) for j, c in enumerate(self.columns)}


def previous_nps(session: Session) -> dict[str, tuple[int, datetime]]:
    """Each respondent's NPS answer before their latest one (score, when), in the order that
    makes the latest one (newest first, then response id)."""
    order = func.row_number().over(
        partition_by=F.respondent_id,
        order_by=(col(F.submitted_at).desc(), col(F.response_id).desc()),
    )
    ranked = (
        select(
            col(F.respondent_id).label("respondent"),
            col(F.nps).label("nps"),
            col(F.submitted_at).label("at"),
            order.label("position"),
        )
        .where(
            col(F.respondent_id).is_not(None),
            col(F.nps).is_not(None),
            col(F.flagged).is_(False),
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.respondent, ranked.c.nps, ranked.c.at).where(ranked.c.position == 2)
    ).all()
    return {respondent: (int(nps), at) for respondent, nps, at in rows}


@dataclass(frozen=True)
class Cases:
    """A customer's cases as known at their latest NPS answer."""

    earlier: int  # opened before it
    earlier_recovered: int  # of those, a follow-up said recovered
    earlier_not_recovered: int  # a follow-up said not
    with_answer: bool  # that answer opened one (or staff did within the day)


def cases_by_respondent(session: Session) -> dict[str, list[tuple[datetime, bool | None]]]:
    """Each respondent's cases: (opened at, recovered?), recovered None without an answered
    follow-up."""
    rows = session.execute(
        select(col(CaseFact.respondent_id), col(CaseFact.opened_at), col(CaseFact.recovered)).where(
            col(CaseFact.respondent_id).is_not(None)
        )
    ).all()
    found: dict[str, list[tuple[datetime, bool | None]]] = {}
    for respondent, opened_at, recovered in rows:
        found.setdefault(respondent, []).append((as_utc(opened_at), recovered))
    return found


def cases_at(cases: list[tuple[datetime, bool | None]], answered_at: datetime) -> Cases:
    """What a customer's cases tell as of their latest NPS answer. Whether that answer's own
    case was recovered comes later, and is no input: a customer still there answers the
    follow-up, one who left does not, so it would hand the model its outcome."""
    answered_at = as_utc(answered_at)
    earlier = [recovered for opened, recovered in cases if opened < answered_at]
    return Cases(
        earlier=len(earlier),
        earlier_recovered=sum(r is True for r in earlier),
        earlier_not_recovered=sum(r is False for r in earlier),
        with_answer=any(answered_at <= opened <= answered_at + ANSWERS_CASE for opened, _ in cases),
    )


def table(session: Session, *, min_customers: int, today: date) -> Table:
    """Every customer the churn rates count, with the model's inputs. A touchpoint is an input
    when at least `min_customers` of them answered it before their latest NPS answer; a
    segment, when it holds at least that many."""
    rows = sorted(outcomes.scored_customers(session), key=lambda s: s.customer.external_id)
    previous = previous_nps(session)
    cases = cases_by_respondent(session)
    everything = drivers.customer_scores(
        session,
        drivers.Query(
            start=date.min,
            end=today,
            outcome=Outcome.NPS,
            journey_id=None,
            segment=None,
            min_customers=min_customers,
        ),
        up_to_latest_nps=True,
    )
    answered = {r.customer.external_id: everything.get(r.customer.external_id) for r in rows}
    touchpoints, left_out = [], []
    for touchpoint in drivers.candidate_touchpoints(session, None):
        n = sum(touchpoint.id in s.touchpoints for s in answered.values() if s is not None)
        if n >= min_customers:
            touchpoints.append(touchpoint)
        elif n:
            left_out.append({"touchpoint_id": touchpoint.id, "name": touchpoint.name, "n": n})
    segments = _segments(rows, min_customers)

    columns = [
        Column("nps", "Latest NPS answer (0-10)", "latest_nps"),
        Column("detractor", "Latest NPS answer a detractor's (0-6)", "latest_nps"),
        Column("passive", "Latest NPS answer a passive's (7-8)", "latest_nps"),
        Column("nps_change", "Change from the NPS answer before (points)", "trend"),
        Column("nps_gap", "Days from the NPS answer before", "trend"),
        Column("first_nps", "No NPS answer before the latest", "trend"),
        Column("tenure", "Years a customer at the latest NPS answer", "tenure"),
        Column("tenure_unknown", "Start date unknown", "tenure"),
        Column("revenue", "Annual revenue (log)", "revenue"),
        Column("case_with_answer", "The latest NPS answer opened a case", "cases"),
        Column("earlier_cases", "Cases before the latest NPS answer", "cases"),
        Column("earlier_recovered", "Of those, recovered (follow-up)", "cases"),
        Column("earlier_not_recovered", "Of those, not recovered (follow-up)", "cases"),
    ]
    for touchpoint in touchpoints:
        group = f"touchpoint:{touchpoint.id}"
        columns.append(
            Column(group, f"{touchpoint.name}: mean experience (-2 to +2)", group),
        )
        columns.append(
            Column(f"skipped:{touchpoint.id}", f"{touchpoint.name}: not answered", group)
        )
    columns += [Column(f"segment:{key}", f"Segment {name}", "segment") for key, name in segments]

    x = np.full((len(rows), len(columns)), np.nan)
    position = {c.key: j for j, c in enumerate(columns)}
    for i, scored in enumerate(rows):
        found = _row(scored, previous.get(scored.customer.external_id))
        found |= _case_row(
            cases_at(cases.get(scored.customer.external_id, []), scored.latest.answered_at)
        )
        scores = answered[scored.customer.external_id]
        for touchpoint in touchpoints:
            mean = scores.touchpoints.get(touchpoint.id) if scores is not None else None
            found[f"touchpoint:{touchpoint.id}"] = math.nan if mean is None else mean
            found[f"skipped:{touchpoint.id}"] = float(mean is None)
        segment = scored.customer.segment.casefold()
        for key, _ in segments:
            found[f"segment:{key}"] = float(segment == key)
        for key, value in found.items():
            x[i, position[key]] = value
    y = np.array([float(outcomes.churned_within_year(s)) for s in rows])
    varying = [j for j in range(len(columns)) if _varies(x[:, j])]
    return Table(
        rows=rows,
        columns=[columns[j] for j in varying],
        x=x[:, varying],
        y=y,
        touchpoints={t.id: t.name for t in touchpoints},
        left_out=left_out,
    )


def _row(scored: Scored, previous: tuple[int, datetime] | None) -> dict[str, float]:
    latest = scored.latest
    start = scored.customer.start_date
    answered = latest.answered_at.date()
    return {
        "nps": float(latest.score),
        "detractor": float(scored.category == "detractor"),
        "passive": float(scored.category == "passive"),
        "nps_change": math.nan if previous is None else float(latest.score - previous[0]),
        "nps_gap": (
            math.nan
            if previous is None
            else (latest.answered_at - previous[1]).total_seconds() / 86_400
        ),
        "first_nps": float(previous is None),
        "tenure": math.nan if start is None else (answered - start).days / 365.25,
        "tenure_unknown": float(start is None),
        "revenue": math.log1p(scored.customer.annual_revenue),
    }


def _case_row(cases: Cases) -> dict[str, float]:
    return {
        "case_with_answer": float(cases.with_answer),
        "earlier_cases": float(cases.earlier),
        "earlier_recovered": float(cases.earlier_recovered),
        "earlier_not_recovered": float(cases.earlier_not_recovered),
    }


def _segments(rows: list[Scored], min_customers: int) -> list[tuple[str, str]]:
    """(key, name) of the segments holding at least `min_customers` customers; a segment is
    matched in any case, as every segment filter is."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for scored in rows:
        segment = scored.customer.segment
        if segment:
            counts[segment.casefold()] = counts.get(segment.casefold(), 0) + 1
            names.setdefault(segment.casefold(), segment)
    return sorted((key, names[key]) for key, n in counts.items() if n >= min_customers)


def _varies(column: Vector) -> bool:
    known = column[~np.isnan(column)]
    return len(known) > 1 and bool(np.ptp(known) > 0)


def reads_as_risk(group: str, values: dict[str, float], table: Table, scored: Scored) -> bool:
    """Whether a customer's input points the way a reader takes a risk to: an NPS answer or an
    experience below the average, an NPS answer that fell. Where inputs overlap (a touchpoint's
    answer is often the latest NPS answer too), a model can weigh one against another in ways
    that read backwards for a single customer: "Courier: mean experience +2.0" as a reason to
    leave helps no one."""
    if group == "latest_nps":
        return scored.latest.score < table.averages.get("nps", 9.0)
    if group == "trend":
        change = values.get("nps_change", math.nan)
        return math.isnan(change) or change < 0
    if group == "cases":
        earlier = values.get("earlier_cases", 0.0)
        return (
            values.get("case_with_answer") == 1.0
            or values.get("earlier_not_recovered", 0.0) > 0
            or (earlier > 0 and values.get("earlier_recovered", 0.0) < earlier)
        )
    if group.startswith("touchpoint:"):
        touchpoint = group.removeprefix("touchpoint:")
        mean = values.get(group, math.nan)
        skipped = values.get(f"skipped:{touchpoint}") == 1.0
        return skipped or (not math.isnan(mean) and mean < table.averages[group])
    return True


def reason_words(group: str, values: dict[str, float], table: Table, scored: Scored) -> str:
    """A customer's input in words, for the reasons of the at-risk list."""
    if group == "latest_nps":
        return f"latest NPS answer {scored.latest.score}: {CATEGORY_WORDS[scored.category]}"
    if group == "trend":
        change = values.get("nps_change", math.nan)
        if math.isnan(change):
            return "no NPS answer before the latest to compare with"
        gap = values.get("nps_gap", math.nan)
        when = "" if math.isnan(gap) else f", {gap:.0f} days earlier"
        if change == 0:
            return f"NPS answer unchanged from the one before{when}"
        moved = "fell" if change < 0 else "rose"
        return f"NPS answer {moved} {abs(change):.0f} points from the one before{when}"
    if group == "tenure":
        years = values.get("tenure", math.nan)
        if math.isnan(years) or values.get("tenure_unknown") == 1:
            return "start date unknown"
        return f"a customer for {years:.1f} years at the latest NPS answer"
    if group == "revenue":
        return f"annual revenue {scored.customer.annual_revenue:,.0f}"
    if group == "cases":
        return _case_words(values)
    if group == "segment":
        return f"segment {scored.customer.segment or '(none)'}"
    touchpoint = group.removeprefix("touchpoint:")
    name = table.touchpoints.get(touchpoint, touchpoint)
    if values.get(f"skipped:{touchpoint}") == 1.0:
        return f"did not answer {name}"
    mean = values.get(group, math.nan)
    if math.isnan(mean):  # everyone who answered it gave the same: no column of its own
        return f"answered {name}"
    average = table.averages[group]
    return f"{name}: mean experience {mean:+.1f} on -2 to +2 (average {average:+.1f})"


def _case_words(values: dict[str, float]) -> str:
    said = []
    if values.get("case_with_answer") == 1.0:
        said.append("the latest NPS answer opened a case")
    earlier = int(values.get("earlier_cases", 0.0))
    if earlier:
        recovered = int(values.get("earlier_recovered", 0.0))
        not_recovered = int(values.get("earlier_not_recovered", 0.0))
        outcome = [
            f"{n} {word}"
            for n, word in ((recovered, "recovered"), (not_recovered, "not recovered"))
            if n
        ]
        plural = "case" if earlier == 1 else "cases"
        how = f" ({', '.join(outcome)})" if outcome else ""
        said.append(f"{earlier} {plural} opened before the latest NPS answer{how}")
    return "; ".join(said) or "no case"
