"""Relative importance of drivers (docs/metrics.md, "Definitions: Drivers").

- Against a continuous outcome (relationship NPS): Johnson's relative weights, and the Shapley
  value of R² (general dominance) for SHAPLEY_MAX_DRIVERS drivers or fewer. Both split the
  model's R² among the drivers, so they sum to R².
- Against a binary outcome (churn): relative weights for logistic regression (Tonidandel and
  LeBreton 2010): the drivers are replaced by their closest orthogonal counterparts, a logistic
  regression is fitted on those, and its standardized coefficients are mapped back.

Correlations are computed pairwise, each from the customers who answered both, since few
customers answer every touchpoint's survey. A pair answered together by fewer than
MIN_SHARED_CUSTOMERS customers is not compared: calling its correlation 0 claims something the
data does not say, and the matrix stops being a correlation matrix (forcing it back to one
distorts every weight). So drivers are fitted together only in groups in which every pair was
compared (`plan`), each group a model of its own. Intervals come from a bootstrap over
customers, each replicate drawn as multinomial weights, so that it costs a few matrix products.
"""

import contextlib
import functools
import itertools
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

Matrix = NDArray[np.float64]
Vector = NDArray[np.float64]
# Shapley fits all 2^p subset models, again in every bootstrap replicate: 1,024 models at 10
# drivers take about 1.5 ms (0.3 s for the bootstrap), 32,768 at 15 take 150 ms (30 s). Above
# it, relative weights, which agree with Shapley to about 0.01 of R².
SHAPLEY_MAX_DRIVERS = 10
# A pair of touchpoints is compared (their correlation computed, the two fitted in one model)
# only when this many customers answered both: below it a correlation's 95% interval is wider
# than ±0.36, too loose to split importance between the two.
MIN_SHARED_CUSTOMERS = 30
# The bootstrap behind every interval: replicates and a fixed seed, so that the same data give
# the same intervals.
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEED = 1
# Each replicate costs about customers · (touchpoints + 1)² products; the work is capped so
# that the dashboard's call stays well inside the gateway's 5 s: the demo (3,469 customers, 39
# touchpoints) gets 108 replicates, 0.4 s on two busy cores. Larger data get fewer, down to
# MIN_BOOTSTRAP_REPLICATES, past which the cost grows with the data.
BOOTSTRAP_WORK = 600_000_000
MIN_BOOTSTRAP_REPLICATES = 50


@dataclass(frozen=True)
class Importance:
    weights: list[float]  # raw: each driver's share of R², summing to R²
    r_squared: float
    method: str

    @property
    def shares(self) -> list[float]:
        total = sum(self.weights)
        return [w / total if total > 0 else 0.0 for w in self.weights]


def pairwise(data: Matrix, weights: Vector | None = None) -> tuple[Matrix, Matrix]:
    """(correlations, shared) of the columns of `data` (NaN = not answered). Each correlation
    is from the rows where both columns are present, each row counted `weights` times (a
    bootstrap replicate; once by default); NaN where fewer than 3 rows have both or one of the
    two does not vary on them. `shared`: how many rows have both."""
    columns = Columns.of(data)
    w = np.ones(len(data)) if weights is None else weights
    return columns.correlations(w[None, :])[0], columns.shared


