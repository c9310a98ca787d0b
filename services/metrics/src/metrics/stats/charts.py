"""Control charts for degradation (docs/metrics.md, "Definitions: Change and degradation"): a
CUSUM for a persistent drop of the daily score against the touchpoint's own baseline, or, for
low-volume touchpoints, a Bernoulli CUSUM on the share of bad answers (detractors for NPS).

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
        n, total, total_sq, bad = 0, 0.0, 0.0, 0
        for d in days:
            n, total, total_sq, bad = n + d.n, total + d.total, total_sq + d.total_sq, bad + d.bad
        if n < 2:
            return None
        mean = total / n
        variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
        return cls(n=n, mean=mean, sd=math.sqrt(variance), bad_rate=bad / n, days=max(1, span_days))

    @property
    def per_day(self) -> float:
        return self.n / self.days


class Method(StrEnum):
    CUSUM = "bernoulli_cusum"
    SHIFT_CUSUM = "shift_cusum"


@dataclass(frozen=True)
class ChartResult:
    method: Method
    signal: bool
    statistic: float  # the EWMA value, or the CUSUM sum
    limit: float  # the lower control limit, or the decision threshold h


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


def shift_cusum(days: list[Day], baseline: Baseline, *, shift_se: float, h: float) -> ChartResult:
    """Lower CUSUM of the log-likelihood ratio for the mean moving down by δ standard
    deviations of one answer, summed day by day over each day's answers: a day of n answers
    with mean x adds n·δ·((mean0 - x)/sd - δ/2). δ is `shift_se` standard errors of a day's
    mean at the baseline's daily volume (δ = shift_se / sqrt(answers a day)), so a touchpoint
    with few answers looks for the larger drop it can tell from noise in about as many days.
    Made for persistent shifts: every day of a lasting drop adds to the sum, where an EWMA
    forgets it. Starts at 0 with the window's first day, so the sum is the same whenever it is
    computed again from the rollups."""
    if baseline.sd == 0:
        return ChartResult(Method.SHIFT_CUSUM, signal=False, statistic=0.0, limit=h)
    shift_sd = shift_se / math.sqrt(max(baseline.per_day, 1.0))
    s = 0.0
    for day in days:
        if day.n == 0:
            continue
        below = (baseline.mean - day.total / day.n) / baseline.sd
        s = max(0.0, s + day.n * shift_sd * (below - shift_sd / 2))
    return ChartResult(Method.SHIFT_CUSUM, signal=s >= h, statistic=s, limit=h)
