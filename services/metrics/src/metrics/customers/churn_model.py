"""The churn model (docs/metrics.md, "Definitions: Churn model").

A regularised logistic regression (scikit-learn) of churn within the year after a customer's
latest NPS answer on what metrics knows of them then (churn_features). It is checked on
customers it was not fitted on against what it would replace, the churn rates by NPS category,
and used for revenue at risk and the at-risk list only when it forecasts them better: its Brier
score on the held-out customers is lower than the rates', by a margin whose 95% paired-bootstrap
interval excludes zero. Otherwise the category rates stay.

scikit-learn is imported inside the functions that fit, never at import: it costs the service's
start-up a second and some 100 MB it only needs once a model is asked for.
"""

import math
import threading
import time
import warnings
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import structlog
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from cxshared.pagination import PageParams, decode_cursor, encode_cursor
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from metrics.cases.models import CaseFact
from metrics.config import Settings
from metrics.customers import churn_features, outcomes
from metrics.customers.churn_features import Table
from metrics.customers.models import Customer, LatestNps
from metrics.customers.outcomes import FOLLOW_UP, Scored
from metrics.dimension.models import TouchpointDim
from metrics.facts.models import ResponseFact
from metrics.stats import validation
from metrics.stats.drivers import Matrix, Vector, one_thread
from metrics.stats.estimates import Z_95

log = structlog.get_logger("metrics.churn_model")

# Below these no model is fitted: with fewer customers, or fewer who churned (or stayed), the
# held-out part (30%) has too few outcomes to tell two forecasts apart.
MIN_CUSTOMERS = 200
MIN_EACH_OUTCOME = 20
HELD_OUT = 0.3
SEED = 1
# The strength of the L2 penalty (scikit-learn's C: smaller is stronger) is chosen among these
# by the Brier score of a FOLDS-fold cross-validation within the training customers.
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
REPLICATES = 2000
# A customer's reasons: up to REASONS inputs that raise their churn odds against an average
# customer's by at least MIN_REASON_ODDS (25%; below it, on the demo, inputs the model weighs
# little, by chance, showed up), the strongest first.
REASONS = 3
MIN_REASON_ODDS = 1.25

LABEL = "churned within the 365 days after the customer's latest NPS answer"
BASELINE = "the churn rate of the customer's latest NPS category, from the training customers"


def _probability(eta: Vector) -> Vector:
    result: Vector = 1 / (1 + np.exp(-np.clip(eta, -30, 30)))
    return result


@dataclass(frozen=True)
class Fitted:
    """A logistic regression on standardised inputs, a missing value filled with the mean of
    the known ones (its "not answered" column says it was missing)."""

    fill: Vector
    centre: Vector
    scale: Vector
    intercept: float
    coefficients: Vector
    c: float

    def standardised(self, x: Matrix) -> Matrix:
        result: Matrix = (np.where(np.isnan(x), self.fill, x) - self.centre) / self.scale
        return result

    def probabilities(self, x: Matrix) -> Vector:
        return _probability(self.intercept + self.standardised(x) @ self.coefficients)

    def covariance(self, x: Matrix) -> Matrix:
        """Of the intercept and coefficients, from the penalised log-likelihood's curvature at
        the fit (a Laplace approximation; the penalty ½|β|²/C spares the intercept)."""
        design = np.column_stack([np.ones(len(x)), self.standardised(x)])
        p = self.probabilities(x)
        curvature = design.T @ (design * (p * (1 - p))[:, None])
        curvature[1:, 1:] += np.eye(len(self.coefficients)) / self.c
        result: Matrix = np.asarray(np.linalg.pinv(curvature), dtype=np.float64)
        return result


def fit(x: Matrix, y: Vector, c: float) -> Fitted:
    from sklearn.linear_model import LogisticRegression  # lazily: see the module doc

    with warnings.catch_warnings():
        # A column none of these customers answered: filled with 0, then constant.
        warnings.simplefilter("ignore", RuntimeWarning)
        fill = np.nan_to_num(np.nanmean(x, axis=0))
    filled = np.where(np.isnan(x), fill, x)
    centre = filled.mean(axis=0)
    scale = filled.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=1000).fit((filled - centre) / scale, y)
    return Fitted(fill, centre, scale, float(model.intercept_[0]), model.coef_[0].copy(), c)