@dataclass(frozen=True)
class Columns:
    """Data with gaps, prepared once for many weightings: the presence mask m, the values x
    (0 where absent) and x², side by side."""

    present: Matrix  # m
    values: Matrix  # x
    stacked: Matrix  # [m, x, x²]
    shared: Matrix  # rows with both columns

    @classmethod
    def of(cls, data: Matrix) -> "Columns":
        present = (~np.isnan(data)).astype(float)
        values = np.where(present > 0, data, 0.0)
        stacked = np.column_stack([present, values, values**2])
        return cls(present, values, stacked, present.T @ present)

    def correlations(self, weights: NDArray[np.floating[Any]]) -> Matrix:
        """One correlation matrix per row of `weights` (a weight per data row). Each column j
        costs two products of all the weightings at once, (weights · m_j) [m, x, x²] and
        (weights · x_j) x: large products, which spread well over cores."""
        p = self.present.shape[1]
        dtype = weights.dtype
        stacked, values = self.stacked.astype(dtype), self.values.astype(dtype)
        sums = np.empty((len(weights), 3 * p, p), dtype)  # [b, k, j]: Σ w m_j · (m, x, x²)_k
        products = np.empty((len(weights), p, p), dtype)  # [b, i, j]: Σ w x_i x_j
        for j in range(p):
            sums[:, :, j] = (weights * self.present[:, j].astype(dtype)) @ stacked
            products[:, :, j] = (weights * values[:, j]) @ values
        with np.errstate(invalid="ignore", divide="ignore"):
            n = sums[:, :p].astype(float)
            mean = sums[:, p : 2 * p] / n  # [b, i, j]: the mean of i over the rows that have j
            var = sums[:, 2 * p :] / n - mean**2
            cov = products / n - mean * mean.swapaxes(1, 2)
            r = cov / np.sqrt(var * var.swapaxes(1, 2))
        flat = var <= 1e-6 * np.maximum(1.0, mean**2)
        r[(self.shared < 3) | flat | flat.swapaxes(1, 2) | ~np.isfinite(r)] = np.nan
        result: Matrix = np.clip(r, -1.0, 1.0)
        diagonal = np.arange(p)
        result[:, diagonal, diagonal] = np.where(
            np.isnan(result[:, diagonal, diagonal]), np.nan, 1.0
        )
        return result


@dataclass(frozen=True)
class Plan:
    """Which drivers are fitted together: every pair within a group was compared."""

    groups: list[list[int]]
    unpaired: list[tuple[int, int]]  # pairs answered together by too few customers


def plan(correlations: Matrix, shared: Matrix, minimum: int = MIN_SHARED_CUSTOMERS) -> Plan:
    """Drivers 0 … p-1 (`correlations` and `shared` among them). A pair is compared when at
    least `minimum` customers answered both and its correlation is defined. Drivers linked by
    compared pairs form components; a component in which every pair was compared is one model,
    and each driver of any other component is a model alone (its squared correlation with the
    outcome, over its own customers): no joint model over them rests on data."""
    p = len(correlations)
    compared = (shared >= minimum) & ~np.isnan(correlations)
    unpaired = [(i, j) for i, j in itertools.combinations(range(p), 2) if not compared[i, j]]
    groups: list[list[int]] = []
    seen: set[int] = set()
    for first in range(p):
        if first in seen:
            continue
        component, frontier = {first}, [first]
        while frontier:
            i = frontier.pop()
            for j in np.flatnonzero(compared[i]):
                if int(j) not in component:
                    component.add(int(j))
                    frontier.append(int(j))
        seen |= component
        members = sorted(component)
        if all(compared[i, j] for i, j in itertools.combinations(members, 2)):
            groups.append(members)
        else:
            groups.extend([j] for j in members)
    return Plan(groups, unpaired)


def method_of(size: int) -> str:
    if size == 1:
        return "squared_correlation"
    return "shapley" if size <= SHAPLEY_MAX_DRIVERS else "relative_weights"


def fit(groups: list[list[int]], correlations: Matrix) -> tuple[Matrix, Matrix]:
    """Each driver's importance and each group's R², from correlation matrices (a stack, one
    per replicate) among the drivers and, last, the outcome. A group whose matrix has an
    undefined correlation (possible in a bootstrap replicate) gets NaN."""
    stack = correlations.shape[0]
    p = correlations.shape[-1] - 1
    weights = np.full((stack, p), np.nan)
    r_squared = np.full((stack, len(groups)), np.nan)
    for g, group in enumerate(groups):
        index = np.array([*group, p])
        block = correlations[:, index[:, None], index[None, :]]
        whole = ~np.isnan(block).any(axis=(1, 2))
        if len(group) > 1:
            block[whole] = nearest_correlation(block[whole])
        rxx, rxy = block[whole, :-1, :-1], block[whole, :-1, -1]
        method = method_of(len(group))
        if method == "shapley":
            found = np.array([shapley(a, b).weights for a, b in zip(rxx, rxy, strict=True)])
        elif method == "relative_weights":
            found = _relative_weights(rxx, rxy)
        else:
            found = rxy**2
        weights[np.flatnonzero(whole)[:, None], np.array(group)[None, :]] = found.reshape(
            -1, len(group)
        )
        r_squared[whole, g] = found.sum(axis=1) if len(found) else []
    return weights, r_squared


