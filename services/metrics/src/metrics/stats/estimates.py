"""Point estimates and their 95% intervals, exactly as docs/metrics.md defines them.

Every function takes the sufficient statistics that the daily rollups keep (counts, sums, sums of
squares), so a score over any period costs one sum over rollup rows, never a pass over responses.
"""

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The normal distribution from the standard library's erfc (the same doubles as scipy's ndtr);
# Student's t and the beta distribution from scipy.special, not scipy.stats (the same numbers
# without importing all of scipy.stats), and only when a figure first needs them: scipy.special
# with numpy is about 45 MB that a process at rest need not hold (docs/benchmarks.md, "Memory").
Z_95 = 1.959963984540054  # scipy.special.ndtri(0.975), the 1.96 of docs/metrics.md


def two_sided_normal(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z: 2 * ndtr(-|z|), exact in the far tails too."""
    return math.erfc(abs(z) / math.sqrt(2))


@functools.cache
def special() -> Any:
    """scipy.special, imported on first use."""
    from scipy import special as module

    return module


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int

    @classmethod
    def empty(cls) -> "Estimate":
        return cls(None, None, None, 0)


@dataclass(frozen=True)
class AdjustedNps:
    """Rocks' adjusted-Wald quantities, shared by the interval and the change test."""

    score: float  # NPS' as a proportion difference, -1 ... 1
    variance: float  # Var' per response
    n: float  # n' = n + 3


def adjusted_nps(promoters: int, detractors: int, n: int) -> AdjustedNps:
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    score = p - d
    return AdjustedNps(score=score, variance=p + d - score**2, n=n_adj)


def reaching(value: float, low: float, high: float) -> tuple[float, float]:
    """An interval widened, where it falls short, to reach the figure it is shown beside.

    Intervals centred on an adjusted estimate can miss the plain one at small n (one promoter:
    NPS 100, adjusted-Wald interval [-48.5, 98.5]). The figure shown stays the plain one, and
    its interval only ever grows, so its coverage never falls (docs/metrics.md, "Intervals")."""
    return min(low, value), max(high, value)


def nps(promoters: int, detractors: int, n: int) -> Estimate:
    """NPS = 100 (P - D) / n, with the adjusted-Wald interval (Rocks 2016) clipped to
    [-100, 100]. The interval is centred on the adjusted score: 25 promoters and 10 detractors
    of 50 give NPS 30, adjusted 28.3, interval [7.3, 49.3]; it is widened to reach the NPS
    where it falls short (small n only)."""
    if n <= 0:
        return Estimate.empty()
    adjusted = adjusted_nps(promoters, detractors, n)
    half = Z_95 * math.sqrt(adjusted.variance / adjusted.n)
    value = 100 * (promoters - detractors) / n
    low, high = reaching(
        value,
        max(-100.0, 100 * (adjusted.score - half)),
        min(100.0, 100 * (adjusted.score + half)),
    )
    return Estimate(value=value, low=low, high=high, n=n)


def wilson(successes: int, n: int, *, scale: float = 100) -> Estimate:
    """A proportion (CSAT top-two box, CES % agree, churn rate) with the Wilson score
    interval, times `scale` (percentages by default)."""
    if n <= 0:
        return Estimate.empty()
    p = successes / n
    z2 = Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # The interval holds p in exact arithmetic; rounding can leave an end a hair inside it
    # (30 of 30: 99.99999999999999 against 100).
    low, high = reaching(p, max(0.0, centre - half), min(1.0, centre + half))
    return Estimate(value=scale * p, low=scale * low, high=scale * high, n=n)


def mean_and_sd(total: float, total_sq: float, n: int) -> tuple[float, float]:
    """Mean and sample standard deviation from n, sum and sum of squares."""
    mean = total / n
    if n < 2:
        return mean, 0.0
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    return mean, math.sqrt(variance)


# Perks' prior: one answer in all, spread evenly over the points of the scale. Half an answer
# per point (Jeffreys) pulls a skewed sample's interval off the true mean too often at small n:
# in simulation it covered a mostly-satisfied population's mean 90% of the time at n = 5.
PRIOR_ANSWERS = 1.0


def mean(total: float, total_sq: float, n: int, *, scale: tuple[int, int]) -> Estimate:
    """The mean of answers on the integer scale `scale` (CSAT 1-5, CES 1-7), with an interval
    that stays on the scale and never claims certainty from identical answers.

    The shares of answers at each scale point get a Dirichlet posterior under Perks' prior
    (one answer in all, spread evenly over the points): a Bayesian bootstrap over the scale's
    points. The
    posterior mean and variance of the mean need only n, the sum and the sum of squares; a
    Beta with those moments, stretched over the scale, gives the 2.5% and 97.5% points. With
    many answers this is the t-interval; with two answers of 5 and 1 it is [1.35, 4.65] where
    the t-interval was [-22.4, 28.4]; forty 4s on 1-7 give [3.91, 4.09], not [4, 4]. Widened
    to reach the plain mean where it falls short (all answers at one end of the scale)."""
    if n <= 0:
        return Estimate.empty()
    lowest, highest = scale
    points = range(lowest, highest + 1)
    per_point = PRIOR_ANSWERS / len(points)
    weight = n + PRIOR_ANSWERS
    first = (total + per_point * sum(points)) / weight
    second = (total_sq + per_point * sum(v * v for v in points)) / weight
    width = highest - lowest
    centre = (first - lowest) / width
    # Positive for any real answers (the prior spreads over the scale); the floor keeps sums
    # that no answers could give (sum of squares below n x mean²) from dividing by zero.
    spread = max(1e-12, (second - first * first) / (weight + 1) / (width * width))
    # Beta(a, b) with this mean and variance; a + b >= weight since the spread is at most
    # centre (1 - centre) / (weight + 1).
    concentration = centre * (1 - centre) / spread - 1
    a, b = centre * concentration, (1 - centre) * concentration
    value = total / n
    low, high = reaching(
        value,
        lowest + width * float(special().betaincinv(a, b, 0.025)),
        lowest + width * float(special().betaincinv(a, b, 0.975)),
    )
    return Estimate(value=value, low=low, high=high, n=n)


def bounded_mean(total: float, total_sq: float, n: int, *, bounds: tuple[float, float]) -> Estimate:
    """The mean of a continuous figure held within `bounds` (comment sentiment, -1 to +1):
    mean ± t(0.975, n-1) · s/√n, clipped to the bounds; no interval from fewer than 2 values."""
    if n <= 0:
        return Estimate.empty()
    value, sd = mean_and_sd(total, total_sq, n)
    if n < 2:
        return Estimate(value=value, low=None, high=None, n=n)
    half = float(special().stdtrit(n - 1, 0.975)) * sd / math.sqrt(n)
    lowest, highest = bounds
    return Estimate(
        value=value, low=max(lowest, value - half), high=min(highest, value + half), n=n
    )


def weighted_sum(terms: Iterable[tuple[float, Estimate]]) -> tuple[float, float, float]:
    """Σ weight x estimate, and its interval by MOVER, the method of variance estimates
    recovery (Zou and Donner 2008): each term's distance from its value to the ends of its own
    interval, combined as a root sum of squares. It holds the sum, and follows each term's
    interval where that is asymmetric (near 0 or 100%). A term without an interval (a stated
    assumption, such as a prior churn rate) counts as exact."""
    value = below = above = 0.0
    for weight, estimate in terms:
        if estimate.value is None:
            raise ValueError("a sum of estimates needs every value")
        value += weight * estimate.value
        if estimate.low is None or estimate.high is None:
            continue
        ends = sorted(
            (weight * (estimate.low - estimate.value), weight * (estimate.high - estimate.value))
        )
        below += ends[0] ** 2
        above += ends[1] ** 2
    return value, value - math.sqrt(below), value + math.sqrt(above)
