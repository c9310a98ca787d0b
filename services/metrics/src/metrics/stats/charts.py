"""Control charts for degradation (docs/metrics.md, "Definitions: Change and degradation"): an
EWMA chart of the daily score against the touchpoint's own baseline, or, for low-volume
touchpoints, a Bernoulli CUSUM on the share of bad answers (detractors for NPS).

Each day is given by its sufficient statistics: `n`, the sum and the sum of squares of the
per-response score (NPS: +100 promoter, 0 passive, -100 detractor; CSAT: 100 for a top-two answer,
else 0; CES: the 1-7 answer), and `bad`, the count of bad answers. Lower scores are worse for all
three metrics.
"""

import math
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Day:
    n: int
    total: float
    total_sq: float
    bad: int


@dataclass(frozen=True)
class Baseline:
    n: int
    mean: float
    sd: float
    bad_rate: float
    days: int

    @classmethod
    def of(cls, days: list[Day], *, span_days: int) -> "Baseline | None":
        n = sum(d.n for d in days)
        if n < 2:
            return None
        total = sum(d.total for d in days)
        total_sq = sum(d.total_sq for d in days)
        mean = total / n
        variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
        bad = sum(d.bad for d in days)
        return cls(n=n, mean=mean, sd=math.sqrt(variance), bad_rate=bad / n, days=max(1, span_days))

    @property
    def per_day(self) -> float:
        return self.n / self.days


class Method(StrEnum):
    EWMA = "ewma"
    CUSUM = "bernoulli_cusum"


@dataclass(frozen=True)
class ChartResult:
    method: Method
    signal: bool
    statistic: float  # the EWMA value, or the CUSUM sum
    limit: float  # the lower control limit, or the decision threshold h


def ewma(days: list[Day], baseline: Baseline, *, lam: float, width: float) -> ChartResult:
    """EWMA of the daily means, starting at the baseline mean; days without answers leave it
    unchanged. The variance follows the exact recursion for unequal daily sample sizes, so the
    limits are right from the first day. Signals when the latest value is below the limit."""
    z = baseline.mean
    variance = 0.0
    per_response = baseline.sd**2
    for day in days:
        if day.n == 0:
            continue
        z = lam * (day.total / day.n) + (1 - lam) * z
        variance = lam * lam * per_response / day.n + (1 - lam) ** 2 * variance
    if variance == 0:
        return ChartResult(Method.EWMA, signal=False, statistic=z, limit=baseline.mean)
    limit = baseline.mean - width * math.sqrt(variance)
    return ChartResult(Method.EWMA, signal=z < limit, statistic=z, limit=limit)


def bernoulli_cusum(
    days: list[Day], baseline: Baseline, *, odds_ratio: float, h: float
) -> ChartResult:
    """Upper CUSUM of the log-likelihood ratio for the bad-answer rate moving from the
    baseline's p0 to p1 (odds times `odds_ratio`), summed over each day's answers."""
    p0 = min(max(baseline.bad_rate, 1e-3), 1 - 1e-3)
    p1 = odds_ratio * p0 / (1 - p0 + odds_ratio * p0)
    bad_weight = math.log(p1 / p0)
    good_weight = math.log((1 - p1) / (1 - p0))
    s = 0.0
    for day in days:
        s = max(0.0, s + day.bad * bad_weight + (day.n - day.bad) * good_weight)
    return ChartResult(Method.CUSUM, signal=s >= h, statistic=s, limit=h)
