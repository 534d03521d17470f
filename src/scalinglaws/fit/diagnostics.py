"""Checks run on every fit: bounds, identifiability, design coverage and influential points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from scalinglaws.fit._problem import Problem

Kind = Literal["degenerate", "at-bound", "ill-conditioned", "correlated", "few-scales", "influential"]

CONDITION_LIMIT = 1e10
"""Condition number of the scaled information matrix above which parameters are not identified."""
CORRELATION_LIMIT = 0.99
MIN_SCALES = 3
"""Distinct values an input needs before the exponent of a power law in it can be told from noise."""
INFLUENCE_LIMIT = 1.0
"""Cook's distance above which removing one point moves the fit by more than its own uncertainty."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a fit; ``rows`` lists the data rows it concerns (0-based), if any."""

    kind: Kind
    message: str
    rows: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "rows": list(self.rows)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnostic:
        return cls(data["kind"], data["message"], tuple(data["rows"]))


def at_bound(problem: Problem, params: np.ndarray) -> list[str]:
    """Free parameters that ended on one of their bounds (a fixed parameter sits on both by design)."""
    scale = np.maximum(1.0, np.abs(params))
    hit = (np.abs(params - problem.lower) <= 1e-9 * scale) | (np.abs(params - problem.upper) <= 1e-9 * scale)
    hit &= problem.lower < problem.upper
    return [n for n, h in zip(problem.names, hit, strict=True) if h]


def information(problem: Problem, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual Jacobian, residuals and point weights at ``params``."""
    prediction, jacobian = problem.with_jacobian(params[None])
    r = problem.residuals(prediction)[0]
    jac = problem.residual_jacobian(prediction, jacobian)[0]
    return jac, r, problem.point_weights(r)


def condition_number(jac: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Condition number of the correlation-scaled information matrix, and that correlation matrix."""
    if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(w))):
        return np.inf, None
    info = jac.T @ (w[:, None] * jac)
    diag = np.sqrt(np.diag(info))
    if not np.all(np.isfinite(info)) or np.any(diag == 0):
        return np.inf, None
    correlation = info / np.outer(diag, diag)
    eigenvalues = np.linalg.eigvalsh(correlation)
    return (float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else np.inf), correlation


def diagnose(problem: Problem, params: np.ndarray, covariance: np.ndarray | None) -> tuple[Diagnostic, ...]:
    """Every finding about the fit at ``params``, most serious first."""
    found: list[Diagnostic] = []
    bounded = at_bound(problem, params)
    if bounded:
        found.append(Diagnostic(
            "at-bound",
            f"parameter(s) {bounded} ended on a bound; the optimum may lie beyond it. Widen the bound "
            "if it is not physical, or report the fit as constrained.",
        ))
    jac, r, w = information(problem, params)
    jac = jac[:, problem.free]
    condition, _ = condition_number(jac, w)
    if condition > CONDITION_LIMIT:
        found.append(Diagnostic(
            "ill-conditioned",
            f"condition number {condition:.2g} of the scaled information matrix: some parameters are "
            "nearly redundant (the data cannot tell them apart). Fix or bound one of them.",
        ))
    if covariance is not None:
        sd = np.sqrt(np.maximum(np.diag(covariance), 1e-300))
        corr = covariance / np.outer(sd, sd)
        for i in problem.free:
            for j in problem.free[problem.free > i]:
                if abs(corr[i, j]) > CORRELATION_LIMIT:
                    found.append(Diagnostic(
                        "correlated",
                        f"parameters {problem.names[i]} and {problem.names[j]} are correlated at "
                        f"{corr[i, j]:+.3f}: they trade off along a ridge; their separate values are "
                        "uncertain even where predictions are not.",
                    ))
    for name, values in problem.x.items():
        distinct = np.unique(values).size
        if distinct < MIN_SCALES:
            found.append(Diagnostic(
                "few-scales",
                f"input `{name}` takes only {distinct} distinct value(s); a law in `{name}` needs at "
                f"least {MIN_SCALES} scales to be identified. Add runs at other scales.",
            ))
    found.extend(_influential(jac, r, w))
    return tuple(found)


def _influential(jac: np.ndarray, r: np.ndarray, w: np.ndarray) -> list[Diagnostic]:
    n, p = jac.shape
    if n <= p or not (np.all(np.isfinite(jac)) and np.all(np.isfinite(r))):
        return []
    sw = np.sqrt(w)[:, None] * jac
    try:
        inverse = np.linalg.inv(sw.T @ sw)
    except np.linalg.LinAlgError:
        return []
    leverage = np.einsum("ij,jk,ik->i", sw, inverse, sw)
    s2 = float(np.sum(w * r * r)) / (n - p)
    if s2 <= 0:
        return []
    with np.errstate(all="ignore"):
        cook = w * r * r * leverage / (p * s2 * (1 - leverage) ** 2)
    rows = np.flatnonzero(np.nan_to_num(cook, nan=np.inf) > INFLUENCE_LIMIT)
    if rows.size == 0:
        return []
    shown = ", ".join(f"{int(i)} (Cook's D {cook[i]:.2g})" for i in rows[:5])
    return [Diagnostic(
        "influential",
        f"{rows.size} point(s) move the fit by more than its uncertainty on their own: {shown}. "
        "Check these runs; a robust loss (huber) limits their pull.",
        tuple(int(i) for i in rows),
    )]
