"""Relative importance of drivers (docs/metrics.md, "Definitions: Drivers").

- Against a continuous outcome (relationship NPS): Johnson's relative weights, and the Shapley
  value of R² (general dominance) when there are at most 15 drivers. Both split the model's R²
  among the drivers, so they sum to R².
- Against a binary outcome (churn): relative weights for logistic regression (Tonidandel and
  LeBreton 2010): the drivers are replaced by their closest orthogonal counterparts, a logistic
  regression is fitted on those, and its standardized coefficients are mapped back.

Correlations are computed pairwise, each from the customers who answered both, since few
customers answer every touchpoint's survey; the matrix is then made positive semi-definite.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]
SHAPLEY_MAX_DRIVERS = 15


@dataclass(frozen=True)
class Importance:
    weights: list[float]  # raw: each driver's share of R², summing to R²
    r_squared: float
    method: str

    @property
    def shares(self) -> list[float]:
        total = sum(self.weights)
        return [w / total if total > 0 else 0.0 for w in self.weights]


def pairwise_correlations(data: Matrix) -> Matrix:
    """Correlation matrix of the columns of `data` (NaN = not answered), each entry from the rows
    where both columns are present."""
    p = data.shape[1]
    result = np.eye(p)
    present = ~np.isnan(data)
    for i, j in itertools.combinations(range(p), 2):
        rows = present[:, i] & present[:, j]
        if rows.sum() < 3:
            continue
        a, b = data[rows, i], data[rows, j]
        if a.std() == 0 or b.std() == 0:
            continue
        result[i, j] = result[j, i] = float(np.corrcoef(a, b)[0, 1])
    return nearest_correlation(result)


def nearest_correlation(matrix: Matrix) -> Matrix:
    """Clips negative eigenvalues (pairwise matrices need not be PSD) and rescales to a unit
    diagonal."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    clipped = vectors @ np.diag(np.clip(values, 1e-8, None)) @ vectors.T
    scale = np.sqrt(np.diag(clipped))
    result: Matrix = clipped / np.outer(scale, scale)
    return result


def _square_root(matrix: Matrix) -> Matrix:
    values, vectors = np.linalg.eigh(matrix)
    root: Matrix = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    return root


def relative_weights(rxx: Matrix, rxy: NDArray[np.float64]) -> Importance:
    """Johnson (2000): with Λ = R^½, β = Λ⁻¹ r and ε_j = Σ_k Λ_jk² β_k²."""
    lam = _square_root(rxx)
    beta = np.linalg.solve(lam, rxy)
    weights = (lam**2) @ (beta**2)
    return Importance([float(w) for w in weights], float(weights.sum()), "relative_weights")


def _r_squared(rxx: Matrix, rxy: NDArray[np.float64], subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    index = list(subset)
    r = rxy[index]
    return float(r @ np.linalg.solve(rxx[np.ix_(index, index)], r))


def shapley(rxx: Matrix, rxy: NDArray[np.float64]) -> Importance:
    """The Shapley value of R² over all 2^p models (general dominance)."""
    p = len(rxy)
    if p > SHAPLEY_MAX_DRIVERS:
        raise ValueError(f"Shapley importance needs at most {SHAPLEY_MAX_DRIVERS} drivers")
    r2 = {
        subset: _r_squared(rxx, rxy, subset)
        for size in range(p + 1)
        for subset in itertools.combinations(range(p), size)
    }
    weights = []
    for j in range(p):
        others = [k for k in range(p) if k != j]
        value = 0.0
        for size in range(p):
            coefficient = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in itertools.combinations(others, size):
                with_j = tuple(sorted((*subset, j)))
                value += coefficient * (r2[with_j] - r2[subset])
        weights.append(value)
    return Importance(weights, r2[tuple(range(p))], "shapley")


def logistic_fit(x: Matrix, y: NDArray[np.float64], *, iterations: int = 50) -> Matrix:
    """Maximum-likelihood logistic regression with an intercept (Newton-Raphson); returns the
    coefficients, intercept first."""
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        eta = np.clip(design @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        gradient = design.T @ (y - p)
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta


def logistic_relative_weights(x: Matrix, y: NDArray[np.float64]) -> Importance:
    """`x`: complete driver columns (rows = customers), `y`: 0/1."""
    standardized = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)
    rxx = nearest_correlation(np.corrcoef(standardized, rowvar=False).reshape(x.shape[1], -1))
    lam = _square_root(rxx)
    z = standardized @ np.linalg.inv(lam)
    beta = logistic_fit(z, y)
    eta = beta[0] + z @ beta[1:]
    fitted = 1 / (1 + np.exp(-np.clip(eta, -30, 30)))
    if y.std() == 0 or fitted.std() == 0 or eta.std() == 0:
        return Importance([0.0] * x.shape[1], 0.0, "logistic_relative_weights")
    r = float(np.corrcoef(y, fitted)[0, 1])
    b_star = beta[1:] * z.std(axis=0) * r / eta.std()
    weights = (lam**2) @ (b_star**2)
    return Importance(
        [float(w) for w in weights], float(weights.sum()), "logistic_relative_weights"
    )
