"""Is a change real? Two-sided tests between two periods or segments, and Benjamini-Hochberg
across the groups compared (docs/metrics.md, "Definitions: Change and degradation")."""

import math
from dataclasses import dataclass

from metrics.stats.estimates import (
    Z_95,
    Estimate,
    adjusted_nps,
    mean,
    mean_and_sd,
    reaching,
    special,
    two_sided_normal,
    weighted_sum,
    wilson,
)


@dataclass(frozen=True)
class Difference:
    difference: float | None  # second minus first
    low: float | None
    high: float | None
    p_value: float | None


NO_TEST = Difference(None, None, None, None)


def _two_sided(z: float) -> float:
    return two_sided_normal(z)


def nps_difference(first: tuple[int, int, int], second: tuple[int, int, int]) -> Difference:
    """(promoters, detractors, n) for each side. The z-test uses the adjusted-Wald variances;
    the difference is of the plain NPS values and its interval is centred on the adjusted
    difference, like each score's own interval: clipped to [-200, 200] and widened to reach
    the plain difference where it falls short."""
    if first[2] <= 0 or second[2] <= 0:
        return NO_TEST
    a = adjusted_nps(*first)
    b = adjusted_nps(*second)
    se = math.sqrt(a.variance / a.n + b.variance / b.n)
    shift = b.score - a.score
    plain = 100 * ((second[0] - second[1]) / second[2] - (first[0] - first[1]) / first[2])
    low, high = reaching(
        plain, max(-200.0, 100 * (shift - Z_95 * se)), min(200.0, 100 * (shift + Z_95 * se))
    )
    return Difference(difference=plain, low=low, high=high, p_value=_two_sided(shift / se))


def mover(first: Estimate, second: Estimate) -> tuple[float, float]:
    """The interval of second minus first from each side's own interval (MOVER, see
    estimates.weighted_sum). From two Wilson intervals it is Newcombe's hybrid score interval;
    it contains the difference, is never zero-width where neither side is, and stays within
    the scale whenever both sides' intervals do."""
    _, low, high = weighted_sum([(-1.0, first), (1.0, second)])
    return low, high


def proportion_difference(
    first: tuple[int, int], second: tuple[int, int], *, scale: float = 100
) -> Difference:
    """(successes, n) for each side: the pooled two-proportion z-test for the p-value, and
    Newcombe's hybrid score interval for the difference (a Wald interval would be [0, 0]
    between two unanimous periods)."""
    (x1, n1), (x2, n2) = first, second
    if n1 <= 0 or n2 <= 0:
        return NO_TEST
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    # A pooled SE of 0 means both sides answered all yes (or all no): no change to test.
    p_value = _two_sided((p2 - p1) / se_pooled) if se_pooled > 0 else 1.0
    low, high = mover(wilson(x1, n1, scale=scale), wilson(x2, n2, scale=scale))
    return Difference(difference=scale * (p2 - p1), low=low, high=high, p_value=p_value)


def mean_difference(
    first: tuple[float, float, int], second: tuple[float, float, int], *, scale: tuple[int, int]
) -> Difference:
    """(sum, sum of squares, n) for each side of answers on `scale`: Welch's t-test for the
    p-value, and for the interval MOVER from each mean's own interval (estimates.mean), so it
    stays within the scale's width and two sets of identical answers do not make it [0, 0]."""
    if first[2] < 2 or second[2] < 2:
        return NO_TEST
    m1, s1 = mean_and_sd(*first)
    m2, s2 = mean_and_sd(*second)
    n1, n2 = first[2], second[2]
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    low, high = mover(mean(*first, scale=scale), mean(*second, scale=scale))
    if v1 + v2 == 0:
        return Difference(m2 - m1, low, high, 1.0 if m1 == m2 else 0.0)
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = (m2 - m1) / se
    return Difference(
        difference=m2 - m1, low=low, high=high, p_value=float(2 * special().stdtr(df, -abs(t)))
    )


def benjamini_hochberg(p_values: list[float | None]) -> list[float | None]:
    """Adjusted p-values (step-up, monotone); None where there was no test."""
    tested = sorted(
        ((p, i) for i, p in enumerate(p_values) if p is not None), key=lambda pair: pair[0]
    )
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 1.0
    for rank in range(m, 0, -1):
        p, index = tested[rank - 1]
        running = min(running, p * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted
