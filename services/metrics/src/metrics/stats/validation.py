"""How well probabilities forecast a yes-or-no outcome on customers they were not fitted on
(docs/metrics.md, "Definitions: Churn model"): the Brier score, a paired bootstrap of the
difference between two forecasts, and calibration (binned, and as a line)."""

from dataclasses import dataclass

import numpy as np

from metrics.stats import estimates
from metrics.stats.drivers import Vector, logistic_fit

# Bins of the calibration table hold at least this many customers each (up to MAX_BINS), so
# that each bin's observed rate says something.
MIN_PER_BIN = 30
MAX_BINS = 10


def brier(p: Vector, y: Vector) -> float:
    """The mean squared difference between the probability and what happened (0 or 1)."""
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class Difference:
    value: float  # mean of `a` minus mean of `b`
    low: float
    high: float


def paired_bootstrap(a: Vector, b: Vector, *, replicates: int, seed: int) -> Difference:
    """Mean of a - b over the same customers, with the 95% percentile interval of a bootstrap
    that resamples customers (both losses of a customer go together)."""
    d = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(replicates)
    chunk = 250  # resampled indices held at once: replicates x customers would be large
    for start in range(0, replicates, chunk):
        size = min(chunk, replicates - start)
        means[start : start + size] = d[rng.integers(0, len(d), (size, len(d)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Difference(float(d.mean()), float(low), float(high))


def calibration_bins(p: Vector, y: Vector) -> list[dict[str, float | int | None]]:
    """Customers sorted by their probability and cut into equal bins (up to MAX_BINS, each of at
    least MIN_PER_BIN while there are enough): each bin's mean probability beside the share who
    churned, with its Wilson interval. A calibrated forecast has one inside the other."""
    bins = max(1, min(MAX_BINS, len(p) // MIN_PER_BIN))
    result: list[dict[str, float | int | None]] = []
    for members in np.array_split(np.argsort(p, kind="stable"), bins):
        observed = estimates.wilson(int(y[members].sum()), len(members), scale=1)
        result.append(
            {
                "customers": len(members),
                "predicted": float(p[members].mean()),
                "observed": observed.value,
                "observed_low": observed.low,
                "observed_high": observed.high,
            }
        )
    return result


def calibration_line(p: Vector, y: Vector) -> tuple[float, float]:
    """Intercept and slope of the logistic regression of the outcome on the log-odds of the
    probability (Cox 1958): 0 and 1 for a calibrated forecast; a slope below 1 means the
    forecast spreads customers further apart than their outcomes do (overfitting)."""
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    beta = logistic_fit(np.log(clipped / (1 - clipped)), y)
    return float(beta[0]), float(beta[1])