def choose_c(x: Matrix, y: Vector) -> float:
    """The penalty whose models, each fitted on FOLDS-1 folds of `x`, forecast the fold left
    out best (mean Brier score); ties go to the stronger penalty."""
    from sklearn.model_selection import StratifiedKFold

    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y))
    scores = []
    for c in C_GRID:
        losses = [
            validation.brier(fit(x[train], y[train], c).probabilities(x[test]), y[test])
            for train, test in folds
        ]
        scores.append(float(np.mean(losses)))
    return C_GRID[int(np.argmin(scores))]


@dataclass(frozen=True)
class Active:
    """An active customer and the model's view of them."""

    scored: Scored
    p: float
    reasons: list[dict[str, Any]]


@dataclass
class Snapshot:
    """One fit: what GET /v1/outcomes/churn-model shows, and, when the model is in use, its
    probability for every active customer (with what the interval of a sum of them needs)."""

    fingerprint: tuple[Any, ...]
    fitted_at: datetime
    summary: dict[str, Any]
    active: list[Active] = field(default_factory=list)
    design: Matrix | None = None  # [1, standardised inputs] of the active customers
    covariance: Matrix | None = None
    # The category rates of the same customers, shown beside the model's figures.
    rates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def in_use(self) -> bool:
        return bool(self.summary["in_use"])

    @property
    def reason(self) -> str:
        return str(self.summary["reason"])

    def figures(self, rows: list[int]) -> dict[str, Any]:
        """Revenue at risk of the active customers `rows`: Σ p x annual revenue, with the 95%
        interval the delta method gives from the coefficients' covariance."""
        p = np.array([self.active[i].p for i in rows])
        revenue = np.array([self.active[i].scored.customer.annual_revenue for i in rows])
        expected = float(p @ revenue)
        low = high = expected
        if rows and self.design is not None and self.covariance is not None:
            gradient = (revenue * p * (1 - p)) @ self.design[rows]
            spread = Z_95 * math.sqrt(max(0.0, float(gradient @ self.covariance @ gradient)))
            low, high = max(0.0, expected - spread), min(float(revenue.sum()), expected + spread)
        detractors = [i for i in rows if self.active[i].scored.category == "detractor"]
        return {
            "expected": expected,
            "expected_low": min(low, expected),
            "expected_high": max(high, expected),
            "flagged": sum(self.active[i].scored.customer.annual_revenue for i in detractors),
            "customers": len(rows),
        }


def build(
    session: Session, settings: Settings, *, now: datetime, fingerprint: tuple[Any, ...]
) -> Snapshot:
    started = time.perf_counter()
    data = churn_features.table(session, min_customers=settings.min_responses, today=now.date())
    with one_thread():
        snapshot = assess(data, settings, now=now, fingerprint=fingerprint)
    seconds = time.perf_counter() - started
    snapshot.summary["seconds"] = seconds
    log.info(
        "churn_model.fitted",
        customers=len(data.rows),
        inputs=len(data.columns),
        in_use=snapshot.in_use,
        seconds=round(seconds, 3),
    )
    return snapshot