@dataclass(frozen=True)
class Draws:
    """Bootstrap replicates (rows) of each driver's importance and correlation (columns)."""

    importance: Matrix
    correlation: Matrix

    def intervals(self, which: Matrix) -> list[tuple[float | None, float | None]]:
        """95% percentile interval per column; None where most replicates left it undefined."""
        result: list[tuple[float | None, float | None]] = []
        for column in which.T:
            defined = column[~np.isnan(column)]
            if len(defined) < len(column) / 2:
                result.append((None, None))
                continue
            low, high = np.percentile(defined, [2.5, 97.5])
            result.append((float(low), float(high)))
        return result


def replicates_for(customers: int, columns: int) -> int:
    """Bootstrap replicates within BOOTSTRAP_WORK, each costing about customers · columns²
    products, and never fewer than MIN_BOOTSTRAP_REPLICATES."""
    affordable = BOOTSTRAP_WORK // max(1, customers * columns**2)
    return int(min(BOOTSTRAP_REPLICATES, max(MIN_BOOTSTRAP_REPLICATES, affordable)))


def replicate_weights(n: int, replicates: int, seed: int) -> Matrix:
    """How many times each of n customers is drawn, one row per bootstrap replicate."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1 / n), size=replicates).astype(float)


def bootstrap_linear(data: Matrix, groups: list[list[int]], *, replicates: int, seed: int) -> Draws:
    """`data`: the drivers' columns (NaN = not answered), the outcome last; the groups are
    those of the whole sample, kept in every replicate. The replicates' sums are taken in single
    precision (ample for an interval; the estimates themselves are in double)."""
    weights = replicate_weights(len(data), replicates, seed).astype(np.float32)
    r = Columns.of(data).correlations(weights)
    return Draws(fit(groups, r)[0], r[:, :-1, -1])


def bootstrap_logistic(data: Matrix, y: Vector, *, replicates: int, seed: int) -> Draws:
    """`data`: the drivers' columns (NaN = not answered, filled with the replicate's column
    means for the model), `y`: 0/1."""
    weights = replicate_weights(len(data), replicates, seed)
    importance = []
    correlation = Columns.of(np.column_stack([data, y])).correlations(weights)[:, :-1, -1]
    whole = np.where(np.isnan(data), np.nanmean(data, axis=0), data)
    start = _logistic_relative_weights(whole, y)[1]
    for drawn in weights:
        rows = np.repeat(np.arange(len(data)), drawn.astype(int))
        sample = data[rows]
        filled = np.where(np.isnan(sample), np.nanmean(sample, axis=0), sample)
        found, _ = _logistic_relative_weights(filled, y[rows], start, tolerance=1e-6)
        importance.append(found.weights)
    return Draws(np.array(importance, dtype=float), correlation)


_ONE_AT_A_TIME = threading.Lock()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """BLAS on one thread, for the whole analysis: it is many small products and
    decompositions, which OpenBLAS's threads slow down (measured on two busy cores: 200
    batched 40-by-40 eigendecompositions took 0.26 s on one thread, 7.5 s on its default two).
    The limit is process-wide and restored on leaving, so analyses take turns: two that
    overlapped would restore each other's limits in the wrong order."""
    with _ONE_AT_A_TIME, threadpool_limits(limits=1, user_api="blas"):
        yield


def nearest_correlation(matrix: Matrix) -> Matrix:
    """Clips negative eigenvalues (pairwise matrices need not be PSD) and rescales to a unit
    diagonal; `matrix` may be a stack."""
    values, vectors = np.linalg.eigh((matrix + matrix.swapaxes(-1, -2)) / 2)
    clipped = (vectors * np.clip(values, 1e-8, None)[..., None, :]) @ vectors.swapaxes(-1, -2)
    scale = np.sqrt(np.diagonal(clipped, axis1=-2, axis2=-1))
    result: Matrix = clipped / (scale[..., :, None] * scale[..., None, :])
    return result


def _square_root(matrix: Matrix) -> Matrix:
    values, vectors = np.linalg.eigh(matrix)
    root: Matrix = (vectors * np.sqrt(np.clip(values, 0, None))[..., None, :]) @ vectors.swapaxes(
        -1, -2
    )
    return root


