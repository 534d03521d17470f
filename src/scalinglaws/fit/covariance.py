"""Asymptotic covariance of an estimate (Huber's M-estimator formula) and the status of a fit."""

from __future__ import annotations

import enum

import numpy as np

from scalinglaws.fit._problem import Problem
from scalinglaws.fit.diagnostics import CONDITION_LIMIT, at_bound, condition_number, information
from scalinglaws.fit.losses import psi
from scalinglaws.fit.multistart import Multistart


class FitStatus(enum.StrEnum):
    """How the fit ended. Only ``CONVERGED`` is an estimate to use without looking further."""

    CONVERGED = "converged"
    """The optimiser met its tolerance inside the bounds and the parameters are identified: usable."""
    MAX_ITER = "max-iter"
    """The iteration limit was reached before the tolerance: usable only with care; refit."""
    BOUND_HIT = "at-bound"
    """A parameter ended on a bound: the optimum may lie outside; widen the bound or fix it."""
    ILL_CONDITIONED = "ill-conditioned"
    """Converged, but some parameters are nearly redundant: predictions may be fine, values are not."""
    ABNORMAL = "abnormal"
    """The optimiser stopped without meeting its tolerance: do not use."""


def covariance(problem: Problem, params: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Asymptotic covariance of the estimate and the condition number of the information matrix.

    Only the free parameters vary: a fixed parameter's row and column are zero. None when the
    parameters are not identified (too few points, or an information matrix past ``CONDITION_LIMIT``).
    """
    jac, r, w = information(problem, params)
    free = problem.free
    jac = jac[:, free]
    n, p = jac.shape
    condition, correlation = condition_number(jac, w)
    if correlation is None or n <= p or not condition <= CONDITION_LIMIT:
        return None, condition
    slope = psi(r, problem.loss, problem.delta)
    mean_inside = _share_inside(r, problem.delta) if problem.loss == "huber" else 1.0
    if mean_inside * n < 1:
        return None, condition
    correction = 1.0 + (p / n) * (1.0 - mean_inside) / mean_inside
    scale = correction**2 * float(np.sum(w * slope**2)) / (n - p) / mean_inside**2
    diag = np.sqrt(np.diag(jac.T @ (w[:, None] * jac)))
    inverse = np.linalg.inv(correlation) / np.outer(diag, diag)
    full = np.zeros((problem.n_params, problem.n_params))
    full[np.ix_(free, free)] = scale * inverse
    return full, condition


def _share_inside(r: np.ndarray, delta: float) -> float:
    """Share of residuals inside Huber's quadratic region, from a kernel density of the residuals.

    Counting them instead fails when delta is small: the fit passes through about p points exactly, as
    a median does, and counting those made standard errors about twice too small on 40-run ladders.
    Smoothing over a bandwidth much wider than delta removes that artefact (Silverman's rule).
    """
    from scipy.special import ndtr

    spread = min(float(np.std(r)), float(np.subtract(*np.percentile(r, [75, 25]))) / 1.34)
    bandwidth = 0.9 * spread * r.size ** (-0.2)
    if bandwidth <= 0:
        return float(np.mean(np.abs(r) <= delta))
    return float(np.mean(ndtr((delta - r) / bandwidth) - ndtr((-delta - r) / bandwidth)))


def status(problem: Problem, solution: Multistart, condition: float) -> tuple[FitStatus, str]:
    """The status of the best end point and the message that explains it."""
    bounded = at_bound(problem, solution.params)
    notes = []
    # A redundant parameter is the cause when the optimiser also stalls, so it is reported first.
    if condition > CONDITION_LIMIT:
        fit_status = FitStatus.ILL_CONDITIONED
    elif solution.max_iter_hit:
        fit_status = FitStatus.MAX_ITER
    elif not solution.converged:
        fit_status = FitStatus.ABNORMAL
    elif bounded:
        fit_status = FitStatus.BOUND_HIT
    else:
        fit_status = FitStatus.CONVERGED
    if solution.max_iter_hit:
        notes.append(f"stopped at the iteration limit ({solution.n_iter}) before converging")
    elif not solution.converged:
        notes.append("the optimiser could not decrease the objective further but did not meet its tolerance")
    if bounded:
        notes.append(f"parameter(s) {bounded} ended on a bound")
    if condition > CONDITION_LIMIT:
        notes.append(
            f"condition number {condition:.2g} of the scaled information matrix: "
            "some parameters are nearly redundant"
        )
    if not notes:
        return fit_status, f"converged after {solution.n_iter} iterations"
    return fit_status, "; ".join(notes)