def assess(
    data: Table, settings: Settings, *, now: datetime, fingerprint: tuple[Any, ...]
) -> Snapshot:
    """Fits and validates the model on `data` and decides whether it is used."""
    y = data.y
    churned = int(y.sum())
    summary = _summary(
        decision="too_little_data",
        customers=len(y),
        churned=churned,
        follow_up_incomplete=sum(
            1
            for s, outcome in zip(data.rows, y, strict=True)
            if not outcome and s.latest.answered_at + FOLLOW_UP > now
        ),
        features=[_feature(data, j) for j in range(len(data.columns))],
        touchpoints_left_out=data.left_out,
        fitted_at=now,
    )
    if len(y) < MIN_CUSTOMERS or min(churned, len(y) - churned) < MIN_EACH_OUTCOME:
        summary["reason"] = (
            f"A churn model needs {MIN_CUSTOMERS} customers with an NPS answer and a customer "
            f"record, {MIN_EACH_OUTCOME} of whom churned and {MIN_EACH_OUTCOME} stayed; there "
            f"are {len(y):,}, {churned:,} of whom churned. The NPS-category rates are used."
        )
        return Snapshot(fingerprint, now, summary)

    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        np.arange(len(y)), test_size=HELD_OUT, stratify=y, random_state=SEED
    )
    c = choose_c(data.x[train], y[train])
    checked = validate(data, settings, train=train, test=test, c=c)
    final = fit(data.x, y, c)
    in_use = checked["brier_difference_low"] > 0
    summary.update(
        in_use=in_use,
        decision="in_use" if in_use else "not_better",
        reason=_decision_words(checked, in_use),
        regularisation_c=c,
        validation=checked,
        features=sorted(
            (_feature(data, j, final) for j in range(len(data.columns))),
            key=lambda f: -abs(f["coefficient"]),
        ),
    )
    if not in_use:
        return Snapshot(fingerprint, now, summary)
    today = now.date()
    rows = [
        i
        for i, s in enumerate(data.rows)
        if s.customer.churn_date is None or s.customer.churn_date > today
    ]
    x = data.x[rows]
    p = final.probabilities(x)
    contributions = final.standardised(x) * final.coefficients
    active = [
        Active(data.rows[i], float(p[k]), _reasons(data, i, contributions[k]))
        for k, i in enumerate(rows)
    ]
    design = np.column_stack([np.ones(len(rows)), final.standardised(x)])
    rates = outcomes.churn_probabilities(outcomes.category_rates(data.rows), settings)
    return Snapshot(fingerprint, now, summary, active, design, final.covariance(data.x), rates)


def validate(data: Table, settings: Settings, *, train: Any, test: Any, c: float) -> dict[str, Any]:
    """The model fitted on the training customers against the category rates of the same
    customers, both forecasting the held-out ones."""
    from sklearn.metrics import roc_auc_score

    y = data.y[test]
    model = fit(data.x[train], data.y[train], c).probabilities(data.x[test])
    rates = outcomes.churn_probabilities(
        outcomes.category_rates(data.rows[i] for i in train), settings
    )
    baseline = np.array([rates[data.rows[i].category]["p"] for i in test])
    brier_model, brier_baseline = validation.brier(model, y), validation.brier(baseline, y)
    difference = validation.paired_bootstrap(
        (baseline - y) ** 2, (model - y) ** 2, replicates=REPLICATES, seed=SEED
    )
    intercept, slope = validation.calibration_line(model, y)
    return {
        "training": len(train),
        "held_out": len(test),
        "held_out_churned": int(y.sum()),
        "brier_model": brier_model,
        "brier_baseline": brier_baseline,
        "brier_difference": difference.value,
        "brier_difference_low": difference.low,
        "brier_difference_high": difference.high,
        "replicates": REPLICATES,
        "skill_score": 1 - brier_model / brier_baseline if brier_baseline > 0 else None,
        "auc_model": float(roc_auc_score(y, model)),
        "auc_baseline": float(roc_auc_score(y, baseline)),
        "calibration_intercept": intercept,
        "calibration_slope": slope,
        "mean_predicted": float(model.mean()),
        "observed_rate": float(y.mean()),
        "calibration": validation.calibration_bins(model, y),
    }


def _decision_words(checked: dict[str, Any], in_use: bool) -> str:
    figures = (
        f"Brier {checked['brier_model']:.3f} against {checked['brier_baseline']:.3f} on "
        f"{checked['held_out']:,} held-out customers; lower by {checked['brier_difference']:.3f}, "
        f"95% interval {checked['brier_difference_low']:.3f} to "
        f"{checked['brier_difference_high']:.3f}"
    )
    if in_use:
        return f"The model beats the NPS-category rates on held-out customers ({figures})."
    return (
        "The model does not beat the NPS-category rates on held-out customers by more than "
        f"chance ({figures}, which includes 0); the category rates are used."
    )


def _feature(data: Table, j: int, fitted: Fitted | None = None) -> dict[str, Any]:
    column = data.columns[j]
    known = data.x[:, j][~np.isnan(data.x[:, j])]
    coefficient = float(fitted.coefficients[j]) if fitted is not None else None
    return {
        "key": column.key,
        "name": column.name,
        "group": column.group,
        "customers": len(known),
        "mean": float(known.mean()) if len(known) else None,
        "sd": float(known.std()) if len(known) else None,
        "coefficient": coefficient,
        "odds_ratio": math.exp(coefficient) if coefficient is not None else None,
    }