def relative_weights(rxx: Matrix, rxy: Vector) -> Importance:
    """Johnson (2000): with Λ = R^½, β = Λ⁻¹ r and ε_j = Σ_k Λ_jk² β_k²."""
    weights = _relative_weights(rxx[None], rxy[None])[0]
    return Importance([float(w) for w in weights], float(weights.sum()), "relative_weights")


def _relative_weights(rxx: Matrix, rxy: Matrix) -> Matrix:
    """Relative weights of a stack of problems: rxx p-by-p matrices, rxy vectors."""
    lam = _square_root(rxx)
    beta = np.linalg.solve(lam, rxy[..., None])[..., 0]
    weights: Matrix = ((lam**2) @ (beta**2)[..., None])[..., 0]
    return weights


@functools.cache
def _subsets(p: int) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Per size 1 … p: every subset of p drivers (rows of indices) and its bit mask."""
    result = []
    for size in range(1, p + 1):
        members = np.array(list(itertools.combinations(range(p), size)), dtype=np.int64)
        result.append((members, (1 << members).sum(axis=1)))
    return result


def _subset_r_squared(rxx: Matrix, rxy: Vector) -> Vector:
    """R² of the model on every subset of the drivers, indexed by the subset's bit mask."""
    r2 = np.zeros(1 << len(rxy))
    for members, masks in _subsets(len(rxy)):
        r = rxy[members]
        beta = np.linalg.solve(rxx[members[:, :, None], members[:, None, :]], r[:, :, None])
        r2[masks] = (r * beta[:, :, 0]).sum(axis=1)
    return r2


def shapley(rxx: Matrix, rxy: Vector) -> Importance:
    """The Shapley value of R² over all 2^p models (general dominance): each driver's gain in
    R² when added to a subset of the others, averaged with weight |S|! (p-|S|-1)! / p!."""
    p = len(rxy)
    if p > SHAPLEY_MAX_DRIVERS:
        raise ValueError(f"Shapley importance needs at most {SHAPLEY_MAX_DRIVERS} drivers")
    r2 = _subset_r_squared(rxx, rxy)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    factorial = np.array([math.factorial(k) for k in range(p + 1)], dtype=float)
    coefficient = factorial[:p] * factorial[p - 1 :: -1] / factorial[p]
    weights = []
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        gain = r2[without | (1 << j)] - r2[without]
        weights.append(float((coefficient[sizes[without]] * gain).sum()))
    return Importance(weights, float(r2[-1]), "shapley")


def logistic_fit(
    x: Matrix,
    y: NDArray[np.float64],
    *,
    iterations: int = 50,
    start: Vector | None = None,
    tolerance: float = 1e-10,
) -> Matrix:
    """Maximum-likelihood logistic regression with an intercept (Newton-Raphson, from `start`
    or zero); returns the coefficients, intercept first."""
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1]) if start is None else start
    for _ in range(iterations):
        eta = np.clip(design @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        gradient = design.T @ (y - p)
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < tolerance:
            break
    return beta


def logistic_relative_weights(x: Matrix, y: NDArray[np.float64]) -> Importance:
    """`x`: complete driver columns (rows = customers), `y`: 0/1."""
    return _logistic_relative_weights(x, y)[0]


def _logistic_relative_weights(
    x: Matrix, y: Vector, start: Vector | None = None, tolerance: float = 1e-10
) -> tuple[Importance, Vector]:
    """The weights and the coefficients of the logistic fit (a bootstrap replicate starts from
    those of the whole sample, and stops at a looser tolerance: a few Newton steps)."""
    standardized = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)
    rxx = nearest_correlation(np.corrcoef(standardized, rowvar=False).reshape(x.shape[1], -1))
    lam = _square_root(rxx)
    z = standardized @ np.linalg.inv(lam)
    beta = logistic_fit(z, y, start=start, tolerance=tolerance)
    eta = beta[0] + z @ beta[1:]
    fitted = 1 / (1 + np.exp(-np.clip(eta, -30, 30)))
    if y.std() == 0 or fitted.std() == 0 or eta.std() == 0:
        return Importance([0.0] * x.shape[1], 0.0, "logistic_relative_weights"), beta
    r = float(np.corrcoef(y, fitted)[0, 1])
    b_star = beta[1:] * z.std(axis=0) * r / eta.std()
    weights = (lam**2) @ (b_star**2)
    found = Importance(
        [float(w) for w in weights], float(weights.sum()), "logistic_relative_weights"
    )
    return found, beta