def _reasons(data: Table, row: int, contributions: Vector) -> list[dict[str, Any]]:
    """The inputs that raise this customer's churn odds most against an average customer's
    (every input at its mean): each input's columns' coefficient x standardised value, added;
    only those that read as a risk (churn_features.reads_as_risk)."""
    by_group: dict[str, float] = defaultdict(float)
    for column, amount in zip(data.columns, contributions, strict=True):
        by_group[column.group] += float(amount)
    values, scored = data.values(row), data.rows[row]
    raising = [
        (group, amount)
        for group, amount in by_group.items()
        if math.exp(amount) >= MIN_REASON_ODDS
        and churn_features.reads_as_risk(group, values, data, scored)
    ]
    return [
        {
            "words": churn_features.reason_words(group, values, data, scored),
            "odds_ratio": math.exp(amount),
        }
        for group, amount in sorted(raising, key=lambda item: -item[1])[:REASONS]
    ]


def fingerprint(session: Session, today: Any) -> tuple[Any, ...]:
    """What a fit depends on, cheaply: counts and the latest changes of the customers, the
    latest NPS answers, the facts, the touchpoints and the cases."""
    found: list[Any] = [today]
    for count, latest in (
        (Customer.external_id, Customer.updated_at),
        (LatestNps.respondent_id, LatestNps.answered_at),
        (ResponseFact.response_id, ResponseFact.source_at),
        (TouchpointDim.id, TouchpointDim.version),
        (CaseFact.case_id, CaseFact.source_at),
    ):
        found += session.execute(select(func.count(col(count)), func.max(col(latest)))).one()
    return tuple(found)


def _summary(**figures: Any) -> dict[str, Any]:
    """The answer of GET /v1/outcomes/churn-model while nothing is known (the first fit is
    being made), with `figures` filled in."""
    return {
        "in_use": False,
        "decision": "fitting",
        "reason": "The churn model is being fitted; the NPS-category rates are used until it "
        "is ready.",
        "label": LABEL,
        "baseline": BASELINE,
        "minimum": {
            "customers": MIN_CUSTOMERS,
            "churned": MIN_EACH_OUTCOME,
            "stayed": MIN_EACH_OUTCOME,
        },
        "customers": None,
        "churned": None,
        "follow_up_incomplete": None,
        "features": [],
        "touchpoints_left_out": [],
        "regularisation_c": None,
        "validation": None,
        "fitted_at": None,
        "seconds": None,
    } | figures


class ChurnModels:
    """The latest fit, kept for the application's lifetime so that the dashboard does not fit
    on every request, and fitted in the background so that no request waits for a fit longer
    than METRICS_CHURN_MODEL_WAIT_SECONDS (the first fit imports scikit-learn, which alone takes
    seconds on a busy machine).

    A fit is reused while the customers and answers are unchanged, and, once they change, until
    it is METRICS_CHURN_MODEL_REFIT_SECONDS old; meanwhile requests get it at once while the
    next is made. A fit that found too little data is redone as soon as the data changes, and
    waited for like a first fit. One fit runs at a time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._fitting: Future[Snapshot] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="churn-model")

    def current(self, session: Session, settings: Settings) -> Snapshot:
        now = utcnow()
        key = fingerprint(session, now.date())
        with self._lock:
            known = self._snapshot
            if known is not None and not _due(known, key, now, settings):
                return known
            if self._fitting is None:
                self._fitting = self._executor.submit(self._fit, settings, key, now)
            fitting = self._fitting
        if known is not None and known.summary["decision"] != "too_little_data":
            return known
        try:
            return fitting.result(timeout=settings.churn_model_wait_seconds)
        except TimeoutError:
            return known or Snapshot(key, now, _summary())

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _fit(self, settings: Settings, key: tuple[Any, ...], now: datetime) -> Snapshot:
        try:
            with Session(self._engine) as session:
                snapshot = build(session, settings, now=now, fingerprint=key)
            with self._lock:
                self._snapshot = snapshot
            return snapshot
        except Exception:
            log.exception("churn_model.failed")
            raise
        finally:
            with self._lock:
                self._fitting = None


def _due(known: Snapshot, key: tuple[Any, ...], now: datetime, settings: Settings) -> bool:
    if known.fingerprint == key:
        return False
    if known.summary["decision"] == "too_little_data":
        return True
    return now - known.fitted_at >= timedelta(seconds=settings.churn_model_refit_seconds)


def revenue_at_risk(snapshot: Snapshot, session: Session, *, by: str | None) -> dict[str, Any]:
    """Revenue at risk with the model's probabilities, in the shape of
    outcomes.revenue_at_risk (the category rates beside it, for reference)."""
    touchpoints = {t.id: t for t in session.execute(select(TouchpointDim)).scalars()}
    members: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(snapshot.active):
        members["all"].append(i)
        if by is not None:
            members[outcomes.group_key(by, entry.scored, touchpoints)].append(i)
    overall = members.pop("all", [])
    return {
        **snapshot.figures(overall),
        "active_revenue": sum(snapshot.active[i].scored.customer.annual_revenue for i in overall),
        "churn_probabilities": snapshot.rates,
        "groups": sorted(
            (
                {
                    "key": key,
                    **snapshot.figures(rows),
                    "revenue": sum(snapshot.active[i].scored.customer.annual_revenue for i in rows),
                }
                for key, rows in members.items()
            ),
            key=lambda g: -g["expected"],
        ),
    }


def at_risk(
    snapshot: Snapshot,
    session: Session,
    settings: Settings,
    *,
    segment: str | None,
    customer: str | None = None,
) -> list[dict[str, Any]]:
    """Every active customer with an NPS answer (or the one `customer`), by expected revenue
    lost (p(churn) x annual revenue), the largest first: p from the model when it is in use,
    else from the customer's latest NPS category."""
    if snapshot.in_use:
        entries = [(a.scored, a.p, a.reasons) for a in snapshot.active]
    else:
        entries = _by_category(session, settings, today=utcnow().date())
    wanted = segment.casefold() if segment is not None else None
    found = [
        {
            "external_id": scored.customer.external_id,
            "name": scored.customer.name,
            "segment": scored.customer.segment,
            "annual_revenue": scored.customer.annual_revenue,
            "p": p,
            "expected_loss": p * scored.customer.annual_revenue,
            "latest_nps": scored.latest.score,
            "category": scored.category,
            "answered_at": scored.latest.answered_at,
            "reasons": reasons,
        }
        for scored, p, reasons in entries
        if (wanted is None or scored.customer.segment.casefold() == wanted)
        and (customer is None or scored.customer.external_id == customer)
    ]
    return sorted(found, key=lambda e: (-e["expected_loss"], e["external_id"]))


def _by_category(
    session: Session, settings: Settings, *, today: Any
) -> list[tuple[Scored, float, list[dict[str, Any]]]]:
    probabilities = outcomes.churn_probabilities(outcomes.churn_by_category(session), settings)
    result = []
    for scored in outcomes.scored_customers(session):
        churn = scored.customer.churn_date
        if churn is not None and churn <= today:
            continue
        rate = probabilities[scored.category]
        source = (
            f"{rate['p']:.0%} of {scored.category}s churned within a year"
            if rate["source"] == "observed"
            else f"{rate['p']:.0%} assumed for {scored.category}s, too few with a known outcome"
        )
        words = (
            f"latest NPS answer {scored.latest.score}: "
            f"{churn_features.CATEGORY_WORDS[scored.category]} ({source})"
        )
        result.append((scored, float(rate["p"]), [{"words": words, "odds_ratio": None}]))
    return result


def page(
    entries: list[dict[str, Any]], params: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of `at_risk`'s list, after the cursor's (expected loss, external id)."""
    if params.cursor:
        loss, external_id = decode_cursor(params.cursor, 2)
        if not isinstance(loss, int | float) or not isinstance(external_id, str):
            raise Problem(
                400, "invalid-cursor", "Invalid cursor", "Use the next_cursor of a page as is."
            )
        after = (-float(loss), external_id)
        entries = [e for e in entries if (-e["expected_loss"], e["external_id"]) > after]
    if len(entries) <= params.limit:
        return entries, None
    items = entries[: params.limit]
    return items, encode_cursor([items[-1]["expected_loss"], items[-1]["external_id"]])
